#!/usr/bin/env python3
"""Many concurrent writes against gunicorn, then proof that nothing was lost,
doubled or over-booked.

    .venv/bin/python bench/write_run.py [--database both|sqlite|postgresql] [--duration 10] [--connections 16]

For each database (a fresh SQLite file, or a fresh PostgreSQL database
`voice_bench_<random>` that is dropped afterwards) it migrates, seeds, creates
two published sessions (a tight one with --capacity places, so sign-ups compete
for the last seats and spill onto the waiting list, and a roomy one with 10,000),
starts gunicorn (`--workers 2`, rate limits off, production Argon2 cost) and
runs --connections client threads for --duration seconds. Each thread sends, at
random, experience submissions (half) and sign-ups (half, to either session),
every one with its own form_token and its own content:

- an experience: a story that no other request sends (letters only, with
  Norwegian and Arabic words, so no personal-data check interrupts);
- a sign-up: a name no other request sends, 1 to 3 adults and 0 to 3 children.

It records, per request, what it sent and what it got back. "Acknowledged" is a
200 with the thank-you page and its receipt code, or a 200 with the "signed up"
/ "waiting list" page and its private link. Then it reads the database directly
(sqlite3 / psycopg) and checks:

- every acknowledged experience is stored exactly once, with the story that was
  sent and the receipt code's locator that the page showed;
- every stored experience has at least one experience_service row;
- every acknowledged sign-up is stored exactly once, with the name, adults and
  children that were sent, the private link's token (its SHA-256), and the
  status (confirmed / waiting) that the page told the family;
- nothing answered with an error status was stored; nothing was stored that no
  request sent;
- no session is over-booked: seats_taken <= capacity, and seats_taken equals the
  sum of the persons of its confirmed participants.

It prints one table with a column per database; exit status 1 if any check
fails, 2 if a prerequisite is missing. Nothing here is a timed assertion: the
throughput is printed only to show how hard the run pressed.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_http import (  # noqa: E402  (bench/ is not a package)
    ARGON2_MEMORY_COST,
    ARGON2_TIME_COST,
    BIN,
    CREATE_SESSION_PY,
    ENV_DROP,
    FORM_PATH,
    PG_ADMIN_URL,
    RECEIPT_MARKER,
    ROOT,
    SIGNUP_MARKER,
    BenchError,
    BenchTimeout,
    Database,
    PageParser,
    Server,
    fetch,
    run_step,
)

LETTERS = "abcdefghijklmnopqrstuvwxyz"
RECEIPT_RE = re.compile(r'id="receipt-code"[^>]*>(.*?)</p>', re.S)
GROUP_RE = re.compile(r"<span>([0-9A-Z]{4})</span>")
MANAGE_RE = re.compile(r"/sessions/signup/([A-Za-z0-9_-]+)")
WAITING_TEXT = "You are on the waiting list"  # English pages: the client sends the cookie lang=en
CONFIRMED_TEXT = "You are signed up"


def letters(n: int) -> str:
    """A number written with letters only (the personal-data check looks at digits)."""
    out = ""
    n += 26 * 26  # at least three letters
    while n:
        n, r = divmod(n, 26)
        out = LETTERS[r] + out
    return out


# --------------------------------------------------------------------------- what was sent


@dataclass
class Sent:
    kind: str  # "experience" or "signup"
    form_token: str
    story: str = ""
    session: str = ""  # public_id (sign-ups)
    name: str = ""
    adults: int = 0
    children: int = 0
    status: int | None = None  # HTTP status; None: no answer (connection error, timeout)
    error: str = ""
    acknowledged: bool = False
    receipt_locator: str = ""  # from the thank-you page
    manage_token: str = ""  # from the signed-up page
    page_says: str = ""  # "confirmed" / "waiting" / "" (sign-ups)


@dataclass
class Target:
    """One running Voice: where to send, and the cookie + CSRF token a browser would have."""

    base: str
    cookie: str
    csrf_token: str
    sessions: list[str]  # public_ids to sign up to


def browser_session(base: str) -> tuple[str, str]:
    """GET the form once, as a phone would: the session cookie and its CSRF token."""
    status, headers, body = fetch(base + FORM_PATH)
    if status != 200:
        raise BenchError(f"GET {FORM_PATH} answered {status}")
    cookie = None
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("voice_session="):
            cookie = value.split(";", 1)[0]
    parser = PageParser()
    parser.feed(body.decode("utf-8", "replace"))
    if not cookie or not parser.csrf_token:
        raise BenchError(f"GET {FORM_PATH} gave no voice_session cookie or no csrf_token")
    return f"{cookie}; lang=en", parser.csrf_token


class WriteLoad:
    """Client threads that send experiences and sign-ups and record every answer."""

    def __init__(self, target: Target, connections: int, nonce: str | None = None, timeout: float = 30):
        self.target = target
        self.connections = connections
        self.nonce = nonce or letters(secrets.randbelow(26**4))
        self.timeout = timeout
        self.sent: list[Sent] = []
        self.lock = threading.Lock()
        self.counter = 0

    def _next(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def make(self, rng: random.Random) -> tuple[Sent, str, bytes]:
        n = self._next()
        tag = f"{self.nonce}{letters(n)}"
        token = f"w-{self.nonce}-{n}-{secrets.token_hex(6)}"
        if rng.random() < 0.5:
            item = Sent("experience", token, story=(
                f"Skrivetest {tag}: vi fikk hjelp på Kattem, blåbærsyltetøy og takk. شكرا جزيلا. "
                f"Saksbehandleren lyttet og forklarte hva som skjer videre, merke {tag}."))
            fields = [("csrf_token", self.target.csrf_token), ("services", "nav"), ("services", "school"),
                      ("usefulness", "4"), ("story_lang", "nb"), ("story", item.story), ("form_token", token),
                      ("website", "")]
            path = FORM_PATH
        else:
            public_id = rng.choice(self.target.sessions)
            item = Sent("signup", token, session=public_id, name=f"Familie {tag.capitalize()}",
                        adults=rng.randint(1, 3), children=rng.randint(0, 3))
            fields = [("csrf_token", self.target.csrf_token), ("name", item.name), ("adults", str(item.adults)),
                      ("children", str(item.children)), ("interpreter_lang", ""), ("accessibility", ""),
                      ("phone", ""), ("email", ""), ("form_token", token), ("website", "")]
            path = f"/sessions/{public_id}/signup"
        return item, path, urllib.parse.urlencode(fields).encode()

    @staticmethod
    def read_answer(item: Sent, status: int, body: str) -> None:
        item.status = status
        if status != 200:
            return
        if item.kind == "experience":
            m = RECEIPT_RE.search(body)
            groups = GROUP_RE.findall(m.group(1)) if m and RECEIPT_MARKER in body else []
            if len(groups) == 5:
                item.acknowledged, item.receipt_locator = True, groups[0]
        else:
            m = MANAGE_RE.search(body) if SIGNUP_MARKER in body else None
            if m:
                item.acknowledged, item.manage_token = True, m.group(1)
                item.page_says = "waiting" if WAITING_TEXT in body else "confirmed" if CONFIRMED_TEXT in body else "?"

    def run(self, duration: float, stop: threading.Event | None = None) -> float:
        """Send for `duration` seconds (or until `stop` is set); return the elapsed time."""
        parts = urllib.parse.urlsplit(self.target.base)
        stop_at = time.monotonic() + duration
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.target.cookie}

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            conn = None
            mine: list[Sent] = []
            while time.monotonic() < stop_at and not (stop and stop.is_set()):
                item, path, body = self.make(rng)
                mine.append(item)
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
                    conn.request("POST", path, body=body, headers=headers)
                    resp = conn.getresponse()
                    self.read_answer(item, resp.status, resp.read().decode("utf-8", "replace"))
                    if resp.will_close:
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException) as exc:
                    item.error = type(exc).__name__
                    if conn is not None:
                        conn.close()
                    conn = None
            if conn is not None:
                conn.close()
            with self.lock:
                self.sent.extend(mine)

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(secrets.randbits(32),), daemon=True) for _ in range(self.connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(0.0, stop_at - time.monotonic()) + self.timeout + 15)
        return time.monotonic() - started


# --------------------------------------------------------------------------- checks


def stored_rows(db: Database) -> tuple[list[tuple], list[tuple], list[tuple]]:
    experiences = db.query(
        "SELECT e.form_token, e.story, e.receipt_locator, "
        "(SELECT count(*) FROM experience_service s WHERE s.experience_id = e.id) FROM experience e"
    )
    signups = db.query(
        "SELECT u.form_token, u.name, u.adults, u.children, u.status, u.token_hash, s.public_id, u.role "
        "FROM cocreation_signup u JOIN cocreation_session s ON s.id = u.session_id"
    )
    sessions = db.query(
        "SELECT s.public_id, s.capacity, s.seats_taken, COALESCE(SUM(CASE WHEN u.status = 'confirmed' AND "
        "u.role = 'participant' THEN u.adults + u.children ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN u.status = 'waiting' THEN 1 ELSE 0 END), 0) "
        "FROM cocreation_session s LEFT JOIN cocreation_signup u ON u.session_id = s.id "
        "GROUP BY s.id, s.public_id, s.capacity, s.seats_taken"
    )
    return experiences, signups, sessions


@dataclass
class Check:
    """One line of the result table: a count, and whether it is what it must be."""

    label: str
    value: object
    ok: bool | None = None  # None: a figure, not a check


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    def figure(self, label: str, value) -> None:
        self.checks.append(Check(label, value))

    def must(self, label: str, value, ok: bool) -> None:
        self.checks.append(Check(label, value, ok))

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]


def verify(db: Database, sent: list[Sent], report: Report, *, session_labels: dict[str, str] | None = None) -> dict:
    """Compare what was sent and acknowledged with what is stored; add the lines to report."""
    experiences, signups, sessions = stored_rows(db)
    by_token_e = collections.defaultdict(list)
    by_story = collections.Counter(row[1] for row in experiences)
    for row in experiences:
        by_token_e[row[0]].append(row)
    by_token_s = collections.defaultdict(list)
    for row in signups:
        by_token_s[row[0]].append(row)
    sent_tokens = {s.form_token for s in sent}

    exp = [s for s in sent if s.kind == "experience"]
    sig = [s for s in sent if s.kind == "signup"]
    statuses = collections.Counter((s.status if s.status is not None else f"no answer ({s.error})") for s in sent)
    report.figure("requests sent (experiences + sign-ups)", f"{len(exp)} + {len(sig)}")
    report.figure("answers by HTTP status", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str)))

    # -- experiences
    ack = [s for s in exp if s.acknowledged]
    report.figure("experiences acknowledged (thank-you page with code)", len(ack))
    report.must("acknowledged experiences stored exactly once", f"{sum(len(by_token_e[s.form_token]) == 1 and by_story[s.story] == 1 for s in ack)}/{len(ack)}",
                all(len(by_token_e[s.form_token]) == 1 and by_story[s.story] == 1 for s in ack))
    wrong = [s for s in ack if len(by_token_e[s.form_token]) == 1
             and (by_token_e[s.form_token][0][1] != s.story.strip() or by_token_e[s.form_token][0][2] != s.receipt_locator)]
    report.must("... whose story and receipt locator differ from what was sent/shown", len(wrong), not wrong)
    refused = [s for s in exp if s.status is not None and not s.acknowledged]
    refused_stored = [s for s in refused if by_token_e[s.form_token]]
    report.must("experiences answered without a receipt (error status) yet stored", f"{len(refused_stored)} of {len(refused)}", not refused_stored)
    unknown = [s for s in exp if s.status is None]
    report.figure("experiences with no answer (connection lost): stored / not stored",
                  f"{sum(bool(by_token_e[s.form_token]) for s in unknown)} / {sum(not by_token_e[s.form_token] for s in unknown)}")
    ours = [row for row in experiences if row[0] in sent_tokens]
    strangers = [row for row in experiences if row[0] not in sent_tokens and row[0].startswith("w-")]
    report.must("stored experiences that no request sent", len(strangers), not strangers)
    half = [row for row in experiences if row[3] < 1]
    report.must("stored experiences without an experience_service row (half-written)", f"{len(half)} of {len(experiences)}", not half)
    report.figure("experiences stored by this run", len(ours))

    # -- sign-ups
    ack = [s for s in sig if s.acknowledged]
    report.figure("sign-ups acknowledged (signed-up page with link)", f"{len(ack)} ({sum(s.page_says == 'confirmed' for s in ack)} confirmed, {sum(s.page_says == 'waiting' for s in ack)} waiting)")
    report.must("acknowledged sign-ups stored exactly once", f"{sum(len(by_token_s[s.form_token]) == 1 for s in ack)}/{len(ack)}",
                all(len(by_token_s[s.form_token]) == 1 for s in ack))

    def differs(s: Sent) -> bool:
        _tok, name, adults, children, status, token_hash, public_id, _role = by_token_s[s.form_token][0]
        return (name, adults, children, public_id, token_hash, status) != (
            s.name, s.adults, s.children, s.session, hashlib.sha256(s.manage_token.encode()).hexdigest(), s.page_says)

    wrong = [s for s in ack if len(by_token_s[s.form_token]) == 1 and differs(s)]
    report.must("... whose name, persons, link or status differ from what was sent/shown", len(wrong), not wrong)
    refused = [s for s in sig if s.status is not None and not s.acknowledged]
    refused_stored = [s for s in refused if by_token_s[s.form_token]]
    report.must("sign-ups answered without a link (error status) yet stored", f"{len(refused_stored)} of {len(refused)}", not refused_stored)
    unknown = [s for s in sig if s.status is None]
    report.figure("sign-ups with no answer (connection lost): stored / not stored",
                  f"{sum(bool(by_token_s[s.form_token]) for s in unknown)} / {sum(not by_token_s[s.form_token] for s in unknown)}")
    strangers = [row for row in signups if row[0] not in sent_tokens and row[0].startswith("w-")]
    report.must("stored sign-ups that no request sent", len(strangers), not strangers)

    # -- sessions
    over = []
    for public_id, capacity, seats_taken, persons, waiting in sessions:
        if session_labels and public_id in session_labels:
            report.figure(f"{session_labels[public_id]}: capacity / seats_taken / confirmed persons / waiting",
                          f"{capacity} / {seats_taken} / {persons} / {waiting}")
        if not (0 <= seats_taken <= capacity and seats_taken == persons):
            over.append(public_id)
    report.must("sessions over-booked or with seats_taken != confirmed persons", f"{len(over)} of {len(sessions)}", not over)
    return {"experiences": len(experiences), "signups": len(signups)}


# --------------------------------------------------------------------------- one database


def prepare(kind: str, tmpdir: Path, *, sample: bool = False) -> tuple[Database, dict]:
    db = Database(kind, tmpdir)
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
    env.update(
        DATABASE_URL=db.url, VOICE_INSTANCE_PATH=str(tmpdir), VOICE_ENV="development", RATELIMIT_ENABLED="0",
        ARGON2_TIME_COST=str(ARGON2_TIME_COST), ARGON2_MEMORY_COST=str(ARGON2_MEMORY_COST), PYTHONUNBUFFERED="1",
    )
    db.create()
    flask = [str(BIN / "flask"), "--app", "voice", "voice"]
    run_step(flask + ["migrate"], env, "flask voice migrate")
    run_step(flask + ["seed"], env, "flask voice seed")
    if sample:
        run_step(flask + ["sample-data", "--yes"], env, "flask voice sample-data --yes")
    return db, env


def create_session(env: dict, capacity: int) -> str:
    out = run_step([sys.executable, "-c", CREATE_SESSION_PY, str(capacity)], env, f"published session with {capacity} places")
    return out.strip().splitlines()[-1]


def one_database(kind: str, args) -> Report:
    report = Report()
    tmpdir = Path(tempfile.mkdtemp(prefix=f"voice-write-{kind}-"))
    db = None
    server = None
    try:
        print(f"[{kind}] preparing:")
        db, env = prepare(kind, tmpdir)
        tight = create_session(env, args.capacity)
        roomy = create_session(env, 10000)
        server = Server("voice", "voice:create_app()", ROOT, env, args.workers, tmpdir)
        server.start()
        server.wait_ready(FORM_PATH)
        cookie, csrf_token = browser_session(server.base)
        load = WriteLoad(Target(server.base, cookie, csrf_token, [tight, roomy]), args.connections)
        print(f"[{kind}] gunicorn --workers {args.workers} on {server.base}; {args.connections} client threads for {args.duration}s ...", flush=True)
        elapsed = load.run(args.duration)
        answered = sum(s.status is not None for s in load.sent)
        report.figure("load", f"{args.connections} threads, {elapsed:.1f}s, {answered / elapsed:.1f} answers/s")
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


def print_table(reports: dict[str, Report]) -> None:
    kinds = list(reports)
    labels: list[str] = []
    for rep in reports.values():
        for c in rep.checks:
            if c.label not in labels:
                labels.append(c.label)
    rows = []
    for label in labels:
        cells = []
        for kind in kinds:
            found = [c for c in reports[kind].checks if c.label == label]
            cells.append("; ".join(str(c.value) + ("" if c.ok is None else "  OK" if c.ok else "  FAIL") for c in found) or "-")
        rows.append((label, cells))
    width = max(len(label) for label in labels) + 2
    colw = max(len(cell) for _label, cells in rows for cell in cells + kinds) + 3
    print(f"{'':<{width}}" + "".join(f"{k:>{colw}}" for k in kinds))
    print("-" * (width + colw * len(kinds)))
    for label, cells in rows:
        print(f"{label:<{width}}" + "".join(f"{cell:>{colw}}" for cell in cells))


def missing_prerequisites(kinds: list[str]) -> list[str]:
    missing = []
    for tool in ("gunicorn", "flask"):
        if not (BIN / tool).exists():
            missing.append(f"{BIN / tool} is missing: install the project into this venv (make venv).")
    if "postgresql" in kinds:
        try:
            import psycopg

            psycopg.connect(PG_ADMIN_URL, connect_timeout=5).close()
        except Exception as exc:  # noqa: BLE001
            missing.append(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}".strip())
    return missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database", choices=("both", "sqlite", "postgresql"), default="both")
    ap.add_argument("--duration", type=float, default=10, help="seconds of load per database (default 10)")
    ap.add_argument("--connections", type=int, default=16, help="client threads (default 16)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    ap.add_argument("--capacity", type=int, default=40, help="places in the tight session (default 40)")
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
    print(f"Voice write run, {date.today().isoformat()}: {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} at start; production Argon2 cost (t={ARGON2_TIME_COST}, m={ARGON2_MEMORY_COST} KiB); "
          f"rate limits off; tight session {args.capacity} places, roomy session 10000")
    reports: dict[str, Report] = {}
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
    failed = {kind: rep.failed for kind, rep in reports.items() if rep.failed}
    print()
    if failed:
        for kind, checks in failed.items():
            for c in checks:
                print(f"FAIL [{kind}] {c.label}: {c.value}")
        return 1
    print("all checks passed on " + " and ".join(kinds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
