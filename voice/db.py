"""Engines and the column types every table uses. Plain SQLAlchemy, no Flask:
the web request's session lives in voice/web/db.py, commands and jobs open their
own ``Session(engine)``."""
from __future__ import annotations

from datetime import timezone

from sqlalchemy import CheckConstraint, DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import create_engine

from .clock import utcnow  # noqa: F401  (re-exported: models use voice.db.utcnow as a default)

_engines: dict[str, Engine] = {}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use voice.clock.utcnow()")
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


def reader_engine_for(url: str, *, lock_timeout_ms: int = 5000) -> Engine:
    """A small pool for one-statement reads that need no transaction (the content version read
    for every kept page, voice/web/kept_pages.py): autocommit and no reset on return, so a read
    is one round trip, not four (ping, BEGIN, SELECT, ROLLBACK). No pre-ping either: a read that
    fails throws its connection away and the request goes on to Flask, whose pool pings."""
    key = f"reader:{url}#{lock_timeout_ms}"
    engine = _engines.get(key)
    if engine is None:
        if url.startswith("sqlite"):
            engine = create_engine(url, hide_parameters=True, isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
                                   connect_args={"timeout": lock_timeout_ms / 1000, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas(lock_timeout_ms))
        else:
            engine = create_engine(url, hide_parameters=True, isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
                                   pool_size=2, max_overflow=4,
                                   connect_args={"options": f"-c lock_timeout={int(lock_timeout_ms)}", "connect_timeout": 5})
        _engines[key] = engine
    return engine


def one_of(column: str, values: tuple[str, ...], *, table: str, nullable: bool = False) -> CheckConstraint:
    """A CHECK that a text column holds one of the code's own values (both databases)."""
    listed = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    condition = f"{column} IN ({listed})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=f"ck_{table}_{column}")


def between(column: str, low: int, high: int, *, table: str, nullable: bool = True) -> CheckConstraint:
    """A CHECK that a number column lies in [low, high] (NULL allowed when nullable)."""
    condition = f"{column} BETWEEN {int(low)} AND {int(high)}"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=f"ck_{table}_{column}")
