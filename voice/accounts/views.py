"""Staff and partner login with a second factor, logout, passwords, invitations."""
from __future__ import annotations

import io
from urllib.parse import unquote, urlsplit

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from ..extensions import limiter
from ..web import audit
from ..web.context import clock, hasher, keyed
from ..web.db import always, get_session
from ..web.jobs import worker_late_minutes
from ..web.login import LoggedIn, roles_required
from . import service
from .forms import ChangePasswordForm, CodeForm, DigestForm, LoginForm, ResetPasswordForm, SetPasswordForm
from .models import ROLES, STAFF_ROLES, User

bp = Blueprint("accounts", __name__, url_prefix="/staff")
ATTEMPT = "login_attempt"  # the cookie holds only the token of the half-done login
_BROWSER_DROPS = str.maketrans("", "", "\t\n\r")  # browsers remove these anywhere in a URL


def _account_key() -> str:
    """The login step is throttled per account as well as per address (SECURITY.md 4)."""
    return "account:" + keyed(service.normalise_email(request.form.get("email", "")))


def _attempt() -> service.LoginAttempt | None:
    if "login_attempt_row" not in g:
        g.login_attempt_row = service.find_login_attempt(session=get_session(), token=session.get(ATTEMPT),
                                                         now=clock().now())
    return g.login_attempt_row


def _attempt_key() -> str:
    """The second step is throttled on the half-done login's account, held server-side,
    never on anything the browser sends (SECURITY.md 4)."""
    attempt = _attempt()
    return f"account-id:{attempt.user_id}" if attempt else "account-id:none"


def safe_next(target: str | None) -> str | None:
    """Only a path on this site, after the normalisation browsers apply (SECURITY.md 10):
    tabs and line breaks are dropped, a backslash counts as a slash."""
    if not target:
        return None
    cleaned = target.translate(_BROWSER_DROPS)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in cleaned):
        return None
    cleaned = cleaned.replace("\\", "/")
    decoded = unquote(cleaned).replace("\\", "/")
    if not cleaned.startswith("/") or cleaned.startswith("//") or decoded.startswith("//"):
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return None
    return cleaned


def home_for(user: User) -> str:
    return url_for(user.home_endpoint)


def _finish_login(user: User, next_url: str | None):
    db = get_session()
    next_url = safe_next(next_url)
    session.clear()  # a fresh session (and CSRF token) at every login
    token = service.start_session(session=db, user=user, now=clock().now())
    login_user(LoggedIn(user, token))
    audit.record("login", actor=user)
    return redirect(next_url or home_for(user))


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
    db = get_session()
    user = service.authenticate(session=db, email=form.email.data, password=form.password.data, hasher=hasher())
    if user is None:
        # The identifier is kept only when it names an account: a password typed into
        # the e-mail field is never stored (SECURITY.md 21).
        known = service.get_by_email(session=db, email=form.email.data)
        label = known.email if known else "unknown:" + keyed(service.normalise_email(form.email.data))
        audit.record_always("login_failed", actor=label)
        form.password.errors = [gettext("The e-mail address or the password is wrong.")]
        return render_template("accounts/login.html", form=form), 400
    if not user.needs_second_factor:
        return _finish_login(user, form.next.data)
    session.clear()
    session[ATTEMPT] = service.start_login_attempt(session=db, user=user, now=clock().now(),
                                                   next_url=safe_next(form.next.data) or "")
    return redirect(url_for("accounts.second_factor" if user.totp_enabled else "accounts.enrol"))


