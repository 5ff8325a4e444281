"""Every job Voice runs outside a request, as one plain pass with explicit inputs.

The job worker (``tasks``) runs them on schedule and when a request asks for them;
the `flask voice ...` commands run the same passes at once, for operators and tests.
No Flask here: a ``JobContext`` carries the engine, the clock, the link builder, the
mail settings and the retention settings.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ..accounts import audit
from ..clock import Clock
from ..cocreation.service import purge_personal_data, send_reminders
from ..experiences import shown_code
from ..experiences.service import purge_expired_contacts
from ..figures import service as figures
from ..links import LinkBuilder
from ..mail import service as mail
from ..moderation import export
from ..moderation.models import ExportJob
from ..moderation.service import purge_originals, send_digests
from .models import JobRun, WorkerHeartbeat

log = logging.getLogger("voice.jobs")
EXPORT_KEEP = timedelta(days=1)  # export files are personal data too
WORKER_LATE = timedelta(minutes=5)  # a worker not seen for longer is reported as down


@dataclass(frozen=True)
class JobContext:
    engine: Engine
    clock: Clock
    links: LinkBuilder
    smtp: mail.SmtpSettings
    original_retention_days: int = 90
    settle_days: int = 14
    export_lease: timedelta = timedelta(seconds=60)  # an export with no progress for longer was interrupted
    export_attempts: int = 2  # tries before an interrupted export is marked failed
    extra: dict = field(default_factory=dict)


# -- Mail ---------------------------------------------------------------------------------

_server_down = {"since": None}  # per worker process: say once that the mail server is away, and once that it is back
_server_lock = threading.Lock()  # the worker's threads share that note


def send_mail(ctx: JobContext) -> mail.MailPass:
    result = mail.send_due(engine=ctx.engine, smtp=ctx.smtp, now=ctx.clock.now())
    if result == mail.MailPass():
        return result  # nothing was due: that says nothing about the mail server
    with _server_lock:
        if result.server_down and _server_down["since"] is None:
            _server_down["since"] = ctx.clock.now()
            log.warning("the mail server %s:%s cannot be reached; mail waits in the outbox and is sent when it answers",
                        ctx.smtp.host, ctx.smtp.port)
        elif not result.server_down and _server_down["since"] is not None:
            _server_down["since"] = None
            log.info("the mail server %s:%s answers again", ctx.smtp.host, ctx.smtp.port)
    return result


# -- Reminders and the digest --------------------------------------------------------------------

def remind(ctx: JobContext) -> int:
    """Reminders (with the calendar file) for sessions in the next 24-48 hours."""
    with Session(ctx.engine) as session:
        queued = send_reminders(session=session, now=ctx.clock.now(), links=ctx.links)
        session.commit()
    return queued


def digest(ctx: JobContext, *, once_a_day: bool = False) -> int:
    """The moderators' digest. The worker sends it once a day (``once_a_day``: however many
    workers run, the first one that day sends it); the command sends it when asked."""
    with Session(ctx.engine) as session:
        if once_a_day and not _first_run(session, "digest", ctx.clock.today().isoformat(), ctx.clock.now()):
            return 0
        queued = send_digests(session=session, links=ctx.links, today=ctx.clock.today())
        session.commit()
    return queued


def _first_run(session: Session, name: str, period: str, now: datetime) -> bool:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    won = session.execute(insert(JobRun).values(name=name, period=period, ran_at=now)
                          .on_conflict_do_nothing().returning(JobRun.name)).first()
    return won is not None


# -- Purges and checks ----------------------------------------------------------------------

def purge(ctx: JobContext, *, actor: str = "worker") -> dict[str, int]:
    """Delete personal data whose time has come; record what was done (counts only)."""
    from ..ratelimit import purge_expired

    now = ctx.clock.now()
    with Session(ctx.engine) as session:
        done = {
            "contacts": purge_expired_contacts(session=session, today=ctx.clock.today()),
            "originals": purge_originals(session=session, now=now, retention_days=ctx.original_retention_days),
            "mails": mail.purge_sent(session=session, now=now),
            "signups": purge_personal_data(session=session, now=now),
            "export_files": purge_exports(session=session, now=now),
            "shown_codes": shown_code.purge_expired(session=session, now=now),
        }
        audit.record(session, actor, "purge", detail=done)
        session.commit()
    done["rate_limits"] = purge_expired(engine=ctx.engine, now=now.timestamp())
    return done


def publish_figures(ctx: JobContext) -> list:
    """Publish (freeze) the quarters of figures that have settled."""
    with Session(ctx.engine) as session:
        published = figures.publish_due(session=session, now=ctx.clock.now(), settle_days=ctx.settle_days)
        session.commit()
    return published


def check_tally(ctx: JobContext) -> list:
    """Compare the figures' monthly tally with a fresh count; differences are logged as an
    error (the operator runs `flask voice figures --rebuild`)."""
    with Session(ctx.engine) as session:
        found = figures.tally_differences(session)
    if found:
        log.error("the figures' monthly tally differs from a fresh count in %s rows; run `flask voice figures --rebuild`",
                  len(found))
    return found


# -- Exports -------------------------------------------------------------------------------

def run_export(ctx: JobContext, job_id: int) -> str:
    """Make one export file into the database; returns the job's status afterwards."""
    return export.run_job(engine=ctx.engine, job_id=job_id, now=ctx.clock.now, attempts=ctx.export_attempts)


