"""Plain error pages in the user's language, never a stack trace.

When the database is unavailable the family gets a 503 page that shows what
they typed and can send it again once the database is back.
"""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

log = logging.getLogger("voice.errors")

# Fields never echoed back on an error page.
_NOT_ECHOED = {"csrf_token", "website"}
# Free-text fields shown back to the person so nothing they wrote is lost.
FREE_TEXT_FIELDS = {"story", "text", "description", "outcome", "reason", "body", "name", "accessibility", "comment"}
# The families' forms: an expired form is offered again with a fresh token (see _csrf_error).
FAMILY_FORMS = {"experiences.new", "cocreation.signup", "experiences.follow_up"}
EXPIRED = "The CSRF token has expired."  # Flask-WTF's reason when the token was ours but is too old


def typed_fields() -> list[tuple[str, str]]:
    if request.method != "POST":
        return []
    try:
        form = request.form
    except HTTPException:  # the body itself was refused (too large, unreadable)
        return []
    return [(key, value) for key, value in form.items(multi=True) if key not in _NOT_ECHOED]


def _page(status: int, *, retry: bool = False, fresh_token: bool = False, retry_at=None, expired: bool = False):
    from flask_wtf.csrf import generate_csrf

    retry = retry and request.method == "POST"
    token = (generate_csrf() if fresh_token else request.form.get("csrf_token", "")) if retry else ""
    return (
        render_template(
            "core/error.html",
            status=status,
            typed=typed_fields(),
            kept_texts=[value for key, value in typed_fields() if key in FREE_TEXT_FIELDS and value.strip()],
            retry=retry,
            csrf_value=token,
            retry_at=retry_at,
            expired=expired,
            action=request.full_path.rstrip("?"),
        ),
        status,
    )


def _retry_at():
    """When the limit that was hit lets the next try through (None when it cannot be told)."""
    from datetime import datetime, timezone

    from ..extensions import limiter

    try:
        moments = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    except Exception:  # noqa: BLE001 - the storage is away: say "in a few minutes" instead
        return None
    return datetime.fromtimestamp(max(moments), tz=timezone.utc) if moments else None


def database_unavailable():
    """The 503 page: the database cannot be reached or is locked; what was typed is shown and can be sent again."""
    return _page(503, retry=True)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if isinstance(exc, SecurityError):
            # A Host header this site does not answer to (SECURITY.md 10). No page can be built
            # for it (its links would point at that host), and no person's browser sends one.
            return app.response_class("Unknown host.\n", status=400, mimetype="text/plain")
        if exc.code == 429:
            return _page(429, retry=True, retry_at=_retry_at())
        return _page(exc.code)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        # A family's form left open too long: everything is kept and can be sent again with a
        # fresh token. Only for an expired token of this browser's own session (one that a
        # page from another site cannot make), and only on the families' forms.
        if exc.description == EXPIRED and request.endpoint in FAMILY_FORMS:
            return _page(400, retry=True, fresh_token=True, expired=True)
        return _page(400)

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def _database_down(exc):
        log.error("database unavailable: %s", type(exc).__name__)
        return database_unavailable()

    @app.errorhandler(DBAPIError)
    def _database_error(exc):
        if exc.connection_invalidated:
            log.error("database connection lost")
            return database_unavailable()
        log.exception("database error")
        return _page(500)

    @app.errorhandler(InternalServerError)
    def _server_error(_exc):
        return _page(500)