def _code_step(template: str, *, enrolling: bool):
    """The authenticator step (to log in, or to set the app up at the first login)."""
    attempt = _attempt()
    user = get_session().get(User, attempt.user_id) if attempt else None
    if user is None or enrolling != (not user.totp_enabled):
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if request.method == "POST" and form.validate_on_submit():
        db, now = get_session(), clock().now()
        ok = (service.enrol_totp(session=db, user=user, secret=attempt.enrol_secret, code=form.code.data, now=now)
              if enrolling else service.accept_totp(session=db, user=user, code=form.code.data, now=now))
        if ok:
            if enrolling:
                audit.record("second_factor_enrolled", actor=user)
            next_url = attempt.next_url
            service.end_login_attempt(session=db, attempt=attempt)
            return _finish_login(user, next_url)
        attempt_id, left = attempt.id, service.MAX_CODE_FAILURES - attempt.failures - 1
        always(lambda db: service.count_code_failure(session=db, attempt_id=attempt_id))
        audit.record_always("login_failed", detail={"step": "second_factor", "left": left}, actor=user)
        if left <= 0:
            audit.record_always("second_factor_locked", actor=user)
            session.pop(ATTEMPT, None)
            return render_template("accounts/code_locked.html"), 429
        form.code.errors = [gettext("The code is wrong or too old. Enter the newest code from the app.")]
    status = 400 if request.method == "POST" else 200
    return render_template(template, form=form, secret=attempt.enrol_secret), status


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("30 per 15 minutes", methods=["POST"])
@limiter.limit("10 per 15 minutes", key_func=_attempt_key, methods=["POST"])
def second_factor():
    return _code_step("accounts/code.html", enrolling=False)


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit("30 per 15 minutes", methods=["POST"])
@limiter.limit("10 per 15 minutes", key_func=_attempt_key, methods=["POST"])
def enrol():
    return _code_step("accounts/enrol.html", enrolling=True)


@bp.route("/enrol/qr.svg")
def enrol_qr():
    attempt = _attempt()
    user = get_session().get(User, attempt.user_id) if attempt else None
    if user is None or attempt.enrol_secret is None:
        abort(404)
    image = qrcode.make(service.totp_uri(user, attempt.enrol_secret), image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return Response(buffer.getvalue(), mimetype="image/svg+xml")


@bp.route("/logout", methods=["POST"])
def logout():
    id_token = None
    if current_user.is_authenticated:
        id_token = service.end_session(session=get_session(), token=current_user.token, now=clock().now())
        audit.record("logout", actor=current_user.user)
    logout_user()
    session.clear()
    if id_token and current_app.config.get("OIDC_ISSUER"):
        session["oidc_logout_hint"] = id_token  # the provider's session ends next (oidc_views)
        return redirect(url_for("oidc.provider_logout"))
    return redirect(url_for("core.home"))


@bp.route("/")
@roles_required(*ROLES)
def home():
    return render_template("accounts/home.html", digest_form=DigestForm(formdata=None, wants_digest=g.account.wants_digest),
                           worker_late=worker_late_minutes() if g.account.is_staff else None)


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


def _password_change_key() -> str:
    return f"password-change:{current_user.id}" if current_user.is_authenticated else "password-change:none"


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", key_func=_password_change_key, methods=["POST"])
@roles_required(*ROLES)
def change_password():
    form = ChangePasswordForm()
    user = current_user.user
    if not user.has_voice_password:
        abort(404)  # the municipal login's password is changed there
    form._email = user.email
    if request.method == "POST" and form.validate_on_submit():
        ended = service.change_password(session=get_session(), user=user, current=form.current.data, new=form.password.data,
                                        hasher=hasher(), keep_token=current_user.token, now=clock().now())
        if ended is None:
            audit.record_always("password_change_failed", "user", user.id, actor=user)
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
        session.pop(LINK, None)
        return redirect(url_for("accounts.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/set_password.html", form=form, invitation=invitation, purpose=purpose), status


# A link from an e-mail carries its token once: it is put in this browser's session and the
# browser is sent on to an address without it, so the token stays out of the address bar,
# the history, the Referer and every later log line (the access log is redacted, see
# voice/web/accesslog.py).
LINK = "link_token"


def _take_link(purpose: str, token: str, endpoint: str):
    session[LINK] = {"purpose": purpose, "token": token[:128]}
    return redirect(url_for(endpoint))


def _link_token(purpose: str) -> str:
    link = session.get(LINK) or {}
    return link.get("token", "") if link.get("purpose") == purpose else ""


@bp.route("/invitation/<token>")
def invitation_link(token):
    return _take_link("invite", token, "accounts.accept_invitation")


@bp.route("/reset/<token>")
def reset_link(token):
    return _take_link("reset", token, "accounts.reset_password")


@bp.route("/invitation", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def accept_invitation():
    return _invitation_page(_link_token("invite"), "invite")


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_password():
    return _invitation_page(_link_token("reset"), "reset")
