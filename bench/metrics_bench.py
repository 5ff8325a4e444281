#!/usr/bin/env python3
"""Benchmark of the figures (issue #6) on one million experiences.

    .venv/bin/python bench/metrics_bench.py [--rows 1000000] [--repeats 5] [--database both|sqlite|postgresql]

For each database it:

1. makes a temporary database: an SQLite file in a temporary directory, or a
   PostgreSQL database ``voice_bench_<random>`` on
   postgresql://postgres@127.0.0.1:5432/postgres;
2. builds the schema with ``alembic upgrade head`` and seeds the reference data;
3. bulk-loads ``--rows`` experiences spread over the last three years, with their
   services, life domains and answers, plus co-creation sessions and sign-ups
   (sqlite3 ``executemany`` / PostgreSQL ``COPY``; never the ORM row by row),
   then runs ANALYZE (VACUUM ANALYZE on PostgreSQL, so index-only scans work);
4. times each request through the Flask test client (the dashboard for a month,
   a quarter, a year and with filters; each download; the monitoring feed):
   ``--repeats`` runs after one warm-up, the median is reported;
5. times, in the same process and the same way, the raw SQL GROUP BY statements
   the request rests on, written by hand and run on the DB-API connection
   (sqlite3 / psycopg), and prints both with their ratio.

Everything it makes is removed at the end, also on errors and Ctrl-C: the
temporary directory, and the PostgreSQL database (DROP DATABASE ... WITH FORCE).
It prints figures; it asserts nothing about time.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/"
CHUNK = 50_000
YEARS = 3

STATUSES = (("published", 62), ("internal", 25), ("new", 8), ("rejected", 5))
USEFULNESS = ((None, 12), (1, 8), (2, 12), (3, 20), (4, 28), (5, 20))
LISTENED = ((None, 15), ("yes", 50), ("partly", 20), ("no", 15))
EXPLAINED = ((None, 20), (0, 8), (1, 22), (2, 20), (3, 12), (4, 8), (5, 5), (6, 5))
CHANGES = (("none", 50), ("planned", 30), ("made", 20))
PARTNER_KINDS = ("volunteer", "nonprofit", "business", "resident", "service")

EXPERIENCE_COLUMNS = (
    "id", "public_id", "created_at", "status", "usefulness", "listened", "services_explained", "area_id",
    "story", "story_lang", "page_lang", "consent_publish", "pii_kinds", "receipt_locator", "receipt_hash",
    "form_token", "published_story", "translation", "translation_lang", "reject_reason", "serious_concern",
    "report_count", "is_hidden",
)
ANSWER_COLUMNS = ("experience_id", "service_id", "created_at", "text", "lang", "change_status")
SESSION_COLUMNS = (
    "id", "public_id", "title", "description", "text_lang", "kind", "area_id", "venue", "starts_at", "ends_at",
    "capacity", "seats_taken", "languages", "interpreter", "childcare", "step_free", "cost", "status",
    "cancel_reason", "organiser_kind", "outcome", "created_at",
)
SIGNUP_COLUMNS = (
    "session_id", "form_token", "token_hash", "role", "status", "name", "adults", "children", "interpreter_lang",
    "needs_childcare", "accessibility", "page_lang", "created_at", "attended", "usefulness",
)


def _weighted(pairs):
    values = [v for v, _ in pairs]
    weights = [w for _, w in pairs]
    return values, weights


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


class Generator:
    """Deterministic synthetic data (seeded), produced in chunks."""

    def __init__(self, rows: int, services: list[int], areas: list[int], domains: list[int], now: datetime, seed: int = 6):
        self.rows = rows
        self.services, self.areas, self.domains = services, areas, domains
        self.now = now
        self.start = now - timedelta(days=365 * YEARS)
        self.random = random.Random(seed)

    def experiences(self):
        """Yields chunks of (experience rows, service links, domain links, answers)."""
        rnd = self.random
        span = (self.now - self.start).total_seconds()
        statuses, status_w = _weighted(STATUSES)
        useful, useful_w = _weighted(USEFULNESS)
        listened, listened_w = _weighted(LISTENED)
        explained, explained_w = _weighted(EXPLAINED)
        changes, change_w = _weighted(CHANGES)
        area_values = [None] + self.areas
        area_w = [5] + [20, 18, 10, 8, 8, 8, 15, 8][: len(self.areas)]
        for first in range(1, self.rows + 1, CHUNK):
            count = min(CHUNK, self.rows - first + 1)
            # Ids follow time, as they do when families tell their stories one after another.
            offsets = [(first - 1 + j + rnd.random()) * span / self.rows for j in range(count)]
            st = rnd.choices(statuses, status_w, k=count)
            us = rnd.choices(useful, useful_w, k=count)
            li = rnd.choices(listened, listened_w, k=count)
            ex = rnd.choices(explained, explained_w, k=count)
            ar = rnd.choices(area_values, area_w, k=count)
            rows, links, domains, answers = [], [], [], []
            for j in range(count):
                eid = first + j
                created = self.start + timedelta(seconds=offsets[j])
                rows.append((
                    eid, f"bench{eid:027d}", created, st[j], us[j], li[j], ex[j], ar[j],
                    "Bench story.", "nb", "nb", st[j] == "published", "", f"{eid % 100_000_000:08d}", "!bench",
                    f"bench-{eid}", "Bench story." if st[j] == "published" else "", "", "", "", False, 0, False,
                ))
                named = rnd.sample(self.services, rnd.choices((1, 2, 3), (55, 30, 15))[0])
                links.extend((eid, s) for s in named)
                domains.extend((eid, d) for d in rnd.sample(self.domains, rnd.choices((0, 1, 2, 3), (25, 40, 25, 10))[0]))
                if st[j] == "published" and rnd.random() < 0.3:
                    answers.append((eid, named[0], created + timedelta(days=3), "Bench answer.", "nb",
                                    rnd.choices(changes, change_w)[0]))
            yield rows, links, domains, answers

    def cocreation(self):
        """About 20 sessions a week, with their confirmed, waiting and cancelled sign-ups."""
        rnd = self.random
        sessions, links, signups = [], [], []
        weeks = 52 * YEARS
        sid = 0
        for week in range(weeks):
            for _ in range(20):
                sid += 1
                starts = self.start + timedelta(weeks=week, days=rnd.randrange(7), hours=rnd.randrange(9, 19))
                status = rnd.choices(("published", "cancelled", "pending"), (90, 5, 5))[0]
                sessions.append((
                    sid, f"bench-session-{sid}", "Bench session", "", "nb", "workshop",
                    rnd.choice([None] + self.areas), "Bench venue", starts, starts + timedelta(hours=2),
                    40, 0, "nb", False, False, False, "", status, "", rnd.choice(PARTNER_KINDS), "",
                    starts - timedelta(days=14),
                ))
                if rnd.random() < 0.5:
                    links.append((sid, rnd.choice(self.services)))
                for k in range(rnd.randrange(0, 21)):
                    signups.append((
                        sid, f"bench-{sid}-{k}", f"bench-token-{sid}-{k}", rnd.choices(("participant", "helper"), (9, 1))[0],
                        rnd.choices(("confirmed", "waiting", "cancelled"), (80, 10, 10))[0], "", 1 + rnd.randrange(2),
                        rnd.randrange(4), "", False, "", "nb", starts - timedelta(days=3),
                        rnd.choices((None, True, False), (30, 60, 10))[0], rnd.choices((None, 1, 2, 3, 4, 5), (50, 3, 5, 10, 17, 15))[0],
                    ))
        return sessions, links, signups


def _sqlite_value(value):
    if isinstance(value, datetime):  # as SQLAlchemy stores a UTCDateTime on SQLite
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def _insert_sqlite(conn, table: str, columns, rows) -> None:
    marks = ", ".join("?" * len(columns))
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        ([_sqlite_value(v) for v in row] for row in rows),
    )


def _copy_pg(cursor, table: str, columns, rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(url: str, rows: int, now: datetime) -> dict:
    """Fill the database; return counts of what was loaded."""
    sqlite = url.startswith("sqlite")
    if sqlite:
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")
        cursor = conn
        write = lambda table, cols, data: _insert_sqlite(conn, table, cols, data)  # noqa: E731
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        cursor = conn.cursor()
        write = lambda table, cols, data: _copy_pg(cursor, table, cols, data)  # noqa: E731

    def ids(table):
        return [r[0] for r in cursor.execute(f"SELECT id FROM {table} ORDER BY position, id").fetchall()]

    # Plain indexes are dropped during the load and built again afterwards (much faster
    # than keeping them up to date row by row); they are the migration's own definitions.
    tables = ("experience", "experience_service", "experience_domain", "service_answer", "cocreation_session",
              "cocreation_signup", "cocreation_session_service")
    listed = ", ".join(f"'{t}'" for t in tables)
    if sqlite:
        indexes = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({listed})"
        ).fetchall()
    else:
        indexes = cursor.execute(
            f"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ({listed}) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
    for name, _sql in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    generator = Generator(rows, ids("service"), ids("area"), ids("life_domain"), now)
    counts = dict.fromkeys(("experiences", "service links", "domain links", "answers", "sessions", "signups"), 0)
    for experiences, links, domains, answers in generator.experiences():
        write("experience", EXPERIENCE_COLUMNS, experiences)
        write("experience_service", ("experience_id", "service_id"), links)
        write("experience_domain", ("experience_id", "domain_id"), domains)
        write("service_answer", ANSWER_COLUMNS, answers)
        conn.commit()
        for key, chunk in zip(("experiences", "service links", "domain links", "answers"), (experiences, links, domains, answers)):
            counts[key] += len(chunk)
    sessions, session_links, signups = generator.cocreation()
    write("cocreation_session", SESSION_COLUMNS, sessions)
    write("cocreation_session_service", ("session_id", "service_id"), session_links)
    write("cocreation_signup", SIGNUP_COLUMNS, signups)
    counts["sessions"], counts["signups"] = len(sessions), len(signups)
    conn.commit()
    for _name, sql in indexes:
        cursor.execute(sql)
    conn.commit()
    if sqlite:
        conn.execute("ANALYZE")
        conn.commit()
    else:
        for table in ("experience", "cocreation_session"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cursor.execute("VACUUM ANALYZE")
    conn.close()
    return counts
