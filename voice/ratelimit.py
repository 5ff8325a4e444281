"""Rate-limit counters in the database, so every worker and machine counts together.

Flask-Limiter keeps its counters in a storage from the `limits` library. Its
in-memory storage counts per process (with `make run`'s two workers every limit
was doubled), and its shared storages need a server (Redis, memcached, MongoDB).
Where no Redis is configured, Voice keeps the counters in its own database:
`limits` has no SQL storage, so this one is written by hand. It implements the
fixed windows Flask-Limiter uses by default; each count is one statement
("insert, or add to the row already there, or start the window again").
With `REDIS_URL` or `RATELIMIT_STORAGE_URI` set, Redis is used instead.

A counter is written on its own short connection, never in the request's
transaction: a refused request (429) or one that is rolled back still counts.
"""
from __future__ import annotations

import time

from limits.storage import Storage
from sqlalchemy import Float, Integer, String, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, SQLModel

from .db import engine_for

SCHEME = "voice+sql"


class RateLimitCounter(SQLModel, table=True):
    __tablename__ = "rate_limit_counter"
    key: str = Field(sa_type=String(255), primary_key=True)
    count: int = Field(default=0, sa_type=Integer)
    expires_at: float = Field(sa_type=Float, index=True)  # seconds since the epoch


_t = RateLimitCounter.__table__


class DatabaseStorage(Storage):
    """``voice+sql://``, with the option ``database_url`` (RATELIMIT_STORAGE_OPTIONS)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *, database_url: str = "",
                 lock_timeout_ms: int = 5000, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.engine = engine_for(database_url, lock_timeout_ms=int(lock_timeout_ms))

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(_t).values(key=key, count=amount, expires_at=now + expiry)
        expired = _t.c.expires_at <= now
        statement = statement.on_conflict_do_update(
            index_elements=[_t.c.key],
            set_={"count": case((expired, amount), else_=_t.c.count + amount),
                  "expires_at": case((expired, now + expiry), else_=_t.c.expires_at)},
        ).returning(_t.c.count)
        with self.engine.begin() as connection:
            return int(connection.execute(statement).scalar_one())

    def _row(self, key: str):
        with self.engine.connect() as connection:
            return connection.execute(select(_t.c.count, _t.c.expires_at).where(_t.c.key == key)).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row is not None and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(delete(_t)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(_t).where(_t.c.key == key))


def purge_expired(*, engine, now: float) -> int:
    """Drop counters whose window has ended (the daily purge)."""
    with engine.begin() as connection:
        return connection.execute(delete(_t).where(_t.c.expires_at <= now)).rowcount or 0
