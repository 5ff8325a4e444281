"""Families and volunteers find sessions, sign up, cancel and rate them."""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..extensions import limiter
from ..forms import honeypot_filled
from ..locales import LOCALES
from ..reference.models import Area
from ..themes import service as themes
from ..web import page_cache
from ..web.context import clock, links, locale_code, reference_choices, reference_names, setting
from ..web.db import get_session
from ..web.downloads import download
from ..web.limits import counts_against_limits, family_form
from ..web.templating import render_page
from . import calendar, notify, service, structured
from .forms import KIND_LABELS, FilterForm, RateForm, SignupForm
from .models import KINDS

bp = Blueprint("cocreation", __name__, url_prefix="/sessions")


def _filters() -> tuple[FilterForm, service.Filters]:
    form = FilterForm(request.args)
    form.area.choices = [("", "")] + reference_choices(Area)
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
    listed = service.upcoming(session=get_session(), filters=filters, now=clock().now())
    query = {k: v for k, v in request.args.items() if k in ("area", "kind", "language", "from_day") and v}
    page = render_page("cocreation/index.html", fragment="cocreation/_list.html", form=form, listed=listed,
                       kind_labels=KIND_LABELS, query=query)
    return page, 400 if form.from_day.errors else 200


def _calendar_response(cosessions, *, name: str, filename: str, inline: bool = False) -> Response:
    body = calendar.build(cosessions, session_url=lambda c: notify.session_url(links(), c), name=name, now=clock().now())
    return download(body, mimetype="text/calendar", filename=filename, inline=inline)


@bp.route("/calendar.ics")
def calendar_feed():
    form, filters = _filters()
    if form.from_day.errors:
        abort(400)
    listed = service.upcoming(session=get_session(), filters=filters, now=clock().now(), limit=500, cancelled_too=True)
    return _calendar_response([item.cosession for item in listed], name=gettext("Voice – co-creation sessions"),
                              filename="voice-sessions.ics", inline=True)


def _session_or_404(public_id: str):
    cosession = service.get_public(session=get_session(), public_id=public_id[:24])
    if cosession is None:
        abort(404)
    return cosession


def _signup_form(formdata=True):
    form = SignupForm(meta=page_cache.form_meta()) if formdata else SignupForm(formdata=None, meta=page_cache.form_meta())
    if request.method == "GET" or not formdata:
        form.form_token.data = page_cache.form_token()
        form.adults.data = 1
        form.children.data = 0
    return form


def _detail(cosession, form, status=200):
    db = get_session()
    languages = [LOCALES[code] for code in cosession.languages.split(",") if code in LOCALES]
    area = db.get(Area, cosession.area_id) if cosession.area_id else None
    organiser = db.get(User, cosession.organiser_id) if cosession.organiser_kind != "service" else None
    jsonld = structured.event(cosession, url=links()("cocreation.detail", public_id=cosession.public_id),
                              area=reference_names()(area) if area else None,
                              organiser=organiser.organisation if organiser else None,
                              languages=[info.tag for info in languages])
    return render_template(
        "cocreation/detail.html", cosession=cosession, form=form, places=service.places(cosession),
        services=service.services_of(session=db, cosession=cosession), languages=languages,
        area=area, jsonld=jsonld, kind_labels=KIND_LABELS,
        why=themes.themes_of_session(session=db, session_id=cosession.id, min_count=setting("DISCLOSURE_MIN_COUNT")), may_help=current_user.is_authenticated,
        # The sign-up answers at /signup (POST only): the language menu leads back to the session.
        language_path=url_for("cocreation.detail", public_id=cosession.public_id),
    ), status


@bp.route("/<public_id>")
def detail(public_id: str):
    return _detail(_session_or_404(public_id), _signup_form(formdata=False))


@bp.route("/<public_id>/calendar.ics")
def session_calendar(public_id: str):
    cosession = _session_or_404(public_id)
    return _calendar_response([cosession], name=cosession.title, filename=f"voice-{cosession.public_id}.ics")


