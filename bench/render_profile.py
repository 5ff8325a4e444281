#!/usr/bin/env python3
"""Where a page's time goes, in one process: cProfile of N renders of each page named, with the
page cache off (so every request renders), on a temporary SQLite database with the [SAMPLE] data.

    .venv/bin/python bench/render_profile.py [--requests 200] [--top 25] [PATH ...]

Prints, per page: the mean milliseconds per request (as measured under the profiler, which
slows Python code down; compare pages with each other, not with the HTTP bench), the number
of SQL statements per request, and the functions with the most cumulative
time. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PATHS = ["/", "/experiences/new", "/stories/", "/sessions/", "/figures/", "/themes/", "/privacy"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="voice-profile-"))
    os.environ.update(VOICE_ENV="development", DATABASE_URL=f"sqlite:///{tmp / 'voice.db'}",
                      VOICE_INSTANCE_PATH=str(tmp), PAGE_CACHE="off", RATELIMIT_ENABLED="0",
                      JOBS_SQLITE_PATH=str(tmp / "jobs.db"))
    from alembic import command
    from sqlalchemy import event
    from sqlmodel import Session

    from voice import create_app
    from voice.cli import alembic_config
    from voice.reference.service import seed_reference_data
    from voice.sample import load_sample_data

    command.upgrade(alembic_config(os.environ["DATABASE_URL"]), "head")
    app = create_app()
    with Session(app.extensions["voice_engine"]) as session:
        seed_reference_data(session=session)
        session.commit()
        load_sample_data(session=session, now=app.extensions["voice_clock"].now(), hasher=app.extensions["voice_hasher"])
        session.commit()

    statements = [0]
    event.listen(app.extensions["voice_engine"], "before_cursor_execute", lambda *a, **k: statements.__setitem__(0, statements[0] + 1))
    client = app.test_client()
    print(f"Voice render profile, {time.strftime('%Y-%m-%d')}: {args.requests} requests per page, page cache off, SQLite, [SAMPLE] data")
    for path in args.paths:
        for _ in range(5):
            client.get(path, headers={"Accept-Language": "nb"})  # warm: templates compiled, catalogs read
        statements[0] = 0
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for _ in range(args.requests):
            response = client.get(path, headers={"Accept-Language": "nb"})
        profile.disable()
        elapsed = time.perf_counter() - started
        print(f"\n== GET {path}: HTTP {response.status_code}, {elapsed / args.requests * 1000:.1f} ms per request under the profiler, "
              f"{statements[0] / args.requests:.1f} SQL statements ==")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
        lines = [line for line in out.getvalue().splitlines() if line.strip()]
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        print("\n".join(lines[start:start + args.top + 1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
