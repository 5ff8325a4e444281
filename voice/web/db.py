"""One database session per request, committed once at its end.

A request that ends with a status below 400 commits everything it did in one
transaction; a 4xx/5xx response, or any error, rolls all of it back, so nothing
is ever half-written. The commit runs in the first after-request hook, inside a
guard: when it fails because the database is locked or gone at that moment, the
person gets the same 503 page as for any database outage, in their language and
with what they typed, never a 500.

Audit entries that must be kept whatever happens to the request (a refused
look at a restricted story, a failed login) are handed to ``keep_always``: they
are written with the request's commit when it succeeds, or in a transaction of
their own on the same connection after the rollback when it does not. Never on
a second connection while the request holds the database's write lock (which,
on SQLite, waited for the lock timeout and then lost the entry).
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, g
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, SQLModel

log = logging.getLogger("voice.db")
DATABASE_FAILURES = (OperationalError, PoolTimeout)


def get_engine():
    return current_app.extensions["voice_engine"]


def get_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def keep_always(row: SQLModel) -> None:
    """Store ``row`` at the end of the request whether it succeeds or not."""
    always(lambda session: session.add(row))


def always(write) -> None:
    """Run ``write(session)`` at the end of the request whether it succeeds or not: with the
    request's commit, or in a transaction of its own after the rollback (e.g. counting a
    wrong authenticator code on a request that answers 400)."""
    g.setdefault("keep_always", []).append(write)


def after_commit(callback) -> None:
    """Run callback once this request's transaction is committed (e.g. start a job)."""
    g.setdefault("after_commit", []).append(callback)


def on_every_commit(app: Flask, hook) -> None:
    """Call ``hook(session)`` after every request whose transaction committed (e.g. ask
    the job worker to send the mail the request queued)."""
    app.extensions.setdefault("voice_commit_hooks", []).append(hook)


def is_database_failure(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_FAILURES) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _finish(status_code: int) -> None:
    session = g.pop("db_session", None)
    writes = g.pop("keep_always", [])
    callbacks = g.pop("after_commit", [])
    if session is None and not writes:
        return
    session = session or Session(get_engine(), expire_on_commit=False)
    g.db_session_done = session  # closed at teardown
    if status_code < 400:
        for write in writes:
            write(session)
        session.commit()
        for hook in current_app.extensions.get("voice_commit_hooks", ()):
            hook(session)
        for callback in callbacks:
            callback()
        return
    session.rollback()
    if writes:
        for write in writes:
            write(session)
        session.commit()


def install_commit(app: Flask, database_unavailable) -> None:
    """Register the end-of-request commit. Call it last in create_app, so it runs
    before every other after-request hook (Flask runs them in reverse order) and a
    503 page that replaces the response still gets the headers and cookies.
    ``database_unavailable()`` renders that page."""

    @app.after_request
    def _commit(response):
        try:
            _finish(response.status_code)
        except Exception as exc:  # noqa: BLE001 - decided just below
            session = g.pop("db_session_done", None)
            if session is not None:
                session.rollback()
                session.close()
            if not is_database_failure(exc):
                raise
            log.error("database unavailable at commit: %s", type(exc).__name__)
            return app.make_response(database_unavailable())
        return response

    @app.teardown_request
    def _close(_exc):
        g.pop("after_commit", None)
        g.pop("keep_always", None)
        for key in ("db_session", "db_session_done"):
            session = g.pop(key, None)
            if session is not None:
                session.rollback()
                session.close()


def init_app(app: Flask) -> None:
    from ..db import engine_for

    app.extensions["voice_engine"] = engine_for(
        app.config["DATABASE_URL"], lock_timeout_ms=app.config.get("DB_LOCK_TIMEOUT_MS", 5000)
    )
