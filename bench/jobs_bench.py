#!/usr/bin/env python3
"""The job worker under load: jobs per second, and the delay from queueing an e-mail to its
arrival at a real SMTP server, on the SQLite and the Redis queue.

    .venv/bin/python bench/jobs_bench.py [--messages 1000] [--rate 100] [--storage sqlite,redis]

For each storage it starts the real worker (`huey_consumer voice.jobs.worker.huey
--workers 2 --worker-type thread`, as the Procfile does) on a fresh SQLite database with
an aiosmtpd server in this process, then:

1. **Jobs per second.** N send-mail tasks are queued at once with the outbox empty (each
   still a real job: it claims what is due, finds nothing, returns); the figure is N over
   the time until the worker has taken them all and the queue is empty.
2. **Delivery delay.** N e-mails are queued one at a time at ``--rate`` per second, each
   as a request does it (stored in the outbox and committed, then a send-mail task); the
   delay of each is its arrival at the SMTP server minus the moment it was committed.
   Median and p99, and every message is checked to have arrived exactly once.

The baseline, measured in the same run because this machine is shared and noisy: the same
send-mail pass called directly in this process (no queue, no worker), N times with the
outbox empty and, for the delay, one message at a time queued and sent at once. Every
figure is printed with its ratio against the baseline.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CONSUMER = [str(Path(sys.executable).parent / "huey_consumer"), "voice.jobs.worker.huey", "--workers", "2",
            "--worker-type", "thread", "--delay", "0.1", "--max-delay", "0.5", "--no-periodic"]
MESSAGE_ID = re.compile(r"<voice-outbox-(\d+)-")


class Arrivals:
    """The SMTP server's side: when each outbox message arrived, and how often."""

    def __init__(self):
        self.at: dict[int, float] = {}
        self.twice = 0

    async def handle_DATA(self, server, session, envelope):
        match = MESSAGE_ID.search(envelope.content.decode("ascii", "replace"))
        if match:
            key = int(match.group(1))
            self.twice += key in self.at
            self.at.setdefault(key, time.monotonic())
        return "250 OK"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def settings(tmp: Path, storage: str, smtp_port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICE_", "FLASK_", "JOBS_"))}
    env.update(VOICE_ENV="production", PUBLIC_BASE_URL="https://voice.example.no", SECRET_KEY="bench",
               VOICE_INSTANCE_PATH=str(tmp / "instance"), DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}",
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), VOICE_JOBS=storage,
               JOBS_QUEUE=f"voice-bench-{os.getpid()}", JOBS_SQLITE_PATH=str(tmp / "jobs.db"), PYTHONPATH=str(ROOT))
    if storage == "redis":
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return env


def run_storage(storage: str, messages: int, rate: float) -> dict:
    from aiosmtpd.controller import Controller

    tmp = Path(tempfile.mkdtemp(prefix=f"voice-jobs-bench-{storage}-"))
    arrivals = Arrivals()
    from tests.smtp import free_port  # a free local port, as the tests take one

    port = free_port()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=port)
    smtp.start()
    env = settings(tmp, storage, port)
    os.environ.update(env)  # this process is the web side: it queues where the worker reads
    worker = None
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "voice", "voice", "migrate"], env=env, cwd=ROOT,
                       check=True, capture_output=True, timeout=120)
        from sqlalchemy import delete
        from sqlmodel import Session

        from voice import create_app
        from voice.jobs import service, tasks
        from voice.mail.models import OutboxMessage
        from voice.mail.service import queue_mail

        app = create_app()
        import logging

        for noisy in ("mail.log", "voice.jobs", "voice.worker", "huey"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        context = tasks.context_from_app(app)
        storage_choice = tasks.storage_choice_of(app.config)
        engine = context.engine

        def queue_one(n: int) -> int:
            with Session(engine) as session:
                message = queue_mail(session=session, to=f"family{n}@example.no", template="password_reset", locale="nb",
                                     context={"name": "Bench", "link": "https://voice.example.no/x"})
                session.commit()
                return message.id

        # Baseline: the same pass in this process, no queue.
        started = time.perf_counter()
        for _ in range(messages):
            service.send_mail(context)
        direct_jobs = messages / (time.perf_counter() - started)
        direct_delays = []
        for n in range(min(messages, 200)):
            key = queue_one(n)
            queued = time.monotonic()
            service.send_mail(context)
            direct_delays.append(arrivals.at[key] - queued)
        with Session(engine) as session:
            session.execute(delete(OutboxMessage))
            session.commit()
        arrivals.at.clear()

        log = (tmp / "worker.log").open("ab")
        worker = subprocess.Popen(CONSUMER, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while "Voice worker is up" not in (tmp / "worker.log").read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start:\n{(tmp / 'worker.log').read_text()}")
            time.sleep(0.05)

        # 1. Jobs per second: N tasks at once, outbox empty.
        started = time.perf_counter()
        for _ in range(messages):
            tasks.soon(tasks.send_mail, storage=storage_choice)
        while tasks.queue_length(storage_choice):
            time.sleep(0.01)
        worker_jobs = messages / (time.perf_counter() - started)

        # 2. Delivery delay: one message at a time at the given rate, as requests queue them.
        queued_at: dict[int, float] = {}
        pace = 1 / rate
        next_at = time.monotonic()
        for n in range(messages):
            key = queue_one(n)
            queued_at[key] = time.monotonic()
            tasks.soon(tasks.send_mail, storage=storage_choice)
            next_at += pace
            time.sleep(max(0.0, next_at - time.monotonic()))
        deadline = time.monotonic() + 120
        while len(arrivals.at) < messages and time.monotonic() < deadline:
            time.sleep(0.05)
        delays = [arrivals.at[key] - queued for key, queued in queued_at.items() if key in arrivals.at]
        return {"storage": storage, "messages": messages, "arrived": len(delays), "twice": arrivals.twice,
                "jobs_per_s": worker_jobs, "direct_jobs_per_s": direct_jobs,
                "median": statistics.median(delays) if delays else float("nan"),
                "p99": percentile(delays, 0.99) if delays else float("nan"),
                "direct_median": statistics.median(direct_delays), "direct_p99": percentile(direct_delays, 0.99)}
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGINT)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        smtp.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="messages queued per second in the delay test")
    parser.add_argument("--storage", default="sqlite,redis")
    args = parser.parse_args()
    print(f"Job worker: {args.messages} jobs and {args.messages} e-mails per storage, mail queued at {args.rate:g}/s; "
          f"{os.cpu_count()} cores")
    print(f"{'storage':8} {'jobs/s':>9} {'(x direct)':>10} {'delay p50':>10} {'p99':>8} {'(p50 x direct)':>15} "
          f"{'arrived':>8} {'twice':>6}")
    failed = False
    for storage in args.storage.split(","):
        r = run_storage(storage.strip(), args.messages, args.rate)
        print(f"{r['storage']:8} {r['jobs_per_s']:9.0f} {r['jobs_per_s'] / r['direct_jobs_per_s']:10.2f} "
              f"{r['median'] * 1000:8.0f}ms {r['p99'] * 1000:6.0f}ms {r['median'] / r['direct_median']:15.1f} "
              f"{r['arrived']:8d} {r['twice']:6d}")
        print(f"{'':8} baseline in-process: {r['direct_jobs_per_s']:.0f} passes/s, one message queued and sent at once "
              f"p50 {r['direct_median'] * 1000:.1f} ms, p99 {r['direct_p99'] * 1000:.1f} ms")
        failed |= r["arrived"] != r["messages"] or r["twice"] != 0
    if failed:
        print("FAILED: a message did not arrive, or arrived twice")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