@bp.route("/<public_id>/signup", methods=["POST"])
@family_form(per_browser="6 per hour;3 per minute", per_address="60 per hour")
def signup(public_id: str):
    db = get_session()
    cosession = _session_or_404(public_id)
    form = _signup_form()
    if honeypot_filled(form):
        abort(400)
    if not form.validate_on_submit():
        return _detail(cosession, form, 400)
    data = service.SignupInput(
        form_token=form.form_token.data or secrets.token_urlsafe(24), name=form.name.data,
        adults=form.adults.data or 0, children=form.children.data or 0, role=form.role.data,
        interpreter_lang=form.interpreter_lang.data or "", needs_childcare=bool(form.needs_childcare.data),
        accessibility=form.accessibility.data or "", phone=form.phone.data or None,
        email=form.email.data or None, page_lang=locale_code(),
    )
    signer = current_user.user if current_user.is_authenticated else None
    try:
        new_signup, token = service.sign_up(session=db, cosession=cosession, data=data, now=clock().now(), links=links(),
                                            signer=signer)
    except service.TooManyPersons as too_many:
        db.rollback()
        most = too_many.args[0]
        form.adults.errors.append(ngettext(
            "One sign-up can bring at most %(num)d person. For more, contact the organiser.",
            "One sign-up can bring at most %(num)d persons. For more, contact the organiser.", most))
        return _detail(cosession, form, 400)
    except service.SignupClosed:
        return render_template("cocreation/closed.html", cosession=cosession), 409
    except (service.AlreadySignedUp, IntegrityError):
        db.rollback()
        return render_template("cocreation/already.html", cosession=cosession), 409
    counts_against_limits()
    return render_template("cocreation/signed_up.html", cosession=cosession, signup=new_signup,
                           manage_url=links()("cocreation.manage_link", token=token), **_asked(new_signup))


def _asked(signup_row) -> dict:
    """What the family asked for, to repeat back to them."""
    code = signup_row.interpreter_lang
    interpreter = LOCALES[code] if code in LOCALES else None
    return {"interpreter": interpreter, "other_interpreter": bool(code) and interpreter is None}


# The private link carries its token once: it goes into this browser's session and the browser
# is sent on to /sessions/signup, so the token stays out of the address bar, the history and
# every later log line (the access log is redacted, voice/web/accesslog.py).
SIGNUP_TOKEN = "signup_token"


def _signup_or_404():
    found = service.find_signup(session=get_session(), token=(session.get(SIGNUP_TOKEN) or "")[:64])
    if found is None:
        abort(404)
    return found


def _manage_page(signup_row, cosession, rate_form=None, status=200):
    now = clock().now()
    return render_template(
        "cocreation/manage.html", signup=signup_row, cosession=cosession,
        rate_form=rate_form or RateForm(formdata=None), may_rate=service.may_rate(signup_row, cosession, now=now),
        may_cancel=service.may_cancel(signup_row, cosession, now=now), **_asked(signup_row),
    ), status


@bp.route("/signup/<token>", methods=["GET"])
def manage_link(token: str):
    session[SIGNUP_TOKEN] = token[:64]
    return redirect(url_for("cocreation.manage"))


@bp.route("/signup", methods=["GET"])
def manage():
    signup_row, cosession = _signup_or_404()
    return _manage_page(signup_row, cosession)


@bp.route("/signup/cancel", methods=["POST"])
@limiter.limit("20 per hour")
def cancel():
    signup_row, cosession = _signup_or_404()
    if not FlaskForm().validate_on_submit():
        abort(400)
    service.cancel_signup(session=get_session(), signup=signup_row, cosession=cosession, now=clock().now(), links=links())
    return render_template("cocreation/cancelled.html", cosession=cosession)


@bp.route("/signup/rate", methods=["POST"])
@limiter.limit("20 per hour")
def rate():
    signup_row, cosession = _signup_or_404()
    form = RateForm()
    if not form.validate_on_submit():
        return _manage_page(signup_row, cosession, rate_form=form, status=400)
    value = None if form.usefulness.data == "dont-know" else int(form.usefulness.data)
    if not service.rate(session=get_session(), signup=signup_row, cosession=cosession, usefulness=value, now=clock().now()):
        abort(409)
    return render_template("cocreation/rated.html", cosession=cosession)
