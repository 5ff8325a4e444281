"""Partners and staff organise sessions; staff approve and cancel."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from ..accounts import audit
from ..accounts.auth import roles_required
from ..db import get_session
from ..moderation.export import neutralise
from ..reference.models import Area, Service
from ..reference.service import choices
from . import notify, service
from .forms import KIND_LABELS, SESSION_STATUS_LABELS, SIGNUP_STATUS_LABELS, CancelSessionForm, OutcomeForm, SessionForm

bp = Blueprint("organise", __name__, url_prefix="/organise")
ORGANISERS = ("partner", "moderator", "admin")
STAFF = ("moderator", "admin")


def _session_form(formdata=True):
    db = get_session()
    form = SessionForm() if formdata else SessionForm(formdata=None)
    form.area.choices = [("", "")] + choices(Area, session=db)
    form.services.choices = choices(Service, session=db)
    if not formdata:
        form.languages.data = [g.locale.code]
        form.text_lang.data = g.locale.code
        form.repeat_weeks.data = 1
    return form


@bp.route("/")
@roles_required(*ORGANISERS)
def mine():
    db = get_session()
    pending = service.pending_approval(session=db) if g.account.role in STAFF else []
    return render_template("cocreation/organise/mine.html", rows=service.organised_by(session=db, user=g.account),
                           pending=pending, kind_labels=KIND_LABELS, status_labels=SESSION_STATUS_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ORGANISERS)
def new():
    form = _session_form(formdata=request.method == "POST")
    if request.method == "POST" and form.validate_on_submit():
        db = get_session()
        rows = service.create_sessions(session=db, organiser=g.account, data=service.SessionInput(
            title=form.title.data, description=form.description.data, kind=form.kind.data, venue=form.venue.data,
            day=form.day.data, start_time=form.start_time.data, end_time=form.end_time.data, capacity=form.capacity.data,
            area_slug=form.area.data or None, languages=form.languages.data, interpreter=bool(form.interpreter.data),
            childcare=bool(form.childcare.data), step_free=bool(form.step_free.data), cost=form.cost.data or "",
            service_slugs=form.services.data or [], repeat_weeks=form.repeat_weeks.data or 1, text_lang=form.text_lang.data,
        ))
        audit.record(db, g.account, "session_created", "session", rows[0].public_id, {"count": len(rows), "status": rows[0].status})
        return redirect(url_for("organise.manage", public_id=rows[0].public_id))
    return render_template("cocreation/organise/new.html", form=form), 400 if request.method == "POST" else 200


def _organised_or_403(public_id: str):
    db = get_session()
    row = service.get_any(session=db, public_id=public_id[:24])
    if row is None:
        abort(404)
    if not service.can_organise(g.account, row, service.partner_ids(session=db, session_row=row)):
        audit.record_now(g.account, "access_denied", "session", row.public_id)
        abort(403)
    return row


def _manage_page(row, cancel_form=None, outcome_form=None, status=200):
    db = get_session()
    outcome_form = outcome_form or OutcomeForm(formdata=None, outcome=row.outcome)
    return render_template(
        "cocreation/organise/manage.html", row=row, signups=service.signups_of(session=db, row=row),
        counts=service.counts(session=db, row=row), cancel_form=cancel_form or CancelSessionForm(formdata=None),
        outcome_form=outcome_form, kind_labels=KIND_LABELS, is_staff=g.account.role in STAFF, now=service.utcnow(),
        status_labels=SESSION_STATUS_LABELS, signup_labels=SIGNUP_STATUS_LABELS,
    ), status


@bp.route("/<public_id>")
@roles_required(*ORGANISERS)
def manage(public_id: str):
    return _manage_page(_organised_or_403(public_id))


@bp.route("/<public_id>/approve", methods=["POST"])
@roles_required(*STAFF)
def approve(public_id: str):
    row = _organised_or_403(public_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    service.approve(session=get_session(), row=row, staff=g.account)
    audit.record(get_session(), g.account, "session_approved", "session", row.public_id)
    return redirect(url_for("organise.manage", public_id=row.public_id))


@bp.route("/<public_id>/cancel", methods=["POST"])
@roles_required(*ORGANISERS)
def cancel(public_id: str):
    db = get_session()
    row = _organised_or_403(public_id)
    form = CancelSessionForm()
    if not form.validate_on_submit():
        return _manage_page(row, cancel_form=form, status=400)
    for person in service.cancel_session(session=db, row=row, reason=form.reason.data):
        notify.tell(session=db, signup=person, row=row, template="session_cancelled")
    audit.record(db, g.account, "session_cancelled", "session", row.public_id)
    return redirect(url_for("organise.manage", public_id=row.public_id))


@bp.route("/<public_id>/outcome", methods=["POST"])
@roles_required(*ORGANISERS)
def outcome(public_id: str):
    row = _organised_or_403(public_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _manage_page(row, outcome_form=form, status=400)
    service.record_outcome(session=get_session(), row=row, outcome=form.outcome.data)
    audit.record(get_session(), g.account, "session_outcome_recorded", "session", row.public_id)
    return redirect(url_for("organise.manage", public_id=row.public_id))


@bp.route("/<public_id>/attendance", methods=["POST"])
@roles_required(*ORGANISERS)
def attendance(public_id: str):
    row = _organised_or_403(public_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    attended = {int(value) for value in request.form.getlist("attended") if value.isdigit()}
    service.mark_attendance(session=get_session(), row=row, attended_ids=attended)
    return redirect(url_for("organise.manage", public_id=row.public_id))


@bp.route("/<public_id>/signups.csv")
@roles_required(*ORGANISERS)
def signups_csv(public_id: str):
    """The organiser's list: names and needs, never phone numbers or e-mail addresses."""
    row = _organised_or_403(public_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "status", "role", "adults", "children", "interpreter", "childcare", "other needs", "attended"])
    for s in service.signups_of(session=get_session(), row=row):
        writer.writerow([neutralise(v) for v in (s.name, s.status, s.role, s.adults, s.children, s.interpreter_lang,
                                                 "yes" if s.needs_childcare else "", s.accessibility,
                                                 "" if s.attended is None else ("yes" if s.attended else "no"))])
    audit.record(get_session(), g.account, "signups_exported", "session", row.public_id)
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=signups-{row.public_id}.csv"})
