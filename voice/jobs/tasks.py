"""The job worker: Huey, a kept task queue with periodic tasks built in.

Why Huey: it needs nothing but the database file Voice already has beside it (its
SQLite storage in ``instance/jobs.db``, the embedded default) and moves to Redis by
one setting (``REDIS_URL``) when several machines share the work; its consumer runs
periodic tasks itself, so no cron is needed. Celery or RQ would need a broker even on
one laptop.

Start it beside the web server (``make run`` does):

    huey_consumer voice.jobs.worker.huey --workers 2 --worker-type thread

Each task is a thin wrapper around a plain pass in ``voice.jobs.service``. The app
(configuration, engine, link builder) is made once per worker process.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path

from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from . import service as jobs

log = logging.getLogger("voice.worker")
NAME = "voice"


def _storage(kind: str, *, name: str = NAME, redis_url: str = "", sqlite_path: str = ""):
    if kind == "memory":
        return MemoryStorage(name)
    if kind == "redis":
        return RedisStorage(name, url=redis_url)  # blocking reads: a task is taken the moment it is queued
    if kind != "sqlite":
        raise ValueError(f"VOICE_JOBS must be sqlite, redis or memory, not {kind!r}")
    Path(sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteStorage(name, filename=sqlite_path)


# Memory until configured: the web app and the worker (voice.jobs.worker) both point it at
# the storage their settings name, before anything is queued.
huey = Huey(NAME, results=False, utc=True, storage_class=MemoryStorage)
_current = {"choice": ("memory", NAME, "", "")}


def configure(*, kind: str, name: str = NAME, redis_url: str = "", sqlite_path: str = "") -> None:
    """Point the queue at its storage (the web app does this from its settings, so it
    enqueues where the worker reads)."""
    choice = (kind, name, redis_url, sqlite_path)
    if _current["choice"] != choice:
        huey.storage = _storage(kind, name=name, redis_url=redis_url, sqlite_path=sqlite_path)
        _current["choice"] = choice


# -- The app, once per worker process ------------------------------------------------------------

_state: dict = {}


def context_from_app(app) -> jobs.JobContext:
    from datetime import timedelta

    from ..mail.service import SmtpSettings

    config = app.config
    return jobs.JobContext(
        engine=app.extensions["voice_engine"], clock=app.extensions["voice_clock"], links=app.extensions["voice_links"],
        smtp=SmtpSettings.from_config(config), original_retention_days=config["ORIGINAL_RETENTION_DAYS"],
        settle_days=config["FIGURES_SETTLE_DAYS"], export_lease=timedelta(seconds=config["EXPORT_LEASE_SECONDS"]),
    )


def storage_choice_of(config) -> dict:
    return {"kind": config["JOBS_STORAGE"], "name": config["JOBS_QUEUE"], "redis_url": config["REDIS_URL"],
            "sqlite_path": config["JOBS_SQLITE_PATH"]}


def use_app(app) -> None:
    """The worker's app: its settings name the queue and everything a job needs."""
    configure(**storage_choice_of(app.config))
    _state["context"] = context_from_app(app)


def _context() -> jobs.JobContext:
    if "context" not in _state:
        from .. import create_app

        use_app(create_app())
    return _state["context"]


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# -- Tasks -------------------------------------------------------------------------------------

@huey.task(retries=3, retry_delay=30)
def send_mail() -> None:
    jobs.send_mail(_context())


@huey.task(retries=1, retry_delay=10)
def make_export(job_id: int) -> None:
    jobs.run_export(_context(), job_id)


@huey.periodic_task(crontab(minute="*"))
def every_minute() -> None:
    """The worker's sign of life; mail that waits; exports whose worker stopped."""
    context = _context()
    jobs.heartbeat(context, name=_worker_name(), storage=_current["choice"][0])
    jobs.send_mail(context)
    again, _failed = jobs.interrupted_exports(context)
    for job_id in again:
        make_export(job_id)


@huey.periodic_task(crontab(minute="7"))
def every_hour() -> None:
    """Reminders with the calendar file, 24-48 hours before a session."""
    if jobs.remind(_context()):
        jobs.send_mail(_context())


@huey.periodic_task(crontab(hour="5", minute="30"))
def every_morning() -> None:
    """The moderators' digest (05:30 UTC: half past six or seven in Trondheim)."""
    if jobs.digest(_context(), once_a_day=True):
        jobs.send_mail(_context())


@huey.periodic_task(crontab(hour="2", minute="15"))
def every_night() -> None:
    """Personal data whose time has come; the quarters of figures that have settled."""
    context = _context()
    jobs.purge(context)
    jobs.publish_figures(context)


@huey.periodic_task(crontab(day_of_week="1", hour="3", minute="0"))
def every_week() -> None:
    """The figures' tally against a fresh count (Monday night)."""
    jobs.check_tally(_context())


_startup = threading.Lock()


@huey.on_startup()
def _started() -> None:
    """Runs in each of the consumer's threads as it starts; the first does the work."""
    if not _startup.acquire(blocking=False):
        return
    context = _context()
    jobs.heartbeat(context, name=_worker_name(), storage=_current["choice"][0])
    again, _failed = jobs.interrupted_exports(context)
    for job_id in again:
        make_export(job_id)
    log.info("Voice worker is up (queue: %s); mail goes to %s:%s", _current["choice"][0], context.smtp.host,
             context.smtp.port)


# -- Asked for by a request ------------------------------------------------------------------------

def soon(task, *args, storage: dict | None = None) -> bool:
    """Put a task on the queue (``storage``: the queue the caller's settings name); if the
    queue cannot be reached, say so and go on: the worker's minute task finds waiting
    mail and exports by itself."""
    try:
        if storage is not None:
            configure(**storage)
        task(*args)
        return True
    except Exception:  # noqa: BLE001 - the request has already committed its work
        log.warning("the job queue cannot be reached; the worker will pick the work up on its own", exc_info=True)
        return False


def queue_length(storage: dict | None = None) -> int | None:
    """Tasks waiting in the queue (None when it cannot be read)."""
    try:
        if storage is not None:
            configure(**storage)
        return huey.pending_count()
    except Exception:  # noqa: BLE001 - a monitoring read never breaks the feed
        return None
