"""The real job worker (`huey_consumer voice.jobs.worker.huey`, as `make run` and the README
start it) in a subprocess with production settings: a family's sign-up confirmation reaches
a real SMTP server by itself, on the SQLite and on the Redis queue; a worker killed in the
middle of an export leaves a job that the next worker takes up again."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from voice import create_app
from voice.mail.models import OutboxMessage
from voice.moderation.models import ExportJob

from .conftest import CSRF_RE, empty_database, test_config
from .factories import make_experience, make_session, make_user
from .smtp import parts, start_smtp
from .test_commands import PUBLIC, production_env

ROOT = Path(__file__).resolve().parent.parent
CONSUMER = [str(Path(sys.executable).parent / "huey_consumer"), "voice.jobs.worker.huey", "--workers", "2",
            "--worker-type", "thread", "--delay", "0.1", "--max-delay", "0.5"]
REDIS_URL = os.environ.get("VOICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Worker:
    """The worker as its own process; its log in a file the test reads."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        self.process = subprocess.Popen(CONSUMER, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.wait_for("Voice worker is up")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, said: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while said not in self.output():
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, f"the worker did not say {said!r}:\n{self.output()}"
            time.sleep(0.05)

    def kill(self) -> None:
        """As a power cut or the OOM killer would: no clean-up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # the consumer finishes what it runs and stops
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _storage(kind: str, tmp_path: Path) -> dict:
    name = f"voice-test-{uuid.uuid4().hex[:8]}"  # tests running side by side never share a queue
    settings = {"VOICE_JOBS": kind, "JOBS_QUEUE": name, "JOBS_SQLITE_PATH": str(tmp_path / "jobs.db")}
    if kind == "redis":
        settings["REDIS_URL"] = REDIS_URL
    return settings


def _site(database_url: str, storage: dict, **extra):
    """The web app as it runs beside the worker: queueing where the worker reads."""
    config = test_config(database_url)
    config.update(JOBS_STORAGE=storage["VOICE_JOBS"], JOBS_QUEUE=storage["JOBS_QUEUE"],
                  JOBS_SQLITE_PATH=storage["JOBS_SQLITE_PATH"], REDIS_URL=storage.get("REDIS_URL", ""), **extra)
    return create_app(config)


def _wait(condition, timeout: float = 15, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(step)
    return None


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_sign_up_confirmation_arrives_by_itself_with_the_families_language(app, db, tmp_path, kind):
    inbox, controller, port = start_smtp()
    storage = _storage(kind, tmp_path)
    worker = Worker(production_env(app.config["DATABASE_URL"], tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port),
                                   **storage), tmp_path / "worker.log")
    try:
        site = _site(app.config["DATABASE_URL"], storage, PUBLIC_BASE_URL=PUBLIC, TRUSTED_HOSTS=["localhost"])
        cosession = make_session(app, db, day=date.today() + timedelta(days=5), title="Familiekafé på Saupstad")
        browser = site.test_client()
        page = browser.get(f"/sessions/{cosession.public_id}?lang=ar").get_data(as_text=True)
        signed = time.monotonic()
        response = browser.post(f"/sessions/{cosession.public_id}/signup?lang=ar", data={
            "csrf_token": CSRF_RE.search(page).group(1), "name": "أمينة", "adults": "1", "children": "2",
            "email": "amina@example.no", "form_token": "w" * 30})
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert _wait(lambda: inbox.to("amina@example.no"), timeout=10), worker.output()
        took = time.monotonic() - signed
    finally:
        worker.stop()
        controller.stop()
    assert took < 5, f"the confirmation took {took:.1f} s"

    message, = inbox.to("amina@example.no")
    raw = inbox.raw[inbox.messages.index(message)]
    assert message.defects == [] and all(part.defects == [] for part in message.walk())
    assert message["Date"] and re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message["Message-ID"])
    db.expire_all()
    stored = db.exec(select(OutboxMessage)).one()
    assert stored.sent_at is not None and stored.attempts == 1
    # The Arabic subject keeps its spaces after folding: read back by an independent parser, it is the same text.
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == stored.subject and " " in stored.subject
    assert "Familiekafé på Saupstad" in stored.subject
    body = parts(message)
    assert re.search(r'<html lang="ar" dir="rtl"', body["text/html"])
    assert f"{PUBLIC}/sessions/signup/" in body["text/plain"]  # absolute, from PUBLIC_BASE_URL
    assert "localhost" not in raw.decode("ascii", "replace")
    calendar = body["text/calendar"]
    assert "BEGIN:VEVENT" in calendar and "Familiek" in calendar
    assert "Voice worker is up (queue: %s)" % kind in worker.output()


def test_with_no_mail_server_mail_waits_and_the_worker_says_so_once(app, db, tmp_path):
    from .smtp import free_port

    storage = _storage("sqlite", tmp_path)
    worker = Worker(production_env(app.config["DATABASE_URL"], tmp_path, MAIL_SERVER="127.0.0.1",
                                   MAIL_PORT=str(free_port()), **storage), tmp_path / "worker.log")
    try:
        site = _site(app.config["DATABASE_URL"], storage)
        cosession = make_session(app, db, day=date.today() + timedelta(days=5))
        for n in range(3):
            browser = site.test_client()
            page = browser.get(f"/sessions/{cosession.public_id}?lang=nb").get_data(as_text=True)
            assert browser.post(f"/sessions/{cosession.public_id}/signup?lang=nb", data={
                "csrf_token": CSRF_RE.search(page).group(1), "name": f"Person {n}", "adults": "1", "children": "0",
                "email": f"person{n}@example.no", "form_token": f"{n}" * 30}).status_code == 200
        worker.wait_for("cannot be reached")
        time.sleep(1)  # three tasks ran; still one warning
    finally:
        worker.stop()
    assert worker.output().count("cannot be reached") == 1, worker.output()
    assert "Traceback" not in worker.output()
    db.expire_all()
    waiting = db.exec(select(OutboxMessage)).all()
    assert len(waiting) == 3 and all(m.sent_at is None and m.attempts == 0 and m.claimed_at is None for m in waiting)


def test_a_worker_killed_during_an_export_leaves_a_job_the_next_worker_finishes(postgres_url, tmp_path):
    """PostgreSQL, as in production: the test holds a lock on the stories so the export
    stops in the middle, kills the worker there, and starts a new one."""
    from .conftest import _upgrade

    _upgrade(postgres_url)
    storage = _storage("sqlite", tmp_path)
    site = _site(postgres_url, storage, EXPORT_LEASE_SECONDS=5)
    engine = site.extensions["voice_engine"]
    env = production_env(postgres_url, tmp_path, EXPORT_LEASE_SECONDS="5", **storage)
    try:
        from voice.reference.service import seed_reference_data

        with Session(engine, expire_on_commit=False) as db:
            seed_reference_data(session=db)
            db.commit()
            for _ in range(3):
                experience, _code = make_experience(site, db, story="Hjelpen kom fort.")
                experience.status, experience.published_story = "internal", "Hjelpen kom fort."
                db.add(experience)
            moderator, _secret = make_user(site, db, role="moderator")
            db.add(ExportJob(user_id=moderator.id, file_format="csv", purpose="Quarterly report", locale="nb"))
            db.commit()
            job_id = db.exec(select(ExportJob.id)).one()

        def status():
            with Session(engine) as db:
                return db.get(ExportJob, job_id)

        with engine.connect() as blocker:
            blocker.execute(text("LOCK TABLE experience IN ACCESS EXCLUSIVE MODE"))  # the export's count waits here
            worker = Worker(env, tmp_path / "worker-1.log")
            from voice.jobs import tasks

            tasks.soon(tasks.make_export, job_id, storage=tasks.storage_choice_of(site.config))
            assert _wait(lambda: status().status == "running"), worker.output()
            worker.kill()
            blocker.rollback()
        stuck = status()
        assert stuck.status == "running" and stuck.attempts == 1 and stuck.content is None

        time.sleep(5.5)  # no sign of life for longer than the lease
        worker = Worker(env, tmp_path / "worker-2.log")
        try:
            done = _wait(lambda: (job := status()).status in ("done", "failed") and job, timeout=20)
        finally:
            worker.stop()
        assert done, worker.output()
        assert done.status == "done" and done.attempts == 2 and done.content.decode("utf-8-sig").count("Hjelpen kom fort.") == 3
    finally:
        empty_database(engine)
