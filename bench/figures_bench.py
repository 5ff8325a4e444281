#!/usr/bin/env python3
"""Benchmark of the figures (issue #6) on one million experiences.

    .venv/bin/python bench/figures_bench.py [--rows 1000000] [--repeats 5] [--database both|sqlite|postgresql]

For each database it:

1. makes a temporary database: an SQLite file in a temporary directory, or a
   PostgreSQL database ``voice_bench_<random>`` on
   postgresql://postgres@127.0.0.1:5432/postgres;
2. builds the schema with ``alembic upgrade head`` and seeds the reference data;
3. bulk-loads ``--rows`` experiences spread over the last three years, with their
   services, life domains and answers, plus co-creation sessions and sign-ups
   (sqlite3 ``executemany`` / PostgreSQL ``COPY``; never the ORM row by row),
   then runs ANALYZE (VACUUM ANALYZE on PostgreSQL, so index-only scans work);
4. rebuilds the monthly tally the figures are read from (``rollup.rebuild``, as
   ``flask voice figures --rebuild``) and times it, and times one moderation
   decision with and without the tally kept up to date (rolled back), then
   commits 200 random decisions and compares the whole tally with a fresh
   count (the exit status is 1 if any row differs; timings never set it);
5. times each request through the Flask test client (the dashboard for a month,
   a quarter, a year and with filters; each download; the monitoring feed):
   ``--repeats`` runs after one warm-up, the median is reported;
6. times, in the same process and the same way, two sets of hand-written SQL on
   the DB-API connection (sqlite3 / psycopg): the GROUP BY statements on the
   tally that the request rests on, and the plain GROUP BY over the experiences
   that it would need without the tally; prints all three with the ratios.

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
import signal
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

from voice.figures.tables import TREND_LENGTH  # noqa: E402

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
        write = lambda table, cols, data: _insert_sqlite(conn, table, cols, data)
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        cursor = conn.cursor()
        write = lambda table, cols, data: _copy_pg(cursor, table, cols, data)

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


# --------------------------------------------------------------------------
# The raw SQL each request rests on, written the plain way (GROUP BY, no tricks)
# --------------------------------------------------------------------------

AGGREGATES = (
    "count(*), count(e.usefulness), sum(CASE WHEN e.usefulness >= 4 THEN 1 ELSE 0 END), count(e.listened), "
    "sum(CASE WHEN e.listened = 'yes' THEN 1 ELSE 0 END), "
    + ", ".join(f"sum(CASE WHEN e.services_explained = {k} THEN 1 ELSE 0 END)" for k in range(7))
    + ", sum(CASE WHEN e.status = 'published' THEN 1 ELSE 0 END)"
)
MODERATED = "e.status IN ('published', 'internal')"


def raw_statements(kind: str, *, area_id: int | None, service_id: int | None, now: datetime, trend: int) -> list[tuple[str, list]]:
    """The GROUP BY statements behind one dashboard view, as a developer would write them."""
    from voice.figures.service import Period

    period = Period.containing(kind, now)
    periods = [period.shifted(-i) for i in reversed(range(trend))]
    bounds = [p.start_utc for p in periods] + [period.end_utc]
    extra, extra_params = "", []
    if service_id is not None:
        extra += " AND EXISTS (SELECT 1 FROM experience_service s WHERE s.experience_id = e.id AND s.service_id = ?)"
        extra_params.append(service_id)
    bucket = "CASE " + " ".join(f"WHEN e.created_at < ? THEN {i}" for i in range(len(periods) - 1)) + f" ELSE {len(periods) - 1} END"
    period_where = f"{MODERATED} AND e.created_at >= ? AND e.created_at < ?"
    area_where = " AND e.area_id = ?" if area_id is not None else ""
    area_params = [area_id] if area_id is not None else []
    statements = [
        (f"SELECT {bucket} AS bucket, e.area_id, {AGGREGATES} FROM experience e WHERE {period_where}{extra} GROUP BY 1, 2",
         [*bounds[1:-1], bounds[0], bounds[-1], *extra_params]),
    ]
    for table, column in (("experience_service", "service_id"), ("experience_domain", "domain_id")):
        statements.append((
            f"SELECT l.{column}, {AGGREGATES} FROM experience e JOIN {table} l ON l.experience_id = e.id "
            f"WHERE {period_where}{area_where} GROUP BY l.{column}",
            [period.start_utc, period.end_utc, *area_params]))
    statements.append((
        "SELECT a.service_id, count(DISTINCT a.experience_id), count(*), "
        "sum(CASE WHEN a.change_status IN ('planned', 'made') THEN 1 ELSE 0 END) "
        f"FROM service_answer a JOIN experience e ON e.id = a.experience_id WHERE {period_where}{area_where}{extra} "
        "GROUP BY a.service_id", [period.start_utc, period.end_utc, *area_params, *extra_params]))
    statements.append((
        "SELECT s.area_id, s.organiser_kind, count(DISTINCT s.id), count(u.id) FROM cocreation_session s "
        "LEFT JOIN cocreation_signup u ON u.session_id = s.id AND u.status = 'confirmed' "
        "WHERE s.status = 'published' AND s.ends_at <= ? AND s.starts_at >= ? AND s.starts_at < ? "
        "GROUP BY s.area_id, s.organiser_kind", [now, period.start_utc, period.end_utc]))
    return statements


TALLY_SUMS = ", ".join(f"sum({name})" for name in (
    "experiences", "useful_answers", "useful", "listened_answers", "listened", *(f"explained_{k}" for k in range(7)),
    "published", "answered", "answers", "changes"))


def tally_statements(kind: str, *, area_id: int | None, service_id: int | None, now: datetime, trend: int) -> list[tuple[str, list]]:
    """The GROUP BY statements on the monthly tally that the request now runs (voice/figures/service.py
    ``tallies``): per area over the trend, per service and per life domain for the chosen period."""
    from voice.figures.service import Period

    period = Period.containing(kind, now)
    first = period.shifted(-(trend - 1)).first_day
    last = period.last_day
    months = [first.year * 100 + first.month, last.year * 100 + last.month]
    chosen = [period.first_day.year * 100 + period.first_day.month, months[1]]
    service = service_id or 0
    area_where = " AND area_id = ?" if area_id is not None else ""
    area_params = [area_id] if area_id is not None else []
    return [
        (f"SELECT month, area_id, {TALLY_SUMS} FROM experience_tally WHERE service_id = ? AND domain_id = 0 "
         "AND month BETWEEN ? AND ? GROUP BY month, area_id", [service, *months]),
        (f"SELECT month, service_id, {TALLY_SUMS} FROM experience_tally WHERE service_id > 0 AND domain_id = 0 "
         f"AND month BETWEEN ? AND ?{area_where} GROUP BY month, service_id", [*chosen, *area_params]),
        (f"SELECT month, domain_id, {TALLY_SUMS} FROM experience_tally WHERE service_id = ? AND domain_id > 0 "
         f"AND month BETWEEN ? AND ?{area_where} GROUP BY month, domain_id", [service, *chosen, *area_params]),
    ]


class RawRunner:
    """Runs hand-written SQL on the DB-API connection (sqlite3 / psycopg)."""

    def __init__(self, url: str):
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        else:
            import psycopg

            self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def run(self, statements) -> int:
        rows = 0
        for sql, params in statements:
            if self.sqlite:
                result = self.conn.execute(sql, [_sqlite_value(p) for p in params]).fetchall()
            else:
                result = self.conn.execute(sql.replace("?", "%s"), params).fetchall()
            rows += len(result)
        return rows

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------

TOKEN = "bench-" + uuid.uuid4().hex


def _median_ms(action, repeats: int) -> float:
    action()  # warm-up: caches, compiled statements, the database's pages
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def scenarios(ids: dict) -> list[tuple[str, str, list]]:
    """(name, path, [(period type, area id, service id), ...] of the raw SQL it rests on)."""
    kattem, nav = ids["area"]["kattem"], ids["service"]["nav"]
    return [
        ("dashboard, month", "/figures/?period_type=month", [("month", None, None)]),
        ("dashboard, quarter (default)", "/figures/", [("quarter", None, None)]),
        ("dashboard, year", "/figures/?period_type=year", [("year", None, None)]),
        ("dashboard, quarter, area", "/figures/?period_type=quarter&area=kattem", [("quarter", kattem, None)]),
        ("dashboard, quarter, service", "/figures/?period_type=quarter&service=nav", [("quarter", None, nav)]),
        ("dashboard, quarter, area+service", "/figures/?period_type=quarter&area=kattem&service=nav",
         [("quarter", kattem, nav)]),
        ("download CSV, quarter", "/figures/download.csv?period_type=quarter", [("quarter", None, None)]),
        ("download JSON, quarter", "/figures/download.json?period_type=quarter", [("quarter", None, None)]),
        ("download JSON-stat, quarter", "/figures/download.jsonstat?period_type=quarter&table=experiences",
         [("quarter", None, None)]),
        ("download CSV, year", "/figures/download.csv?period_type=year", [("year", None, None)]),
        ("monitoring feed (month+quarter+year)", "/figures/metrics",
         [("month", None, None), ("quarter", None, None), ("year", None, None)]),
    ]




def measure_upkeep(app, repeats: int) -> tuple[float, float]:
    """One moderation decision through the service (the tally kept up to date in the
    same transaction) beside the same change without the tally; both rolled back."""
    from types import SimpleNamespace

    from sqlmodel import Session, select

    from voice.clock import utcnow
    from voice.experiences.models import Experience
    from voice.moderation.service import decide

    engine = app.extensions["voice_engine"]
    with Session(engine) as session:
        target = session.exec(select(Experience.id).where(Experience.status == "published").order_by(Experience.id.desc())).first()
    moderator = SimpleNamespace(id=None)

    def with_tally():
        with Session(engine) as session:
            decide(session=session, experience=session.get(Experience, target), moderator=moderator,
                   decision="internal", published_story="", now=utcnow())
            session.flush()
            session.rollback()

    def without():
        with Session(engine) as session:
            experience = session.get(Experience, target)
            experience.status = "internal"
            session.add(experience)
            session.flush()
            session.rollback()

    return _median_ms(with_tally, repeats * 4), _median_ms(without, repeats * 4)


def check_upkeep(app, decisions: int = 200) -> int:
    """Commit ``decisions`` random moderation steps (decisions and new tags) through the
    service, then compare the whole tally with a fresh count; return how many rows differ."""
    from types import SimpleNamespace

    from sqlalchemy import func
    from sqlmodel import Session, select

    from voice.clock import utcnow
    from voice.experiences.models import Experience
    from voice.figures import rollup
    from voice.moderation.service import decide, tag_and_decide
    from voice.reference.models import Area, Service

    rnd = random.Random(66)
    engine = app.extensions["voice_engine"]
    moderator = SimpleNamespace(id=None)
    with Session(engine) as session:
        highest = session.exec(select(func.max(Experience.id))).one()
        services = [s.slug for s in session.exec(select(Service))]
        areas = [a.slug for a in session.exec(select(Area))] + [None]
        for _ in range(decisions):
            experience = session.get(Experience, rnd.randint(1, highest))
            choice = rnd.choice(("published", "internal", "rejected"))
            if choice == "published" and not experience.consent_publish:
                choice = "internal"
            decision = dict(decision=choice, published_story="Bench.", reject_reason="Bench.")
            if rnd.random() < 0.5:
                tag_and_decide(session=session, now=utcnow(), experience=experience, moderator=moderator,
                               service_slugs=rnd.sample(services, rnd.randint(1, 3)), area_slug=rnd.choice(areas),
                               domain_slugs=[], **decision)
            else:
                decide(session=session, now=utcnow(), experience=experience, moderator=moderator, **decision)
            session.commit()
        return len(rollup.differences(session, limit=1_000_000))


def measure(app, url: str, repeats: int, now: datetime) -> list[tuple[str, float, float, float]]:
    from sqlmodel import Session, select

    from voice.reference.models import Area, Service

    with Session(app.extensions["voice_engine"]) as session:
        ids = {"area": {a.slug: a.id for a in session.exec(select(Area))},
               "service": {s.slug: s.id for s in session.exec(select(Service))}}
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept-Language": "nb"}
    raw = RawRunner(url)
    results = []
    try:
        for name, path, raws in scenarios(ids):
            def request(path=path):
                response = client.get(path, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status_code}")

            statements = [s for kind, area, service in raws
                          for s in raw_statements(kind, area_id=area, service_id=service, now=now, trend=TREND_LENGTH[kind])]
            tallies = [s for kind, area, service in raws
                       for s in tally_statements(kind, area_id=area, service_id=service, now=now, trend=TREND_LENGTH[kind])]
            request_ms = _median_ms(request, repeats)
            raw_ms = _median_ms(lambda statements=statements: raw.run(statements), repeats)
            tally_ms = _median_ms(lambda tallies=tallies: raw.run(tallies), repeats)
            results.append((name, request_ms, raw_ms, tally_ms))
            print(f"  {name:40s} {request_ms:9.1f} ms   scan SQL {raw_ms:9.1f} ms   tally SQL {tally_ms:7.1f} ms", flush=True)
    finally:
        raw.close()
    return results


# --------------------------------------------------------------------------
# Databases that clean up after themselves
# --------------------------------------------------------------------------


@contextlib.contextmanager
def temporary_database(kind: str, workdir: Path):
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import psycopg

    name = f"voice_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_BASE}{name}"
    finally:
        from voice import db as voice_db

        for engine in list(voice_db._engines.values()):
            engine.dispose()
        voice_db._engines.clear()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"  dropped PostgreSQL database {name}", flush=True)


def run_one(kind: str, rows: int, repeats: int, workdir: Path) -> tuple[dict, list]:
    from alembic import command
    from sqlalchemy import func
    from sqlmodel import Session, select

    from voice import create_app
    from voice.cli import alembic_config
    from voice.figures import rollup
    from voice.figures.models import ExperienceTally
    from voice.reference.service import seed_reference_data

    with temporary_database(kind, workdir) as url:
        print(f"\n{kind}: building the schema (alembic upgrade head) ...", flush=True)
        command.upgrade(alembic_config(url), "head")
        app = create_app({
            "DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "METRICS_TOKEN": TOKEN,
            "SESSION_COOKIE_SECURE": False,
        })
        with Session(app.extensions["voice_engine"]) as session:
            seed_reference_data(session=session)
            session.commit()
        now = datetime.now(timezone.utc)
        print(f"{kind}: loading {rows:,} experiences over {YEARS} years ...", flush=True)
        started = time.perf_counter()
        counts = load(url, rows, now)
        counts["load seconds"] = round(time.perf_counter() - started, 1)
        print(f"{kind}: loaded {counts}", flush=True)
        started = time.perf_counter()
        with Session(app.extensions["voice_engine"]) as session:  # what `flask voice figures --rebuild` does
            counts["tally rows"] = rollup.rebuild(session)
            session.commit()
        counts["tally rebuild seconds"] = round(time.perf_counter() - started, 1)
        print(f"{kind}: monthly tally rebuilt: {counts['tally rows']:,} rows in {counts['tally rebuild seconds']} s", flush=True)
        with Session(app.extensions["voice_engine"]) as session:
            if session.exec(select(func.count()).select_from(ExperienceTally)).one() != counts["tally rows"]:
                raise RuntimeError("tally not stored")
        counts["decision ms (with tally, without)"] = tuple(round(v, 1) for v in measure_upkeep(app, repeats))
        print(f"{kind}: one moderation decision: {counts['decision ms (with tally, without)']} ms", flush=True)
        counts["tally rows differing after 200 decisions"] = check_upkeep(app)
        print(f"{kind}: 200 random decisions committed; tally rows differing from a fresh count: "
              f"{counts['tally rows differing after 200 decisions']}", flush=True)
        results = measure(app, url, repeats, now)
        app.extensions["voice_engine"].dispose()
        return counts, results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--database", choices=("both", "sqlite", "postgresql"), default="both")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]

    # A plain `kill` (SIGTERM) and Ctrl-C both end the run through the clean-up below.
    def _stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    workdir = Path(tempfile.mkdtemp(prefix="voice-metrics-bench-"))
    os.environ["VOICE_INSTANCE_PATH"] = str(workdir / "instance")  # never write into the repository
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    load_before = os.getloadavg()
    table = {}
    loaded = {}
    try:
        for kind in kinds:
            loaded[kind], table[kind] = run_one(kind, args.rows, args.repeats, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        print(f"\nremoved {workdir}", flush=True)

    print("\nVoice figures benchmark (issue #6)")
    print(f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}; load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    print(f"data: {args.rows:,} experiences over {YEARS} years per database; median of {args.repeats} runs after a warm-up")
    print("request = through the Flask test client (whole app: SQL, disclosure control, template or file);")
    print("scan SQL = the plain GROUP BY statements over the experiences that the figures would need without the tally;")
    print("tally SQL = the GROUP BY statements on the monthly tally that the request runs; all on the DB-API connection.\n")
    for kind in kinds:
        info = loaded[kind]
        with_tally, without = info["decision ms (with tally, without)"]
        print(f"{kind}: tally {info['tally rows']:,} rows, rebuilt from scratch in {info['tally rebuild seconds']} s; "
              f"one moderation decision {with_tally} ms with the tally kept, {without} ms without ({with_tally / without:.1f}x); "
              f"after 200 random decisions {info['tally rows differing after 200 decisions']} tally rows differ from a fresh count")
    print()
    header = (f"{'database':10s} {'request':40s} {'request ms':>11s} {'scan SQL ms':>12s} {'tally SQL ms':>13s} "
              f"{'req/scan':>9s} {'req/tally':>10s}")
    print(header)
    print("-" * len(header))
    for kind in kinds:
        for name, request_ms, raw_ms, tally_ms in table[kind]:
            print(f"{kind:10s} {name:40s} {request_ms:11.1f} {raw_ms:12.1f} {tally_ms:13.1f} "
                  f"{request_ms / raw_ms:9.3f} {request_ms / tally_ms:10.1f}")
    differing = sum(loaded[kind]["tally rows differing after 200 decisions"] for kind in kinds)
    if differing:
        print(f"\nFAILED: {differing} tally rows differ from a fresh count")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
