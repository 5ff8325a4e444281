#!/usr/bin/env python3
"""Gunicorn workers killed while families are writing: is anything half-written, lost or doubled?

    .venv/bin/python bench/faults.py [--database both|sqlite|postgresql] [--duration 10] [--interval 0.5]

Not part of the test suite: it needs gunicorn, signals and ten seconds of load
per database. For each database (a temporary SQLite file, or a temporary
PostgreSQL database `voice_bench_<random>`, dropped afterwards) it:

1. migrates and seeds, and creates two published sessions (a tight one with
   --capacity places and a roomy one), as bench/write_run.py does;
2. starts gunicorn with 2 workers (`--workers 2 --threads 1 --preload`, rate
   limits off, production Argon2 cost). `--preload` (the master imports the app
   once, a new worker is a fork ready in milliseconds) is what makes a kill every
   half second land on requests in flight: without it a new worker spends one to
   three seconds importing the app on this machine, so with a kill every 0.5 s the
   two workers are mostly booting and few requests are served at all. A request
   dies the same way in both cases; `--no-preload` runs it as `make run` does;
3. sends experience submissions and sign-ups from --connections client threads
   (the client of bench/write_run.py: every request has its own form_token and
   its own text, and every answer is recorded), and meanwhile SIGKILLs a random
   worker of that gunicorn every --interval seconds (jittered by +-20 %) for
   --duration seconds. Only the worker processes of the gunicorn started here
   are signalled, by their pid (children of its master); the master starts new
   ones;
4. waits until the site answers again, and reads the database directly.

It checks what must hold whatever the timing of a kill: every stored experience
has at least one experience_service row (a request commits all or nothing, so
no half-written story); every acknowledged submission and sign-up is stored
exactly once, with what was sent; nothing answered with an error status was
stored; no session is over-booked. Requests whose connection died with the
worker have no answer; they may be stored or not (the kill came after or before
the commit), and the counts of both are printed. Exit status 1 if a check fails.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_http import ARGON2_MEMORY_COST, ARGON2_TIME_COST, FORM_PATH, ROOT, BenchError, BenchTimeout, Server  # noqa: E402
from write_run import (  # noqa: E402
    Report,
    Target,
    WriteLoad,
    browser_session,
    create_session,
    missing_prerequisites,
    prepare,
    print_table,
    verify,
)


class KillableServer(Server):
    """gunicorn as in run_http.py, optionally with --preload (see the docstring)."""

    def __init__(self, *args, preload: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.preload = preload

    def command(self) -> list[str]:
        cmd = super().command()
        return cmd[:-1] + (["--preload"] if self.preload else []) + cmd[-1:]


def worker_pids(master_pid: int) -> list[int]:
    """The pids whose parent is this gunicorn master (its workers), from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == master_pid:
            pids.append(int(entry))
    return pids


def wait_answering(base: str, timeout: float = 60) -> float:
    """Seconds until GET / answers 200 again."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(base + "/", timeout=10) as resp:
                if resp.status == 200:
                    return time.monotonic() - started
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise BenchError(f"the site did not answer GET / within {timeout:.0f}s after the kills")


def one_database(kind: str, args) -> Report:
    report = Report()
    tmpdir = Path(tempfile.mkdtemp(prefix=f"voice-faults-{kind}-"))
    db = server = None
    try:
        print(f"[{kind}] preparing:")
        db, env = prepare(kind, tmpdir)
        tight = create_session(env, args.capacity)
        roomy = create_session(env, 10000)
        server = KillableServer("voice", "voice:create_app()", ROOT, env, 2, tmpdir, preload=args.preload)
        server.start()
        server.wait_ready(FORM_PATH)
        cookie, csrf_token = browser_session(server.base)
        master = server.proc.pid
        load = WriteLoad(Target(server.base, cookie, csrf_token, [tight, roomy]), args.connections, timeout=20)
        stop = threading.Event()
        runner = threading.Thread(target=load.run, args=(args.duration + 60, stop), daemon=True)
        print(f"[{kind}] gunicorn --workers 2{' --preload' if args.preload else ''} on {server.base} (master pid {master}); {args.connections} client threads; "
              f"SIGKILL a random worker every ~{args.interval}s for {args.duration}s ...", flush=True)
        runner.start()
        kills: list[int] = []
        rng = random.Random(secrets.randbits(32))
        end = time.monotonic() + args.duration
        while time.monotonic() < end:
            time.sleep(args.interval * rng.uniform(0.8, 1.2))
            if server.proc.poll() is not None:
                raise BenchError("the gunicorn master itself exited")
            pids = worker_pids(master)
            if pids:
                victim = rng.choice(pids)
                try:
                    os.kill(victim, signal.SIGKILL)
                    kills.append(victim)
                except ProcessLookupError:
                    pass
        stop.set()
        runner.join(timeout=load.timeout + 30)
        back = wait_answering(server.base)
        answered = [s for s in load.sent if s.status is not None]
        report.figure("workers SIGKILLed", len(kills))
        report.figure("site answering again after the last kill", f"{back:.1f}s")
        report.figure("requests with an answer / connection lost", f"{len(answered)} / {len(load.sent) - len(answered)}")
        verify(db, load.sent, report, session_labels={tight: "tight session", roomy: "roomy session"})
    except BenchError as exc:
        report.must(f"run failed: {exc}".replace("\n", " ")[:300], "-", False)
        if server is not None and server.proc is not None:
            print(f"--- gunicorn log tail ---\n{server.log_tail()}", file=sys.stderr)
    finally:
        if server is not None:
            server.stop()
        if db is not None:
            db.drop()
        shutil.rmtree(tmpdir, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database", choices=("both", "sqlite", "postgresql"), default="both")
    ap.add_argument("--duration", type=float, default=10, help="seconds of killing per database (default 10)")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between kills (default 0.5, +-20%%)")
    ap.add_argument("--connections", type=int, default=8, help="client threads (default 8)")
    ap.add_argument("--capacity", type=int, default=40, help="places in the tight session (default 40)")
    ap.add_argument("--no-preload", dest="preload", action="store_false",
                    help="start gunicorn without --preload, as `make run` does (new workers boot slowly)")
    args = ap.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    missing = missing_prerequisites(kinds)
    if missing:
        print("Cannot run; missing:\n  - " + "\n  - ".join(missing), file=sys.stderr)
        return 2

    def on_term(_signum, _frame):
        raise KeyboardInterrupt

    def on_alarm(_signum, _frame):
        raise BenchTimeout("the run went past its time budget")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(len(kinds) * (args.duration + 400)))
    print(f"Voice fault run (workers killed), {date.today().isoformat()}: {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} at start; production Argon2 cost (t={ARGON2_TIME_COST}, m={ARGON2_MEMORY_COST} KiB); "
          "rate limits off")
    reports = {}
    try:
        for kind in kinds:
            reports[kind] = one_database(kind, args)
    except (KeyboardInterrupt, BenchTimeout) as exc:
        print(f"\nstopped: {exc or 'interrupted'}", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
    print()
    print("== Result (OK/FAIL are checks; the other lines are counts) ==")
    print_table(reports)
    print()
    failed = [(kind, c) for kind, rep in reports.items() for c in rep.failed]
    for kind, c in failed:
        print(f"FAIL [{kind}] {c.label}: {c.value}")
    if not failed:
        print("all checks passed on " + " and ".join(kinds))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
