"""Partners and staff organise sessions; staff approve and cancel."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from ..accounts.models import ORGANISER_ROLES, STAFF_ROLES
from ..forms import PurposeForm
from ..reference.models import Area, Service
from ..spreadsheet import csv_text
from ..themes import service as themes
from ..web import audit
from ..web.context import clock, links, locale_code, page_translator, reference_choices
from ..web.db import get_session
from ..web.downloads import download
from ..web.login import roles_required
from . import service
from .forms import KIND_LABELS, SESSION_STATUS_LABELS, SIGNUP_STATUS_LABELS, CancelSessionForm, OutcomeForm, SessionForm

bp = Blueprint("organise", __name__, url_prefix="/organise")


def _session_form(formdata=True):
    db = get_session()
    form = SessionForm() if formdata else SessionForm(formdata=None)
    form.area.choices = [("", "")] + reference_choices(Area)
    form.services.choices = reference_choices(Service)
    form.themes.choices = [(str(t.id), t.title) for t in themes.all_themes(session=db) if t.status != "closed"]
    if not formdata:
        form.languages.data = [locale_code()]
        form.text_lang.data = locale_code()
        form.repeat_weeks.data = 1
        theme = themes.get_by_id(session=db, theme_id=request.args.get("theme", ""))
        if theme is not None:  # "Plan a session about this theme": filled in from the theme
            tags = themes.tags_of(session=db, theme_ids=[theme.id])[theme.id]
            form.title.data, form.description.data, form.text_lang.data = theme.title, theme.description, theme.lang
            form.services.data = [s.slug for s in tags["service"]]
            form.area.data = tags["area"][0].slug if tags["area"] else ""
            form.themes.data = [str(theme.id)]
    return form


@bp.route("/")
@roles_required(*ORGANISER_ROLES)
def mine():
    db = get_session()
    pending = service.pending_approval(session=db) if g.account.is_staff else []
    return render_template("cocreation/organise/mine.html", cosessions=service.organised_by(session=db, user=g.account),
                           pending=pending, kind_labels=KIND_LABELS, status_labels=SESSION_STATUS_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ORGANISER_ROLES)
def new():
    form = _session_form(formdata=request.method == "POST")
    if request.method == "POST" and form.validate_on_submit():
        db = get_session()
        cosessions = service.create_sessions(session=db, organiser=g.account, data=service.SessionInput(
            title=form.title.data, description=form.description.data, kind=form.kind.data, venue=form.venue.data,
            day=form.day.data, start_time=form.start_time.data, end_time=form.end_time.data, capacity=form.capacity.data,
            area_slug=form.area.data or None, languages=form.languages.data, interpreter=bool(form.interpreter.data),
            childcare=bool(form.childcare.data), step_free=bool(form.step_free.data), cost=form.cost.data or "",
            service_slugs=form.services.data or [], repeat_weeks=form.repeat_weeks.data or 1, text_lang=form.text_lang.data,
            max_per_signup=form.max_per_signup.data or 6,
            theme_ids=[int(t) for t in form.themes.data or [] if t.isdecimal() and len(t) < 10],
        ))
        audit.record("session_created", "session", cosessions[0].public_id, {"count": len(cosessions), "status": cosessions[0].status})
        if cosessions[0].status == "published":  # a weekly series: one e-mail, about its first meeting
            themes.invite_by_email(session=db, cosession=cosessions[0], links=links())
        return redirect(url_for("organise.manage", public_id=cosessions[0].public_id))
    return render_template("cocreation/organise/new.html", form=form), 400 if request.method == "POST" else 200


def _organised_or_403(public_id: str):
    db = get_session()
    cosession = service.get_any(session=db, public_id=public_id[:24])
    if cosession is None:
        abort(404)
    if not service.may_organise(g.account, cosession, service.partner_ids(session=db, cosession=cosession)):
        audit.record_always("access_denied", "session", cosession.public_id)
        abort(403)
    return cosession


def _manage_page(cosession, cancel_form=None, outcome_form=None, status=200):
    db = get_session()
    outcome_form = outcome_form or OutcomeForm(formdata=None, outcome=cosession.outcome)
    return render_template(
        "cocreation/organise/manage.html", cosession=cosession, signups=service.signups_of(session=db, cosession=cosession),
        counts=service.counts(session=db, cosession=cosession), cancel_form=cancel_form or CancelSessionForm(formdata=None),
        outcome_form=outcome_form, kind_labels=KIND_LABELS, is_staff=g.account.is_staff, now=clock().now(),
        status_labels=SESSION_STATUS_LABELS, signup_labels=SIGNUP_STATUS_LABELS,
    ), status


@bp.route("/<public_id>")
@roles_required(*ORGANISER_ROLES)
def manage(public_id: str):
    return _manage_page(_organised_or_403(public_id))


@bp.route("/<public_id>/approve", methods=["POST"])
@roles_required(*STAFF_ROLES)
def approve(public_id: str):
    cosession = _organised_or_403(public_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    service.approve(session=get_session(), cosession=cosession, staff=g.account)
    audit.record("session_approved", "session", cosession.public_id)
    themes.invite_by_email(session=get_session(), cosession=cosession, links=links())  # families who asked to hear
    return redirect(url_for("organise.manage", public_id=cosession.public_id))


@bp.route("/<public_id>/cancel", methods=["POST"])
@roles_required(*ORGANISER_ROLES)
def cancel(public_id: str):
    db = get_session()
    cosession = _organised_or_403(public_id)
    form = CancelSessionForm()
    if not form.validate_on_submit():
        return _manage_page(cosession, cancel_form=form, status=400)
    told = service.cancel_session(session=db, cosession=cosession, reason=form.reason.data, links=links(), now=clock().now())
    audit.record("session_cancelled", "session", cosession.public_id, {"told": told})
    return redirect(url_for("organise.manage", public_id=cosession.public_id))


@bp.route("/<public_id>/outcome", methods=["POST"])
@roles_required(*ORGANISER_ROLES)
def outcome(public_id: str):
    cosession = _organised_or_403(public_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _manage_page(cosession, outcome_form=form, status=400)
    service.record_outcome(session=get_session(), cosession=cosession, outcome=form.outcome.data)
    audit.record("session_outcome_recorded", "session", cosession.public_id)
    return redirect(url_for("organise.manage", public_id=cosession.public_id))


@bp.route("/<public_id>/attendance", methods=["POST"])
@roles_required(*ORGANISER_ROLES)
def attendance(public_id: str):
    cosession = _organised_or_403(public_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    attended = {int(value) for value in request.form.getlist("attended") if value.isdecimal()}
    service.mark_attendance(session=get_session(), cosession=cosession, attended_ids=attended)
    return redirect(url_for("organise.manage", public_id=cosession.public_id))


@bp.route("/<public_id>/signups.csv", methods=["GET", "POST"])
@roles_required(*ORGANISER_ROLES)
def signups_csv(public_id: str):
    """The organiser's list: names and needs, never phone numbers or e-mail addresses;
    given after the organiser says why (logged, SECURITY.md 20)."""
    cosession = _organised_or_403(public_id)
    form = PurposeForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("cocreation/organise/signups_export.html", cosession=cosession, form=form), status
    rows = service.signup_list(session=get_session(), cosession=cosession, words=page_translator())
    audit.record("signups_exported", "session", cosession.public_id, {"purpose": form.purpose.data})
    return download(csv_text(rows), mimetype="text/csv", filename=f"signups-{cosession.public_id}.csv")
