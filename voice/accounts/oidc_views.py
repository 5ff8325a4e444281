"""Staff sign in with the municipality's own login (OpenID Connect), when OIDC_ISSUER is set.

Authlib does the protocol: discovery from the issuer's /.well-known/openid-configuration, the
authorization code flow with PKCE (S256), ``state`` and ``nonce`` kept in the session and used
once, the ID token's signature (the provider's JWKS, fetched again on an unknown key id), issuer,
audience and expiry. voice/accounts/oidc.py turns the checked claims into the Voice account.
Every failure is a page in the person's language and an audit entry, never a 500.
"""
from __future__ import annotations

import logging

from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.jose.errors import JoseError
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import login_user
from joserfc.errors import JoseError as RfcJoseError  # what Authlib 1.7+ raises for a bad ID token
from requests.exceptions import RequestException

from ..web import audit
from ..web.context import clock
from ..web.db import always, get_session
from ..web.login import LoggedIn
from . import oidc
from . import service as accounts

log = logging.getLogger("voice.oidc")
bp = Blueprint("oidc", __name__, url_prefix="/staff/login/municipal")
LOGOUT_HINT = "oidc_logout_hint"

FAILURES = {
    "unreachable": (502, lambda: gettext("The municipality's login service did not answer. Try again in a few minutes, or log in with your Voice password if you have one.")),
    "state": (400, lambda: gettext("This login link was already used or is too old. Start the login again.")),
    "provider_error": (400, lambda: gettext("The municipality's login service did not let you in. Start the login again.")),
    "token": (400, lambda: gettext("The answer from the municipality's login service could not be trusted, so you were not let in. Start the login again. If it happens again, tell the person who runs Voice.")),
    "no_role": (403, lambda: gettext("Your municipal account has no role in Voice. Ask the person who runs Voice to add you to the right group.")),
    "mfa_required": (403, lambda: gettext("Voice needs you to log in to your municipal account with a second step (for example an app or a code). Log in again and use it.")),
    "email_taken": (409, lambda: gettext("There is already a Voice account with your e-mail address. Log in with its password, or ask the person who runs Voice to move it to your municipal login.")),
}


def init_app(app) -> None:
    """Register the provider when it is configured (the login page then offers it)."""
    issuer = (app.config.get("OIDC_ISSUER") or "").rstrip("/")
    app.jinja_env.globals["oidc_enabled"] = bool(issuer)
    if not issuer:
        return
    app.config["OIDC_SETTINGS"] = oidc.Settings(
        issuer=issuer, role_map=oidc.parse_role_map(app.config.get("OIDC_ROLE_MAP", "")),
        groups_claim=app.config.get("OIDC_GROUPS_CLAIM") or "groups",
        require_mfa=bool(app.config.get("OIDC_REQUIRE_MFA")))
    oauth = OAuth(app)  # one per app: its client holds this app's provider, metadata and keys
    app.extensions["voice_oauth"] = oauth
    oauth.register(
        "municipal", client_id=app.config["OIDC_CLIENT_ID"], client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer + "/.well-known/openid-configuration",
        client_kwargs={"scope": app.config.get("OIDC_SCOPE") or "openid profile email groups",
                       "code_challenge_method": "S256", "timeout": 10},
    )
    from ..extensions import csrf

    csrf.exempt(backchannel_logout)
    app.register_blueprint(bp)


def _provider():
    return current_app.extensions["voice_oauth"].municipal


def _failed(reason: str, detail: str = "", user=None):
    status, message = FAILURES[reason]
    audit.record_always("oidc_failed", detail={"reason": reason, **({"error": detail[:200]} if detail else {})},
                        actor=user)
    return render_template("accounts/oidc_failed.html", message=message()), status


def _callback_url() -> str:
    from ..web.context import links

    return links()("oidc.callback")


@bp.route("")
def start():
    try:
        return _provider().authorize_redirect(_callback_url())
    except (RequestException, ValueError, KeyError) as exc:
        log.warning("OpenID provider not reachable: %s", exc)
        return _failed("unreachable", type(exc).__name__)


