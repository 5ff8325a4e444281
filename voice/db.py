"""Engine, one session per request, and the commit-once rule.

A request that ends with a status below 400 commits everything it did in one
transaction; any error or 4xx/5xx response rolls all of it back, so nothing is
ever half-written.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, g
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

_engines: dict[str, Engine] = {}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use voice.db.utcnow()")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _sqlite_pragmas(lock_timeout_ms: int):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_ms)}")
        cursor.close()

    return on_connect


def engine_for(url: str, *, lock_timeout_ms: int = 5000) -> Engine:
    """One engine (and pool) per database URL per process.

    A request never waits longer than lock_timeout_ms for a lock: the family gets
    the 503 page with what they typed instead of a hanging phone.
    """
    key = f"{url}#{lock_timeout_ms}"
    engine = _engines.get(key)
    if engine is None:
        if url.startswith("sqlite"):
            # hide_parameters: an error logged by SQLAlchemy never carries what a family wrote.
            engine = create_engine(
                url, hide_parameters=True,
                connect_args={"timeout": lock_timeout_ms / 1000, "check_same_thread": False},
            )
            event.listen(engine, "connect", _sqlite_pragmas(lock_timeout_ms))
        else:
            # pre_ping: after PostgreSQL restarts, stale connections are replaced
            # instead of failing the next request.
            engine = create_engine(
                url,
                hide_parameters=True,
                pool_pre_ping=True,
                pool_size=5,
                max_overflow=10,
                connect_args={"options": f"-c lock_timeout={int(lock_timeout_ms)}", "connect_timeout": 5},
            )
        _engines[key] = engine
    return engine


def get_engine() -> Engine:
    from flask import current_app

    return current_app.extensions["voice_engine"]


def get_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def after_commit(callback) -> None:
    """Run callback once this request's transaction is committed (e.g. start a job)."""
    g.setdefault("after_commit", []).append(callback)


def init_app(app: Flask) -> None:
    app.extensions["voice_engine"] = engine_for(
        app.config["DATABASE_URL"], lock_timeout_ms=app.config.get("DB_LOCK_TIMEOUT_MS", 5000)
    )

    @app.after_request
    def _commit(response):
        session = g.pop("db_session", None)
        if session is not None:
            g.db_session_done = session
            if response.status_code < 400:
                session.commit()
                for callback in g.pop("after_commit", []):
                    callback()
            else:
                session.rollback()
        return response

    @app.teardown_request
    def _close(_exc):
        g.pop("after_commit", None)
        for key in ("db_session", "db_session_done"):
            session = g.pop(key, None)
            if session is not None:
                session.rollback()
                session.close()
