"""A family tells its experience, and comes back to it with its receipt code."""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext

from .. import pii
from ..extensions import limiter
from ..forms import honeypot_filled
from ..reference.models import Area, LifeDomain, Service
from ..web import audit
from ..web.context import clock, hasher, locale_code, reference_choices, setting
from ..web.db import get_session
from . import labels, receipt, service
from .forms import DeleteForm, ExperienceForm, FollowUpForm, ReceiptForm

bp = Blueprint("experiences", __name__, url_prefix="/experiences")

# Shared by every form that checks a receipt code, so guessing is slow everywhere.
receipt_limit = limiter.shared_limit("10 per minute;40 per hour", scope="receipt-code", methods=["POST"])


def _story_max() -> int:
    return setting("STORY_MAX_LENGTH")


def _experience_form() -> ExperienceForm:
    form = ExperienceForm(story_max=_story_max())
    form.services.choices = reference_choices(Service)
    form.domains.choices = reference_choices(LifeDomain)
    form.area.choices = [("", "")] + reference_choices(Area)
    if request.method == "GET":
        form.story_lang.data = locale_code()
        form.form_token.data = secrets.token_urlsafe(24)
    return form


def _to_new_experience(form: ExperienceForm) -> service.NewExperience:
    usefulness = form.usefulness.data
    explained = form.services_explained.data
    return service.NewExperience(
        service_slugs=form.services.data,
        usefulness=None if usefulness == "dont-know" else int(usefulness),
        form_token=form.form_token.data or secrets.token_urlsafe(24),
        story=form.story.data or "",
        story_lang=form.story_lang.data,
        page_lang=locale_code(),
        area_slug=form.area.data or None,
        domain_slugs=form.domains.data or [],
        listened=form.listened.data or None,
        services_explained=int(explained) if explained not in (None, "", "None") else None,
        consent_publish=bool(form.consent_publish.data),
        phone=form.phone.data or None,
        email=form.email.data or None,
    )


def _contact_delete_date():
    return service.contact_delete_after(clock().today(), setting("CONTACT_RETENTION_DAYS"))


def _render_form(form: ExperienceForm, status: int = 200, pii_segments=None, pii_kinds=()):
    return (
        render_template(
            "experiences/new.html",
            form=form,
            contact_delete_date=_contact_delete_date(),
            pii_segments=pii_segments,
            pii_kinds=[labels.PII_LABELS[k] for k in pii_kinds],
        ),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit("20 per hour;5 per minute", methods=["POST"])
def new():
    form = _experience_form()
    if request.method == "GET":
        return _render_form(form)
    if honeypot_filled(form):
        abort(400)
    if not form.validate_on_submit():
        return _render_form(form, 400)
    matches = pii.find_pii(form.story.data or "")
    if matches and form.pii_checked.data != "1":
        # Show the family what we found; sending again keeps it, flagged for the moderator.
        form.pii_checked.data = "1"
        kinds = sorted({m.kind for m in matches})
        return _render_form(form, 200, pii.highlight_segments(form.story.data, matches), kinds)
    try:
        experience, code = service.create_experience(
            session=get_session(),
            data=_to_new_experience(form),
            now=clock().now(),
            contact_retention_days=setting("CONTACT_RETENTION_DAYS"),
            hasher=hasher(),
            pii_kinds=service.kinds_of(matches),
        )
    except service.AlreadySubmitted:
        return render_template("experiences/already_sent.html")
    return render_template(
        "experiences/thanks.html",
        code_groups=receipt.grouped(code),
        code_text=receipt.display(code),
        has_contact=bool(form.phone.data or form.email.data),
        consent=experience.consent_publish,
    )


def _status_page(view, form=None, message=None, status=200):
    return (
        render_template(
            "experiences/status.html",
            view=view,
            follow_up_form=form or FollowUpForm(story_max=_story_max(), formdata=None),
            message=message,
            labels=labels,
        ),
        status,
    )


def _not_found(form):
    """One answer for a wrong, unknown or malformed code."""
    form.code.errors = [gettext("We could not find a story with this code. Check the code and try again.")]
    return render_template("experiences/lookup.html", form=form), 400


@bp.route("/mine", methods=["GET", "POST"])
@receipt_limit
def mine():
    form = ReceiptForm()
    if request.method == "GET":
        return render_template("experiences/lookup.html", form=form)
    if not form.validate_on_submit():
        return render_template("experiences/lookup.html", form=form), 400
    session = get_session()
    experience = service.find_by_receipt(session=session, typed_code=form.code.data, hasher=hasher())
    if experience is None:
        return _not_found(form)
    follow_up_form = FollowUpForm(story_max=_story_max(), formdata=None, code=form.code.data, lang=locale_code())
    return _status_page(service.load_view(session=session, experience=experience), follow_up_form)


@bp.route("/mine/follow-up", methods=["POST"])
@receipt_limit
def follow_up():
    form = FollowUpForm(story_max=_story_max())
    session = get_session()
    experience = service.find_by_receipt(session=session, typed_code=form.code.data or "", hasher=hasher())
    if experience is None:
        lookup = ReceiptForm(formdata=None, code=form.code.data)
        return _not_found(lookup)
    if not form.validate_on_submit():
        return _status_page(service.load_view(session=session, experience=experience), form, status=400)
    service.add_follow_up(session=session, experience=experience, text=form.text.data, lang=form.lang.data)
    fresh = FollowUpForm(story_max=_story_max(), formdata=None, code=form.code.data, lang=form.lang.data)
    return _status_page(service.load_view(session=session, experience=experience), fresh, message="follow_up_added")


@bp.route("/mine/delete", methods=["POST"])
@receipt_limit
def delete():
    form = DeleteForm()
    session = get_session()
    experience = service.find_by_receipt(session=session, typed_code=form.code.data or "", hasher=hasher())
    if experience is None or not form.validate_on_submit():
        return _not_found(ReceiptForm(formdata=None, code=form.code.data))
    if form.confirm.data != "yes":
        return render_template("experiences/confirm_delete.html", form=form)
    public_id = experience.public_id
    service.delete_experience(session=session, experience=experience)
    # That a story was deleted, never what it said (SECURITY.md 20).
    audit.record("story_deleted_by_family", "experience", public_id, actor="family")
    return render_template("experiences/deleted.html")
