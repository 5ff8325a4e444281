"""Flask-Login wiring and role checks.

The login cookie carries "user id:session token"; the token must match a live
row in user_session, so logging out, a password change or disabling the account
makes every copy of an old cookie useless.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, g, request
from flask_login import UserMixin, current_user

from ..accounts.models import User
from ..accounts.service import resume_session
from ..extensions import login_manager
from . import audit
from .context import clock
from .db import get_session


class LoggedIn(UserMixin):
    def __init__(self, user: User, token: str):
        self.user = user
        self.token = token

    def get_id(self) -> str:
        return f"{self.user.id}:{self.token}"

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def email(self) -> str:
        return self.user.email


@login_manager.user_loader
def _load(identity: str):
    user_id, _, token = (identity or "").partition(":")
    if not user_id.isdecimal() or not token:
        return None
    user = resume_session(session=get_session(), user_id=int(user_id), token=token, now=clock().now())
    return LoggedIn(user, token) if user else None


def current_account() -> User | None:
    return current_user.user if current_user.is_authenticated else None


def roles_required(*roles: str):
    """Anonymous visitors go to the login page; other roles get 403, and it is logged."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                audit.record_always("access_denied", "url", request.path[:64], actor=current_user.user)
                abort(403)
            g.account = current_user.user
            return view(*args, **kwargs)

        return wrapped

    return decorator


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = None  # our server-side session rows do this job
    login_manager.login_message = None
