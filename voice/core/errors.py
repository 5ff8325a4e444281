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
FREE_TEXT_FIELDS = {"story", "text", "description", "outcome", "reason", "body"}


def typed_fields() -> list[tuple[str, str]]:
    if request.method != "POST":
        return []
    try:
        form = request.form
    except HTTPException:  # the body itself was refused (too large, unreadable)
        return []
    return [(key, value) for key, value in form.items(multi=True) if key not in _NOT_ECHOED]


def _page(status: int, *, retry: bool = False):
    return (
        render_template(
            "core/error.html",
            status=status,
            typed=typed_fields(),
            kept_texts=[value for key, value in typed_fields() if key in FREE_TEXT_FIELDS and value.strip()],
            retry=retry and request.method == "POST",
            csrf_value=request.form.get("csrf_token", "") if retry else "",
        ),
        status,
    )


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
        return _page(exc.code)

    @app.errorhandler(CSRFError)
    def _csrf_error(_exc):
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
