"""A family tells its experience, and comes back to it with its receipt code."""
from __future__ import annotations

import math
import secrets

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm

from .. import pii
from ..extensions import limiter
from ..forms import honeypot_filled
from ..moderation import redactions
from ..reference.models import Area, LifeDomain, Service, Unit
from ..themes import service as themes
from ..web import audit, page_cache
from ..web.context import clock, hasher, links, locale_code, reference_choices, setting
from ..web.db import get_session
from ..web.limits import counts_against_limits, family_form
from ..web.templating import wants_fragment
from . import labels, receipt, service, shown_code
from .forms import CodeByEmailForm, DeleteForm, ExperienceForm, FollowUpForm, HelpedForm, ReceiptForm
from .send_code import EmailCodeSender

bp = Blueprint("experiences", __name__, url_prefix="/experiences")

# Shared by every form that checks a receipt code, so guessing is slow everywhere.
receipt_limit = limiter.shared_limit("10 per minute;40 per hour", scope="receipt-code", methods=["POST"])


def _story_max() -> int:
    return setting("STORY_MAX_LENGTH")


def _experience_form() -> ExperienceForm:
    form = ExperienceForm(story_max=_story_max(), meta=page_cache.form_meta())
    form.services.choices = reference_choices(Service)
    form.domains.choices = reference_choices(LifeDomain)
    form.area.choices = [("", "")] + reference_choices(Area)
    form.unit.choices = [("", "")] + reference_choices(Unit)
    if request.method == "GET":
        form.story_lang.data = locale_code()
        form.form_token.data = page_cache.form_token()
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
        unit_slug=form.unit.data or None,
        domain_slugs=form.domains.data or [],
        listened=form.listened.data or None,
        services_explained=int(explained) if explained not in (None, "", "None") else None,
        consent_publish=bool(form.consent_publish.data),
        phone=form.phone.data or None,
        email=form.email.data or None,
        invite_me=bool(form.invite_me.data),
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
@family_form(per_browser="5 per hour;3 per minute", per_address="60 per hour")
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
        # Sent twice (Back, then Send again): the receipt page, while it can still show the code.
        if _shown() is not None:
            return _to_receipt()
        return render_template("experiences/already_sent.html")
    counts_against_limits()
    redactions.apply_to_new(session=get_session(), experience=experience)  # the moderator's draft
    cookie = shown_code.remember(session=get_session(), code=code, consent=experience.consent_publish,
                                 has_contact=bool(form.phone.data or form.email.data), now=clock().now())
    return _to_receipt(cookie)


# -- The receipt page: the code again after a reload or Back, in this browser, for a while --

def _shown():
    return shown_code.recall(session=get_session(), cookie=request.cookies.get(shown_code.COOKIE), now=clock().now())


def _to_receipt(cookie: str | None = None, **args):
    """POST-redirect-GET to the receipt page (htmx: a full page load, so the address bar
    shows the receipt page and a reload keeps it)."""
    target = url_for("experiences.receipt", **args)
    response = make_response("", 200, {"HX-Redirect": target}) if wants_fragment() else redirect(target, 303)
    if cookie is not None:
        response.set_cookie(shown_code.COOKIE, cookie, max_age=int(shown_code.SHOW_FOR.total_seconds()),
                            path="/experiences", httponly=True, samesite="Strict",
                            secure=setting("SESSION_COOKIE_SECURE"))
    return response


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"  # the code is never kept in the browser's cache
    return response


@bp.route("/receipt", endpoint="receipt")
def receipt_page():
    shown = _shown()
    if shown is None:
        return _no_store(make_response(render_template("experiences/receipt_gone.html",
                                                       forgotten=request.args.get("hidden") == "1")))
    return _receipt(shown, CodeByEmailForm(formdata=None))


def _receipt(shown, email_form, status: int = 200):
    return _no_store(make_response(render_template(
        "experiences/thanks.html", code_groups=receipt.grouped(shown.code), code_text=receipt.display(shown.code),
        has_contact=shown.has_contact, consent=shown.consent, email_form=email_form,
        minutes_left=max(1, math.ceil((shown.expires_at - clock().now()).total_seconds() / 60)),
        sent=request.args.get("sent") == "1"), status))


@bp.route("/receipt/send", methods=["POST"])
@limiter.limit("5 per hour", methods=["POST"])
def receipt_send():
    shown = _shown()
    if shown is None:
        return _no_store(make_response(render_template("experiences/receipt_gone.html", forgotten=False), 410))
    form = CodeByEmailForm()
    if not form.validate_on_submit():
        return _receipt(shown, form, 400)
    EmailCodeSender().send(session=get_session(), to=form.email.data, code=shown.code, locale=locale_code(), links=links())
    return _to_receipt(sent="1")