def interrupted_exports(ctx: JobContext) -> tuple[list[int], list[int]]:
    """Exports whose worker stopped (no progress for ``export_lease``): those with tries left
    go back to the queue, the others are marked failed with the reason shown to staff.
    Returns (ids to run again, ids failed)."""
    now = ctx.clock.now()
    again, failed = [], []
    with Session(ctx.engine) as session:
        stuck = session.exec(select(ExportJob).where(
            col(ExportJob.status).in_(("pending", "running")),
            func.coalesce(ExportJob.progress_at, ExportJob.created_at) < now - ctx.export_lease)).all()
        for job in stuck:
            if job.status == "running" and job.attempts >= ctx.export_attempts:
                job.status, job.error, job.finished_at = "failed", "interrupted", now
                failed.append(job.id)
            else:
                job.status, job.progress_at = "pending", now
                again.append(job.id)
            session.add(job)
        session.commit()
    for job_id in failed:
        log.error("export %s was interrupted %s times and is marked failed", job_id, ctx.export_attempts)
    return again, failed


def purge_exports(*, session: Session, now: datetime) -> int:
    """Export files older than a day are deleted (the job stays, marked expired)."""
    jobs = session.exec(select(ExportJob).where(col(ExportJob.content).is_not(None),
                                                ExportJob.created_at < now - EXPORT_KEEP)).all()
    for job in jobs:
        job.content, job.error = None, "expired"
        session.add(job)
    return len(jobs)


# -- The worker's sign of life ------------------------------------------------------------------

def heartbeat(ctx: JobContext, *, name: str, storage: str) -> None:
    with Session(ctx.engine) as session:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        now = ctx.clock.now()
        session.execute(insert(WorkerHeartbeat).values(name=name[:64], seen_at=now, storage=storage)
                        .on_conflict_do_update(index_elements=["name"], set_={"seen_at": now, "storage": storage}))
        session.commit()


@dataclass(frozen=True)
class WorkerState:
    last_seen: datetime | None
    mail_waiting: int  # messages not sent yet (and not given up)
    exports_waiting: int  # exports not made yet
    oldest_waiting: datetime | None

    @property
    def waiting(self) -> int:
        return self.mail_waiting + self.exports_waiting

    def minutes_unseen(self, now: datetime) -> int | None:
        """Whole minutes since the worker was last seen, when that is too long (None: all well)."""
        since = self.last_seen or self.oldest_waiting  # never seen: since work began to wait for it
        if since is None or now - since <= WORKER_LATE:
            return None
        return int((now - since).total_seconds() // 60)


def worker_state(*, session: Session) -> WorkerState:
    last = session.execute(select(func.max(WorkerHeartbeat.seen_at))).scalar()
    mails, oldest_mail = mail.waiting(session=session)
    exports, oldest_export = session.execute(
        select(func.count(), func.min(ExportJob.created_at)).where(col(ExportJob.status).in_(("pending", "running")))).one()
    oldest = min((t for t in (_aware(oldest_mail), _aware(oldest_export)) if t is not None), default=None)
    return WorkerState(_aware(last), mails, int(exports or 0), _aware(oldest))


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive values from an aggregate (they are UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment
