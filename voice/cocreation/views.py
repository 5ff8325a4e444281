"""Families and volunteers find sessions, sign up, cancel and rate them."""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, g, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from ..db import get_session
from ..extensions import limiter
from ..forms import honeypot_filled
from ..i18n import LOCALES
from ..reference.models import Area
from ..reference.service import choices
from . import calendar, notify, service
from .forms import KIND_LABELS, FilterForm, RateForm, SignupForm
from .models import KINDS

bp = Blueprint("cocreation", __name__, url_prefix="/sessions")


def _filters() -> tuple[FilterForm, service.Filters]:
    form = FilterForm(request.args)
    form.area.choices = [("", "")] + choices(Area, session=get_session())
    form.kind.choices = [("", "")] + [(k, KIND_LABELS[k]) for k in KINDS]
    form.language.choices = [("", "")] + [(i.code, i.native_name) for i in LOCALES.values()]
    valid = form.validate()
    pick = lambda field: field.data if field.data and not field.errors else None  # noqa: E731
    return form, service.Filters(
        area=pick(form.area), kind=pick(form.kind), language=pick(form.language),
        from_day=form.from_day.data if valid or not form.from_day.errors else None,
    )


@bp.route("/")
def index():
    form, filters = _filters()
    rows = service.upcoming(session=get_session(), filters=filters)
    query = {k: v for k, v in request.args.items() if k in ("area", "kind", "language", "from_day") and v}
    template = "cocreation/_list.html" if request.htmx and not request.htmx.boosted else "cocreation/index.html"
    return render_template(template, form=form, rows=rows, kind_labels=KIND_LABELS, query=query)


@bp.route("/calendar.ics")
def calendar_feed():
    _form, filters = _filters()
    rows = [row for row, _area in service.upcoming(session=get_session(), filters=filters, limit=500)]
    body = calendar.build(rows, url_for_session=notify.session_url, name="Voice – samskaping")
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": "inline; filename=voice-sessions.ics"})


def _session_or_404(public_id: str):
    row = service.get_public(session=get_session(), public_id=public_id[:24])
    if row is None:
        abort(404)
    return row


def _signup_form(formdata=True):
    form = SignupForm() if formdata else SignupForm(formdata=None)
    if request.method == "GET" or not formdata:
        form.form_token.data = secrets.token_urlsafe(24)
        form.adults.data = 1
        form.children.data = 0
    return form


def _detail(row, form, status=200):
    db = get_session()
    is_staff_or_partner = current_user.is_authenticated
    return render_template(
        "cocreation/detail.html", row=row, form=form, counts=service.counts(session=db, row=row),
        services=service.services_of(session=db, row=row), area=db.get(Area, row.area_id) if row.area_id else None,
        kind_labels=KIND_LABELS, may_help=is_staff_or_partner, locales=LOCALES,
    ), status


@bp.route("/<public_id>")
def detail(public_id: str):
    return _detail(_session_or_404(public_id), _signup_form(formdata=False))


@bp.route("/<public_id>/calendar.ics")
def session_calendar(public_id: str):
    row = _session_or_404(public_id)
    body = calendar.build([row], url_for_session=notify.session_url, name=row.title)
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": f"attachment; filename=voice-{row.public_id}.ics"})


@bp.route("/<public_id>/signup", methods=["POST"])
@limiter.limit("10 per hour;3 per minute")
def signup(public_id: str):
    db = get_session()
    row = _session_or_404(public_id)
    form = _signup_form()
    if honeypot_filled(form):
        abort(400)
    if not form.validate_on_submit():
        return _detail(row, form, 400)
    role = form.role.data if current_user.is_authenticated else "participant"
    data = service.SignupInput(
        form_token=form.form_token.data or secrets.token_urlsafe(24), name=form.name.data,
        adults=form.adults.data or 0, children=form.children.data or 0, role=role,
        interpreter_lang=form.interpreter_lang.data or "", needs_childcare=bool(form.needs_childcare.data),
        accessibility=form.accessibility.data or "", phone=form.phone.data or None,
        email=form.email.data or None, page_lang=g.locale.code,
    )
    try:
        new_signup, token = service.sign_up(session=db, row=row, data=data)
    except service.SignupClosed:
        return render_template("cocreation/closed.html", row=row), 409
    except (service.AlreadySignedUp, IntegrityError):
        db.rollback()
        return render_template("cocreation/already.html", row=row), 409
    notify.tell(session=db, signup=new_signup, row=row, template="signup_confirmed", token=token)
    return render_template("cocreation/signed_up.html", row=row, signup=new_signup,
                           manage_url=url_for("cocreation.manage", token=token, _external=True))


def _signup_or_404(token: str):
    found = service.find_signup(session=get_session(), token=token[:64])
    if found is None:
        abort(404)
    return found


@bp.route("/signup/<token>", methods=["GET"])
def manage(token: str):
    signup_row, row = _signup_or_404(token)
    return render_template("cocreation/manage.html", signup=signup_row, row=row, token=token,
                           rate_form=RateForm(formdata=None), now=service.utcnow())


@bp.route("/signup/<token>/cancel", methods=["POST"])
@limiter.limit("20 per hour")
def cancel(token: str):
    db = get_session()
    signup_row, row = _signup_or_404(token)
    if not FlaskForm().validate_on_submit():
        abort(400)
    promoted = service.cancel_signup(session=db, signup=signup_row, row=row)
    for person in promoted:
        notify.tell(session=db, signup=person, row=row, template="signup_promoted")
    return render_template("cocreation/cancelled.html", row=row)


@bp.route("/signup/<token>/rate", methods=["POST"])
@limiter.limit("20 per hour")
def rate(token: str):
    db = get_session()
    signup_row, row = _signup_or_404(token)
    form = RateForm()
    if not form.validate_on_submit():
        return render_template("cocreation/manage.html", signup=signup_row, row=row, token=token, rate_form=form, now=service.utcnow()), 400
    value = None if form.usefulness.data == "dont-know" else int(form.usefulness.data)
    if not service.rate(session=db, signup=signup_row, row=row, usefulness=value):
        abort(409)
    return render_template("cocreation/rated.html", row=row)