@bp.route("/receipt/hide", methods=["POST"])
def receipt_hide():
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    shown_code.forget(session=get_session(), cookie=request.cookies.get(shown_code.COOKIE))
    response = _to_receipt(hidden="1")
    response.delete_cookie(shown_code.COOKIE, path="/experiences")
    return response


def _story_of(form):
    """The story whose code a follow-up form carries (None for a wrong or unknown code)."""
    return service.find_by_receipt(session=get_session(), typed_code=form.code.data or "", hasher=hasher())


def _helped_forms(view, feedback, code: str, sent=None) -> dict:
    """A "did it help?" form for each answer marked change made, with the family's earlier
    answer ticked; the one just sent back with its messages when it had a mistake."""
    forms = {}
    for answer, _service in view.answers:
        if answer.change_status != "made" or not answer.is_checked:
            continue
        if sent is not None and sent.answer.data == str(answer.id):
            forms[answer.id] = sent
            continue
        given = feedback.get(answer.id)
        forms[answer.id] = HelpedForm(formdata=None, code=code, verdict=given.verdict if given else None,
                                      text=given.text if given else "", lang=given.text_lang if given else locale_code())
    return forms


def _status_page(view, form=None, message=None, status=200, helped_form=None):
    feedback = service.feedback_for(session=get_session(), experience=view.experience)
    return (
        render_template(
            "experiences/status.html",
            view=view,
            invitations=themes.invitations(session=get_session(), experience=view.experience, now=clock().now()),
            feedback=feedback,
            helped_forms=_helped_forms(view, feedback, form.code.data if form else "", helped_form),
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
    experience = _story_of(form)
    if experience is None:
        lookup = ReceiptForm(formdata=None, code=form.code.data)
        return _not_found(lookup)
    if not form.validate_on_submit():
        return _status_page(service.load_view(session=session, experience=experience), form, status=400)
    service.add_follow_up(session=session, experience=experience, text=form.text.data, lang=form.lang.data)
    fresh = FollowUpForm(story_max=_story_max(), formdata=None, code=form.code.data, lang=form.lang.data)
    return _status_page(service.load_view(session=session, experience=experience), fresh, message="follow_up_added")


@bp.route("/mine/helped", methods=["POST"])
@receipt_limit
def helped():
    """The family answers "did the change help?" about an answer marked "change made"."""
    form = HelpedForm()
    session = get_session()
    experience = _story_of(form)
    if experience is None:
        return _not_found(ReceiptForm(formdata=None, code=form.code.data))
    view = service.load_view(session=session, experience=experience)
    follow_up_form = FollowUpForm(story_max=_story_max(), formdata=None, code=form.code.data, lang=locale_code())
    if not form.validate_on_submit() or not (form.answer.data or "").isdecimal() or len(form.answer.data) > 9:
        return _status_page(view, follow_up_form, status=400, helped_form=form)
    try:
        service.tell_if_it_helped(session=session, experience=experience, answer_id=int(form.answer.data),
                                  verdict=form.verdict.data, text=form.text.data or "", lang=form.lang.data, now=clock().now())
    except service.NotAChangeMade:
        abort(400)
    return _status_page(view, follow_up_form, message="helped_saved")


@bp.route("/mine/stop-invitations", methods=["POST"])
@receipt_limit
def stop_invitations():
    form = DeleteForm()
    session = get_session()
    experience = _story_of(form)
    if experience is None or not form.validate_on_submit():
        return _not_found(ReceiptForm(formdata=None, code=form.code.data))
    service.stop_invitations(session=session, experience=experience)
    follow_up_form = FollowUpForm(story_max=_story_max(), formdata=None, code=form.code.data, lang=locale_code())
    return _status_page(service.load_view(session=session, experience=experience), follow_up_form, message="invitations_stopped")


@bp.route("/mine/delete", methods=["POST"])
@receipt_limit
def delete():
    form = DeleteForm()
    session = get_session()
    experience = _story_of(form)
    if experience is None or not form.validate_on_submit():
        return _not_found(ReceiptForm(formdata=None, code=form.code.data))
    if form.confirm.data != "yes":
        return render_template("experiences/confirm_delete.html", form=form)
    public_id = experience.public_id
    service.delete_experience(session=session, experience=experience,
                              min_stories=setting("UNIT_MIN_STORIES"))
    # That a story was deleted, never what it said (SECURITY.md 20).
    audit.record("story_deleted_by_family", "experience", public_id, actor="family")
    return render_template("experiences/deleted.html")
