"""The worker's sign of life, so the site can say when nobody is doing the background work."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ..db import UTCDateTime


class WorkerHeartbeat(SQLModel, table=True):
    __tablename__ = "worker_heartbeat"
    name: str = Field(primary_key=True, max_length=64)  # host and process of the worker
    seen_at: datetime = Field(sa_type=UTCDateTime)
    storage: str = Field(default="", max_length=32)  # where its queue lives: sqlite, redis


class JobRun(SQLModel, table=True):
    """A scheduled job that must run once per period whatever the number of workers (the
    moderators' digest, once a day): the first worker to insert the row runs it."""
    __tablename__ = "job_run"
    name: str = Field(primary_key=True, max_length=32)
    period: str = Field(primary_key=True, max_length=16)  # e.g. the day in Trondheim, 2026-12-03
    ran_at: datetime = Field(sa_type=UTCDateTime)
