"""Staff and partner login with a second factor, logout, passwords, invitations."""
from __future__ import annotations

import io
import time

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from ..extensions import limiter
from ..web import audit
from ..web.context import clock, hasher
from ..web.db import get_session
from ..web.login import LoggedIn, roles_required
from . import service
from .forms import ChangePasswordForm, CodeForm, DigestForm, LoginForm, ResetPasswordForm, SetPasswordForm
from .models import ROLES, STAFF_ROLES, User

bp = Blueprint("accounts", __name__, url_prefix="/staff")
PENDING = "pending_login"
PENDING_SECONDS = 300


def _account_key() -> str:
    """Throttle per account as well as per address (SECURITY.md 4)."""
    email = service.normalise_email(request.form.get("email", ""))
    if not email and session.get(PENDING):
        email = f"pending:{session[PENDING]['uid']}"
    return f"account:{email}"


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (SECURITY.md 10)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def home_for(user: User) -> str:
    return url_for("moderation.queue") if user.may_moderate else url_for("accounts.home")


def _finish_login(user: User):
    db = get_session()
    next_url = safe_next(session.get(PENDING, {}).get("next"))
    session.clear()  # a fresh session (and CSRF token) at every login
    token = service.start_session(session=db, user=user, now=clock().now())
    login_user(LoggedIn(user, token))
    audit.record("login", actor=user)
    return redirect(next_url or home_for(user))


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    return get_session().get(User, pending["uid"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per 15 minutes", methods=["POST"])
@limiter.limit("10 per 15 minutes", key_func=_account_key, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        return render_template("accounts/login.html", form=form)
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 400
    user = service.authenticate(session=get_session(), email=form.email.data, password=form.password.data, hasher=hasher())
    if user is None:
        audit.record_always("login_failed", actor=service.normalise_email(form.email.data)[:254])
        form.password.errors = [gettext("The e-mail address or the password is wrong.")]
        return render_template("accounts/login.html", form=form), 400
    if not user.needs_second_factor:
        session[PENDING] = {"uid": user.id, "at": time.time(), "next": form.next.data}
        return _finish_login(user)
    session.clear()
    session[PENDING] = {"uid": user.id, "at": time.time(), "next": safe_next(form.next.data)}
    if not user.totp_enabled:
        session["enrol_secret"] = service.new_totp_secret()
        return redirect(url_for("accounts.enrol"))
    return redirect(url_for("accounts.second_factor"))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", key_func=_account_key, methods=["POST"])
def second_factor():
    user = _pending_user()
    if user is None or not user.totp_enabled:
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if request.method == "POST" and form.validate_on_submit():
        if service.accept_totp(session=get_session(), user=user, code=form.code.data, now=clock().now()):
            return _finish_login(user)
        audit.record_always("login_failed", detail={"step": "second_factor"}, actor=user)
        form.code.errors = [gettext("The code is wrong or too old. Enter the newest code from the app.")]
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/code.html", form=form), status


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", key_func=_account_key, methods=["POST"])
def enrol():
    user = _pending_user()
    secret = session.get("enrol_secret")
    if user is None or secret is None or user.totp_enabled:
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if request.method == "POST" and form.validate_on_submit():
        if service.enrol_totp(session=get_session(), user=user, secret=secret, code=form.code.data, now=clock().now()):
            audit.record("second_factor_enrolled", actor=user)
            return _finish_login(user)
        form.code.errors = [gettext("The code is wrong or too old. Enter the newest code from the app.")]
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/enrol.html", form=form, secret=secret), status


@bp.route("/enrol/qr.svg")
def enrol_qr():
    user = _pending_user()
    secret = session.get("enrol_secret")
    if user is None or secret is None:
        abort(404)
    image = qrcode.make(service.totp_uri(user, secret), image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return Response(buffer.getvalue(), mimetype="image/svg+xml")


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        service.end_session(session=get_session(), token=current_user.token, now=clock().now())
        audit.record("logout", actor=current_user.user)
    logout_user()
    session.clear()
    return redirect(url_for("core.home"))


@bp.route("/")
@roles_required(*ROLES)
def home():
    return render_template("accounts/home.html", digest_form=DigestForm(formdata=None, wants_digest=g.account.wants_digest))


@bp.route("/digest", methods=["POST"])
@roles_required(*STAFF_ROLES)
def digest_setting():
    form = DigestForm()
    if not form.validate_on_submit():
        abort(400)
    g.account.wants_digest = bool(form.wants_digest.data)
    get_session().add(g.account)
    audit.record("digest_setting_changed", "user", g.account.id, {"wants_digest": g.account.wants_digest})
    return redirect(url_for("accounts.home"))


@bp.route("/password", methods=["GET", "POST"])
@roles_required(*ROLES)
def change_password():
    form = ChangePasswordForm()
    user = current_user.user
    form._email = user.email
    if request.method == "POST" and form.validate_on_submit():
        ended = service.change_password(session=get_session(), user=user, current=form.current.data, new=form.password.data,
                                        hasher=hasher(), keep_token=current_user.token, now=clock().now())
        if ended is None:
            form.current.errors = [gettext("The current password is wrong.")]
        else:
            audit.record("password_changed", "user", user.id, {"other_sessions_ended": ended})
            return render_template("accounts/password_changed.html")
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/password.html", form=form), status


def _invitation_page(token: str, purpose: str):
    db = get_session()
    invitation = service.find_invitation(session=db, token=token, purpose=purpose, now=clock().now())
    if invitation is None:
        return render_template("accounts/link_invalid.html"), 404
    form = SetPasswordForm() if purpose == "invite" else ResetPasswordForm()
    form._email = invitation.email
    if request.method == "GET" and purpose == "invite":
        form.display_name.data = invitation.display_name
    if request.method == "POST" and form.validate_on_submit():
        name = form.display_name.data if purpose == "invite" else ""
        try:
            user = service.accept_invitation(session=db, invitation=invitation, password=form.password.data,
                                             display_name=name, hasher=hasher(), now=clock().now())
        except service.AccountExists:
            return render_template("accounts/link_invalid.html"), 409
        audit.record("invitation_accepted" if purpose == "invite" else "password_reset", "user", user.id, actor=user)
        return redirect(url_for("accounts.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/set_password.html", form=form, invitation=invitation, purpose=purpose), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def accept_invitation(token):
    return _invitation_page(token, "invite")


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_password(token):
    return _invitation_page(token, "reset")