@bp.route("/callback")
def callback():
    if request.args.get("error"):
        return _failed("provider_error", request.args.get("error", ""))
    try:
        token = _provider().authorize_access_token()
    except MismatchingStateError:
        return _failed("state")
    except (JoseError, RfcJoseError, ValueError) as exc:  # signature, issuer, audience, expiry, nonce
        return _failed("token", f"{type(exc).__name__}: {exc}")
    except OAuthError as exc:
        return _failed("provider_error", exc.error or "")
    except RequestException as exc:
        return _failed("unreachable", type(exc).__name__)
    claims = dict(token.get("userinfo") or {})
    db, now = get_session(), clock().now()
    try:
        settings = oidc.with_admins_map(current_app.config["OIDC_SETTINGS"], session=db)
        user, created = oidc.sign_in(session=db, claims=claims, settings=settings, now=now)
    except oidc.SignInRefused as refused:
        if refused.code == "no_role" and refused.user is not None:
            user_id = refused.user.id
            always(lambda db: oidc.close_for_lost_role(session=db, user_id=user_id))  # kept with the refusal
            audit.record_always("oidc_role_lost", actor=refused.user)
        return _failed(refused.code, user=refused.user)
    if created:
        audit.record("account_created_oidc", "user", user.id, {"role": user.role}, actor=user)
    session.clear()  # a fresh session (and CSRF token) at every login
    session_token = accounts.start_session(session=db, user=user, now=now)
    oidc.remember_id_token(session=db, token_hash=accounts.sha256(session_token), id_token=token.get("id_token") or "",
                           sid=claims.get("sid"))
    login_user(LoggedIn(user, session_token))
    audit.record("login", detail={"via": "oidc", "amr": user.last_amr, "acr": user.last_acr, "role": user.role}, actor=user)
    return redirect(url_for(user.home_endpoint))


@bp.route("/logout")
def provider_logout():
    """After Voice's own logout: end the provider's session too, where it offers that."""
    hint = session.pop(LOGOUT_HINT, None)
    try:
        end_session = _provider().load_server_metadata().get("end_session_endpoint")
    except (RequestException, ValueError):
        end_session = None
    if not hint or not end_session:
        return redirect(url_for("core.home"))
    from urllib.parse import urlencode

    from ..web.context import links

    query = urlencode({"id_token_hint": hint, "post_logout_redirect_uri": links()("accounts.login"),
                       "client_id": current_app.config["OIDC_CLIENT_ID"]})
    # A page, not a redirect: the logout form's CSP (form-action 'self') would stop a redirect to
    # the provider. The page goes on by itself (meta refresh) and has a link for when it does not.
    return render_template("accounts/oidc_logout.html", end_session=f"{end_session}?{query}")


@bp.route("/backchannel-logout", methods=["POST"])
def backchannel_logout():
    """The provider, server to server, says a session there ended (OpenID Connect Back-Channel
    Logout 1.0): the logout token's signature, issuer, audience and age are checked as an ID
    token's are, then the Voice sessions it names end. No CSRF token: it is not a browser's form."""
    from authlib.jose import JsonWebKey, jwt

    settings = current_app.config["OIDC_SETTINGS"]
    client = _provider()
    try:
        metadata = client.load_server_metadata()
        try:
            keys = JsonWebKey.import_key_set(client.fetch_jwk_set())
            claims = jwt.decode(request.form.get("logout_token", ""), keys)
        except ValueError:  # a key id not seen yet: the provider's keys, fetched again
            keys = JsonWebKey.import_key_set(client.fetch_jwk_set(force=True))
            claims = jwt.decode(request.form.get("logout_token", ""), keys)
        claims.options = {"iss": {"essential": True, "value": metadata["issuer"]},
                          "aud": {"essential": True, "value": current_app.config["OIDC_CLIENT_ID"]},
                          "iat": {"essential": True}}
        claims.validate(leeway=120)
        ended = oidc.logged_out_by_provider(session=get_session(), issuer=settings.issuer, claims=dict(claims),
                                            now=clock().now())
    except (JoseError, RfcJoseError, ValueError, KeyError, RequestException) as exc:
        audit.record_always("oidc_failed", detail={"reason": "logout_token", "error": type(exc).__name__})
        return {"error": "invalid_request"}, 400
    audit.record("oidc_backchannel_logout", detail={"sessions": ended}, actor="provider")
    return "", 200
