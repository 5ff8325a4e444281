#!/usr/bin/env python3
"""HTTP benchmark for Voice, as ratios against a bare Flask "hello world".

    .venv/bin/python bench/run_http.py [--duration 10] [--connections 16] [--database sqlite|postgresql]

Starts gunicorn twice, the same way (same worker count, 127.0.0.1, a free port
each): once for bench/hello.py (`hello:app`) and once for Voice
(`voice:create_app()`) on a fresh database (migrated, seeded, loaded with the
[SAMPLE] data, plus one published session with 10,000 places for the sign-up
load). Then it loads, one after the other, with hello `/` between every two:
Voice `/`, `/experiences/new`, POSTs of the experience form (each with its own
form_token, so each one is a new experience), `/stories/`, `/sessions/`,
`/figures/` (only when that URL answers 200; otherwise the run says it skipped
it), and POSTs of the sign-up form of that session (each with its own
form_token, so each one is a new sign-up). The machine is shared and noisy, so
every figure is also printed as a ratio against the hello-world baseline
measured in the same run (the mean of the run before and the run after).
After the POSTs it checks what was stored: every acknowledged submission and
sign-up is in the database, and the session is not over-booked.

Finally it weighs the form page as a phone downloads it: the HTML and every
stylesheet and script it links, raw and gzip-compressed.

The load generator is wrk when it is on PATH (`apt-get install -y wrk`);
otherwise a small Python client is used and the output says so. This script
installs nothing. Every step has a time limit, and every process it starts is
stopped at the end, also on Ctrl-C; a temporary PostgreSQL database is dropped.
See bench/README.md.
"""
from __future__ import annotations

import argparse
import collections
import gzip
import html.parser
import http.client
import http.cookies
import itertools
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/"

# Production Argon2id parameters (voice/config.py defaults): kept on purpose.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_COST = 19456

# No digits, no e-mail: a story with personal data would get the "check your
# text" page instead of being stored.
STORY = (
    "Vi fikk god hjelp fra NAV da familien trengte det. Saksbehandleren lyttet, "
    "forklarte hva som skulle skje videre og ringte tilbake som avtalt."
)
# A stored story is answered 303 to the receipt page (which shows the code once, to the browser
# that sent it); the marker is looked for in the Location of a redirect, else in a 200's body.
RECEIPT_MARKER = "/experiences/receipt"
SIGNUP_MARKER = "/sessions/signup/"  # the private link, only on the "signed up" page
FORM_PATH = "/experiences/new"
FIGURES_PATH = "/figures/"  # measured only when it answers 200 (being built)
BENCH_CAPACITY = 10000  # places in the sign-up session: the load never fills it

# Run with the project's Python and the benchmark's environment (DATABASE_URL ...):
# one published session, a month from now, with argv[1] places, for the sign-up
# load. Prints its public_id.
CREATE_SESSION_PY = r"""
import secrets, sys
from datetime import timedelta
from sqlmodel import Session
from voice import create_app
from voice.cocreation.models import CoSession
from voice.clock import utcnow
app = create_app()
with Session(app.extensions["voice_engine"]) as session:
    starts = utcnow().replace(microsecond=0) + timedelta(days=30)
    cosession = CoSession(public_id="bench-" + secrets.token_hex(6), title="Bench session", kind="workshop",
                    venue="Bench hall", starts_at=starts, ends_at=starts + timedelta(hours=2),
                    capacity=int(sys.argv[1]), status="published", languages="nb")
    session.add(cosession)
    session.commit()
    print(cosession.public_id)
"""
WRK_TIMEOUT = "10s"  # a submission queues behind others; never count it as lost too early
STEP_TIMEOUT = 180  # seconds, for migrate, seed and each subprocess step

# Settings that would change what is measured if they leaked in from the shell.
ENV_DROP = (
    "VOICE_TRUSTED_PROXIES", "RATELIMIT_STORAGE_URI", "SECRET_KEY", "MAX_CONTENT_LENGTH",
    "STORY_MAX_LENGTH", "SESSION_COOKIE_SECURE", "ARGON2_TIME_COST", "ARGON2_MEMORY_COST",
    "FLASK_APP", "FLASK_DEBUG",
)


class BenchError(Exception):
    """A step failed; the message says which and why."""


class BenchTimeout(BaseException):
    """The whole run went past its time budget."""


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    target: str
    tool: str
    rps: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    requests: int = 0
    seconds: float = 0.0
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    receipts: int | None = None

    @property
    def problems(self) -> int:
        return self.non_2xx_3xx + self.socket_errors


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(target: str, out: str) -> Result:
    res = Result(target=target, tool="wrk")
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise BenchError(f"could not read wrk's output for {target}:\n{out}")
    res.rps = float(m.group(1))
    for pct, value, unit in re.findall(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M):
        ms = float(value) * _UNITS_MS[unit]
        if pct == "50":
            res.p50_ms = ms
        else:
            res.p99_ms = ms
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if m:
        res.requests = int(m.group(1))
        res.seconds = float(m.group(2)) * _UNITS_MS[m.group(3)] / 1000
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res.non_2xx_3xx = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res.socket_errors = sum(int(x) for x in m.groups()) if m else 0
    statuses = {int(code): int(n) for code, n in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)}
    if statuses:
        res.statuses = statuses
    m = re.search(r"^RECEIPTS (\d+)$", out, re.M)
    if m:
        res.receipts = int(m.group(1))
    return res


# --------------------------------------------------------------------------- load generators

# The POST script: one cookie and CSRF token for all (a Flask session is a signed
# cookie, so every connection may share it), a unique form_token per request
# (thread id + counter + random: the app stores one experience per token), and a
# tally of status codes and thank-you pages so "acknowledged" can be checked
# against the rows in the database.
LUA_POST = r"""-- written by bench/run_http.py for one run; not kept
local path = [==[%(path)s]==]
local cookie = [==[%(cookie)s]==]
local body_prefix = [==[%(body)s]==]
local nonce = "%(nonce)s"
local counter = 0
local headers = nil
statuses = {}
receipts = 0
thread_id = 0

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + thread_id * 7919)
  headers = {
    ["Host"] = wrk.headers["Host"],
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }
end

function request()
  counter = counter + 1
  local token = string.format("bench%%s-%%d-%%d-%%d", nonce, thread_id, counter, math.random(1, 2147483647))
  return wrk.format("POST", path, headers, body_prefix .. "&form_token=" .. token)
end

function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
  local location = hdrs and hdrs["Location"]
  if (status == 200 and body and string.find(body, '%(marker)s', 1, true))
     or (status >= 300 and status < 400 and location and string.find(location, '%(marker)s', 1, true)) then
    receipts = receipts + 1
  end
end

function done(summary, latency, requests)
  local total, r = {}, 0
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do total[code] = (total[code] or 0) + n end
    r = r + t:get("receipts")
  end
  for code, n in pairs(total) do io.write(string.format("STATUS %%d %%d\n", code, n)) end
  io.write(string.format("RECEIPTS %%d\n", r))
end
"""


class Loader:
    """Runs one load test with wrk, or with the Python fallback client."""

    def __init__(self, wrk: str | None, threads: int, connections: int, tmpdir: Path):
        self.wrk = wrk
        self.threads = max(1, min(threads, connections))
        self.connections = connections
        self.tmpdir = tmpdir

    @property
    def description(self) -> str:
        if self.wrk:
            return f"wrk -t{self.threads} -c{self.connections} -d<N>s --latency --timeout {WRK_TIMEOUT}"
        return f"Python fallback client, {self.connections} threads (wrk not found)"

    def get(self, target: str, url: str, duration: float) -> Result:
        if self.wrk:
            return self._wrk(target, url, duration)
        return python_client(target, url, self.connections, duration)

    def post_form(self, target: str, url: str, duration: float, cookie: str, body_prefix: str,
                  marker: str = RECEIPT_MARKER) -> Result:
        if self.wrk:
            script = self.tmpdir / f"post-{secrets.token_hex(4)}.lua"
            script.write_text(
                LUA_POST
                % {
                    "path": urllib.parse.urlsplit(url).path,
                    "cookie": cookie,
                    "body": body_prefix,
                    "nonce": secrets.token_hex(4),
                    "marker": marker,
                }
            )
            return self._wrk(target, url, duration, script)
        counter = itertools.count(1)
        nonce = secrets.token_hex(4)

        def body() -> bytes:
            token = f"bench{nonce}-{next(counter)}-{secrets.randbelow(2**31)}"
            return f"{body_prefix}&form_token={token}".encode()

        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        return python_client(target, url, self.connections, duration, "POST", body, headers, marker)

    def _wrk(self, target: str, url: str, duration: float, script: Path | None = None) -> Result:
        seconds = max(1, int(round(duration)))
        cmd = [self.wrk, f"-t{self.threads}", f"-c{self.connections}", f"-d{seconds}s", "--latency", "--timeout", WRK_TIMEOUT]
        if script:
            cmd += ["-s", str(script)]
        cmd.append(url)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"wrk did not finish in {seconds + 30}s for {target}") from exc
        if proc.returncode != 0:
            raise BenchError(f"wrk failed for {target} (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
        return parse_wrk(target, proc.stdout)


def succeeded(status: int, location: str | None, body: bytes, marker: str) -> bool:
    """The marker in a 200's body, or in the Location of a redirect (a stored story)."""
    if status == 200:
        return marker.encode() in body
    return 300 <= status < 400 and marker in (location or "")


def python_client(target, url, connections, duration, method="GET", body_fn=None, headers=None,
                  marker=RECEIPT_MARKER) -> Result:
    """Fallback when wrk is missing: one thread per connection, keep-alive when the
    server allows it. It shares the CPU (and the GIL) with itself, so its req/s are
    lower than wrk's; the ratios against hello world are still comparable within a run."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    stop_at = time.monotonic() + duration
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: collections.Counter = collections.Counter()
    totals = {"receipts": 0, "errors": 0}

    def worker() -> None:
        conn = None
        lat, stat, receipts, errors = [], collections.Counter(), 0, 0
        while time.monotonic() < stop_at:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                body = body_fn() if body_fn else None
                t0 = time.perf_counter()
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
                data = resp.read()
                lat.append(time.perf_counter() - t0)
                stat[resp.status] += 1
                if succeeded(resp.status, resp.getheader("Location"), data, marker):
                    receipts += 1
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                errors += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            latencies.extend(lat)
            statuses.update(stat)
            totals["receipts"] += receipts
            totals["errors"] += errors

    started = time.monotonic()
    workers = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=max(0.0, stop_at - time.monotonic()) + 15)
    elapsed = time.monotonic() - started
    res = Result(target=target, tool="python")
    with lock:
        latencies.sort()
        res.requests = len(latencies)
        res.seconds = elapsed
        res.rps = len(latencies) / elapsed if elapsed else 0.0
        if latencies:
            res.p50_ms = latencies[int(0.50 * (len(latencies) - 1))] * 1000
            res.p99_ms = latencies[int(0.99 * (len(latencies) - 1))] * 1000
        res.statuses = dict(statuses)
        res.non_2xx_3xx = sum(n for code, n in statuses.items() if not 200 <= code < 400)
        res.socket_errors = totals["errors"]
        res.receipts = totals["receipts"] if method == "POST" else None
    return res


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn master (and its workers) in its own process group."""

    def __init__(self, name: str, app_spec: str, cwd: Path, env: dict, workers: int, tmpdir: Path):
        self.name, self.app_spec, self.cwd, self.env = name, app_spec, cwd, env
        self.workers = workers
        self.log_path = tmpdir / f"{name}.log"
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            str(BIN / "gunicorn"),
            "--workers", str(self.workers),
            "--threads", "1",
            "--bind", f"127.0.0.1:{self.port}",
            "--timeout", "60",
            "--graceful-timeout", "5",
            "--log-level", "warning",
            self.app_spec,
        ]

    def start(self) -> None:
        self.port = free_port()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command(), cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )

    def wait_ready(self, path: str = "/", timeout: float = 45) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn for {self.name} exited ({self.proc.returncode}); its log is below")
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                # The app is up but answers with an error: waiting will not help.
                raise BenchError(f"{self.name} answered GET {path} with HTTP {exc.code} (its log is below)") from exc
            except (OSError, urllib.error.URLError) as exc:
                last = exc
            time.sleep(0.2)
        raise BenchError(f"gunicorn for {self.name} not ready after {timeout:.0f}s ({last})")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM to the master's group (it stops its workers), SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = self.proc.pid  # start_new_session: the group is ours alone
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            print(f"warning: gunicorn {self.name} (pid {pgid}) did not exit", file=sys.stderr)


# --------------------------------------------------------------------------- database


class Database:
    def __init__(self, kind: str, tmpdir: Path):
        self.kind = kind
        self.tmpdir = tmpdir
        self.pg_name: str | None = None
        self.created = False
        if kind == "sqlite":
            self.path = tmpdir / "bench.db"
            self.url = f"sqlite:///{self.path}"
        else:
            self.pg_name = f"voice_bench_{secrets.token_hex(4)}"
            self.url = PG_BASE + self.pg_name

    def create(self) -> None:
        if self.kind != "postgresql":
            return
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.pg_name}"')
        self.created = True

    def drop(self) -> None:
        if self.kind != "postgresql" or not self.created:
            return
        import psycopg

        try:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self.created = False
        except Exception as exc:  # noqa: BLE001 - report, never hide, a database left behind
            print(f"warning: could not drop database {self.pg_name}: {exc}", file=sys.stderr)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of one read-only statement (qmark placeholders: `?`)."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.path, timeout=10)
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        import psycopg

        url = "postgresql://" + self.url.split("://", 1)[1]
        with psycopg.connect(url, connect_timeout=5) as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()

    def count_experiences(self) -> int:
        return self.query("SELECT count(*) FROM experience")[0][0]

    def count_signups(self) -> int:
        return self.query("SELECT count(*) FROM cocreation_signup")[0][0]

    def booking(self, public_id: str) -> tuple[int, int, int]:
        """(capacity, seats_taken, persons of its confirmed participants) of one session."""
        return self.query(
            "SELECT s.capacity, s.seats_taken, COALESCE(SUM(CASE WHEN u.status = 'confirmed' AND u.role = 'participant' "
            "THEN u.adults + u.children ELSE 0 END), 0) FROM cocreation_session s "
            "LEFT JOIN cocreation_signup u ON u.session_id = s.id WHERE s.public_id = ? GROUP BY s.id, s.capacity, s.seats_taken",
            (public_id,),
        )[0]


# --------------------------------------------------------------------------- page parsing


class PageParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self.csrf_token: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").lower().split() and a.get("href"):
            self.stylesheets.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "input" and a.get("name") == "csrf_token" and self.csrf_token is None:
            self.csrf_token = a.get("value")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 303 itself is the answer (urllib raises it as an HTTPError)


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, data: bytes | None = None, headers: dict | None = None):
    """One request, redirects not followed."""
    req = urllib.request.Request(url, data=data, headers={"Accept-Encoding": "identity", **(headers or {})})
    try:
        with _OPENER.open(req, timeout=15) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def form_session(voice: Server) -> tuple[str, str]:
    """GET the form once: the voice_session cookie and the csrf_token tied to it."""
    status, headers, body = fetch(voice.base + FORM_PATH)
    if status != 200:
        raise BenchError(f"GET {FORM_PATH} answered {status}")
    jar = http.cookies.SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    if "voice_session" not in jar:
        raise BenchError(f"GET {FORM_PATH} set no voice_session cookie (Set-Cookie: {headers.get_all('Set-Cookie')})")
    parser = PageParser()
    parser.feed(body.decode("utf-8", "replace"))
    if not parser.csrf_token:
        raise BenchError(f"no csrf_token input on {FORM_PATH}")
    return f"voice_session={jar['voice_session'].value}", parser.csrf_token


def form_body_prefix(csrf_token: str) -> str:
    return urllib.parse.urlencode(
        [("csrf_token", csrf_token), ("services", "nav"), ("usefulness", "4"), ("story_lang", "nb"), ("story", STORY)]
    )


def signup_body_prefix(csrf_token: str) -> str:
    """The sign-up form as a browser sends it (one adult, no contact details)."""
    return urllib.parse.urlencode(
        [("csrf_token", csrf_token), ("name", "Bench family"), ("adults", "1"), ("children", "0"),
         ("interpreter_lang", ""), ("accessibility", ""), ("phone", ""), ("email", ""), ("website", "")]
    )


def check_one_signup(voice: Server, cookie: str, public_id: str, body_prefix: str) -> None:
    """One sign-up before the load, so a CSRF or validation problem shows as such."""
    data = f"{body_prefix}&form_token=bench-check-{secrets.token_hex(8)}".encode()
    status, headers, body = fetch(
        f"{voice.base}/sessions/{public_id}/signup", data,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    if not succeeded(status, headers.get("Location"), body, SIGNUP_MARKER):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.decode("utf-8", "replace")))
        raise BenchError(f"a test sign-up was not stored (HTTP {status}); page text: {text[:600]}")


def check_one_submission(voice: Server, cookie: str, body_prefix: str) -> None:
    """One POST before the load, so a CSRF or validation problem shows as such."""
    data = f"{body_prefix}&form_token=bench-check-{secrets.token_hex(8)}".encode()
    status, headers, body = fetch(
        voice.base + FORM_PATH, data, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    )
    if not succeeded(status, headers.get("Location"), body, RECEIPT_MARKER):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.decode("utf-8", "replace")))
        raise BenchError(f"a test submission was not stored (HTTP {status}); page text: {text[:600]}")


def page_weight(voice: Server) -> list[tuple[str, int, int]]:
    """(name, raw bytes, gzip -6 bytes) for the form page's HTML, CSS and JS."""
    page_url = voice.base + FORM_PATH
    status, headers, body = fetch(page_url)
    if status != 200:
        raise BenchError(f"GET {FORM_PATH} answered {status}")
    if headers.get("Content-Encoding"):
        raise BenchError(f"the app already compressed {FORM_PATH} ({headers['Content-Encoding']})")
    parser = PageParser()
    parser.feed(body.decode("utf-8", "replace"))
    rows = [(f"HTML {FORM_PATH}", len(body), len(gzip.compress(body, compresslevel=6)))]
    for kind, refs in (("CSS", parser.stylesheets), ("JS", parser.scripts)):
        for ref in refs:
            url = urllib.parse.urljoin(page_url, ref)
            st, _h, data = fetch(url)
            if st != 200:
                raise BenchError(f"{kind} {ref} answered {st}")
            rows.append((f"{kind} {urllib.parse.urlsplit(url).path}", len(data), len(gzip.compress(data, compresslevel=6))))
    return rows


# --------------------------------------------------------------------------- steps


def argon2_hash_ms(samples: int = 5) -> float | None:
    try:
        from argon2 import PasswordHasher, Type
    except ImportError:
        return None
    ph = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_COST, parallelism=1, type=Type.ID)
    ph.hash("warm-up")
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        ph.hash(secrets.token_hex(10))
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def run_step(cmd: list[str], env: dict, what: str) -> str:
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what} did not finish in {STEP_TIMEOUT}s") from exc
    if proc.returncode != 0:
        raise BenchError(f"{what} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
    print(f"  {what}: {proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else 'ok'}")
    return proc.stdout


def missing_prerequisites(args) -> tuple[list[str], str | None]:
    """What this run cannot do without, and wrk's path (None: use the fallback)."""
    missing = []
    for tool in ("gunicorn", "flask"):
        if not (BIN / tool).exists():
            missing.append(f"{BIN / tool} is missing: install the project into this venv (make venv).")
    try:
        import argon2  # noqa: F401
    except ImportError:
        missing.append("argon2-cffi is not importable: run this with the project's venv (.venv/bin/python).")
    if args.database == "postgresql":
        try:
            import psycopg
        except ImportError:
            missing.append("psycopg is not installed in this Python: run this with the project's venv (.venv/bin/python).")
        else:
            try:
                psycopg.connect(PG_ADMIN_URL, connect_timeout=5).close()
            except Exception as exc:  # noqa: BLE001
                missing.append(
                    f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc.__class__.__name__}: {str(exc).strip()}). "
                    "Start it, e.g. pg_ctlcluster <version> main start (see .ci/run)."
                )
    if not list((ROOT / "translations").glob("*/LC_MESSAGES/messages.mo")):
        print("note: no compiled translations (.mo); pages fall back to the source strings. Run `make compile` first.")
    wrk = shutil.which("wrk")
    return missing, wrk


def fmt_ms(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"  # NaN -> "-"


def print_table(rows: list[tuple[Result, float]]) -> None:
    head = f"{'target':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x hello':>8} {'non-2xx/err':>12}"
    print(head)
    print("-" * len(head))
    for r, baseline in rows:
        ratio = r.rps / baseline if baseline else float("nan")
        print(f"{r.target:<40} {r.rps:>9.1f} {fmt_ms(r.p50_ms):>8} {fmt_ms(r.p99_ms):>8} {ratio:>8.3f} {r.problems:>12}")


def settled_count(db: Database, voice: Server, limit: float = 60, count=None) -> int:
    """The experience count once the submissions still queued in gunicorn have landed.

    wrk stops with up to --connections requests sent but unanswered; the workers
    still process (and store) them. A GET queues behind them, then the count must
    hold still for 1.5 s. `count` is what to count (default: experiences)."""
    count = count or db.count_experiences
    deadline = time.monotonic() + limit
    try:
        fetch(voice.base + "/")
    except OSError:
        pass
    last, since = count(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= 1.5:
            return now
    return last


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per measured load test (default 10)")
    ap.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers for both apps (default 2, --threads 1)")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load before each test (default 2)")
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args(argv)
    if args.duration < 1 or args.connections < 1 or args.workers < 1 or args.warmup < 0:
        ap.error("--duration, --connections and --workers must be at least 1, --warmup at least 0")

    missing, wrk = missing_prerequisites(args)
    if missing:
        print("Cannot run the benchmark; missing:", file=sys.stderr)
        for line in missing:
            print(f"  - {line}", file=sys.stderr)
        return 2
    if not wrk:
        print("MISSING: wrk is not on PATH (Debian: apt-get install -y wrk). Falling back to the built-in Python")
        print("         client: it competes for the same 2 cores, so absolute req/s are lower; ratios still hold within the run.")

    # A hard bound on the whole run, on top of each step's own timeout.
    # 15 load tests at most (8 hello, 7 Voice), then two settled counts per POST target.
    budget = 15 * (args.duration + args.warmup + 40) + 5 * STEP_TIMEOUT

    def on_alarm(_signum, _frame):
        raise BenchTimeout(f"the run went past its {budget}s budget")

    def on_term(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    # Ctrl-C stops the run even when started from a shell that ignores SIGINT (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.alarm(budget)

    tmpdir = Path(tempfile.mkdtemp(prefix="voice-bench-"))
    servers: list[Server] = []
    db = Database(args.database, tmpdir)
    try:
        env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
        env.update(
            DATABASE_URL=db.url,
            VOICE_INSTANCE_PATH=str(tmpdir),
            VOICE_ENV="development",
            RATELIMIT_ENABLED="0",
            ARGON2_TIME_COST=str(ARGON2_TIME_COST),
            ARGON2_MEMORY_COST=str(ARGON2_MEMORY_COST),
            PYTHONUNBUFFERED="1",
        )
        loader = Loader(wrk, args.threads, args.connections, tmpdir)
        load1, load5, _ = os.getloadavg()
        print(f"Voice HTTP benchmark, {date.today().isoformat()}, {platform.node()}: {os.cpu_count()} cores, "
              f"load average {load1:.2f}/{load5:.2f} at start")
        print(f"database: {args.database} (fresh: {db.url})")
        print(f"servers: gunicorn --workers {args.workers} --threads 1, 127.0.0.1, one free port each")
        print(f"load: {loader.description}, {args.warmup}s unmeasured warm-up before each test")

        print("preparing:")
        db.create()
        flask = [str(BIN / "flask"), "--app", "voice", "voice"]
        run_step(flask + ["migrate"], env, "flask voice migrate")
        run_step(flask + ["seed"], env, "flask voice seed")
        try:
            run_step(flask + ["sample-data", "--yes"], env, "flask voice sample-data --yes")
        except BenchError as exc:
            # Being extended by others; the lists are then measured empty, and the run says so.
            print(f"  note: sample data could not be loaded, so /stories/ and /sessions/ are measured nearly empty:\n    {exc}")
        session_id = run_step([sys.executable, "-c", CREATE_SESSION_PY, str(BENCH_CAPACITY)], env,
                              f"session for the sign-up load ({BENCH_CAPACITY} places)").strip().splitlines()[-1]
        signup_path = f"/sessions/{session_id}/signup"

        hello = Server("hello", "hello:app", BENCH, env, args.workers, tmpdir)
        voice = Server("voice", "voice:create_app()", ROOT, env, args.workers, tmpdir)
        servers += [hello, voice]
        for server in servers:
            server.start()
        hello.wait_ready("/")
        voice.wait_ready("/")
        voice.wait_ready(FORM_PATH)
        print(f"  gunicorn up: hello {hello.base}, voice {voice.base}")

        hash_ms = argon2_hash_ms()

        cookie, csrf_token = form_session(voice)
        body_prefix = form_body_prefix(csrf_token)
        check_one_submission(voice, cookie, body_prefix)
        print("  one test submission stored (CSRF token and cookie accepted)")
        signup_prefix = signup_body_prefix(csrf_token)
        check_one_signup(voice, cookie, session_id, signup_prefix)
        print(f"  one test sign-up stored on {signup_path}")
        figures_status, _h, _b = fetch(voice.base + FIGURES_PATH)
        skipped: list[str] = []
        if figures_status != 200:
            skipped.append(f"GET {FIGURES_PATH} skipped: it answered HTTP {figures_status} (not built yet)")
            print(f"  note: {skipped[-1]}")

        def measure_get(name: str, url: str) -> Result:
            if args.warmup:
                loader.get(name, url, args.warmup)
            print(f"  measuring {name} ...", flush=True)
            return loader.get(name, url, args.duration)

        # hello, target, hello, target, ...: each Voice figure is divided by the mean of
        # the hello-world runs just before and just after it, so a neighbour who loads
        # the machine for a minute moves both sides of the ratio.
        hellos: list[Result] = []
        rows: list[tuple[Result, float | None]] = []  # (result, its local hello baseline)

        def measure_hello() -> Result:
            res = measure_get(f"hello world  GET /  #{len(hellos) + 1}", hello.base + "/")
            hellos.append(res)
            return res

        def measure_post(name, path, prefix, marker, count) -> tuple[Result, int, int]:
            if args.warmup:
                loader.post_form(name, voice.base + path, args.warmup, cookie, prefix, marker)
            before = settled_count(db, voice, count=count)  # warm-up POSTs still queued land first
            print(f"  measuring {name} ...", flush=True)
            res = loader.post_form(name, voice.base + path, args.duration, cookie, prefix, marker)
            return res, before, settled_count(db, voice, count=count)

        # The POST targets' (result, rows before, rows after), by kind.
        posts: dict[str, tuple[Result, int, int]] = {}

        def post_target(kind, name, path, prefix, marker, count):
            def run():
                posts[kind] = measure_post(name, path, prefix, marker, count)
                return posts[kind][0]
            return run

        targets = [
            lambda: measure_get("Voice  GET /", voice.base + "/"),
            lambda: measure_get(f"Voice  GET {FORM_PATH}", voice.base + FORM_PATH),
            post_target("experience", f"Voice  POST {FORM_PATH}", FORM_PATH, body_prefix, RECEIPT_MARKER,
                        db.count_experiences),
            lambda: measure_get("Voice  GET /stories/", voice.base + "/stories/"),
            lambda: measure_get("Voice  GET /sessions/", voice.base + "/sessions/"),
            lambda: measure_get("Voice  GET /sessions/<id>", voice.base + signup_path.rsplit("/signup", 1)[0]),
            lambda: measure_get("Voice  GET /themes/", voice.base + "/themes/"),
            lambda: measure_get("Voice  GET /privacy", voice.base + "/privacy"),
            lambda: measure_get("Voice  GET /accessibility", voice.base + "/accessibility"),
        ]
        if figures_status == 200:
            targets.append(lambda: measure_get(f"Voice  GET {FIGURES_PATH}", voice.base + FIGURES_PATH))
        targets.append(post_target("signup", "Voice  POST /sessions/<id>/signup", signup_path, signup_prefix,
                                   SIGNUP_MARKER, db.count_signups))
        measure_hello()
        for run in targets:
            out = run()
            previous = hellos[-1]
            measure_hello()
            rows.append((out, (previous.rps + hellos[-1].rps) / 2))
        post, rows_before, rows_after = posts["experience"]
        signup, signups_before, signups_after = posts["signup"]

        weights = page_weight(voice)

        # ------------------------------------------------------------------ report
        mean_hello = statistics.mean(h.rps for h in hellos)
        table = [(hellos[0], mean_hello)]  # in the order measured: hello, target, hello, ...
        for (res, local), h in zip(rows, hellos[1:]):
            table += [(res, local), (h, mean_hello)]
        print()
        print(f"== Throughput and latency ({args.duration}s each, {args.connections} connections, {args.database}) ==")
        print("x hello = req/s divided by the mean of the hello-world runs just before and after that target")
        print("          (for the hello rows: by the mean of all hello-world runs)")
        print_table(table)
        spread = (max(h.rps for h in hellos) - min(h.rps for h in hellos)) / mean_hello * 100
        print(f"hello-world runs: {', '.join(f'{h.rps:.0f}' for h in hellos)} req/s; spread {spread:.0f}% of their mean "
              "(how noisy the machine was during this run)")

        # A stored story is answered 303 to its receipt page: those are the acknowledged ones.
        acknowledged = (post.receipts if post.receipts is not None
                        else sum(n for code, n in post.statuses.items() if 200 <= code < 400))
        stored = rows_after - rows_before
        print()
        print("== Submissions ==")
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(post.statuses.items())) or "(no status tally)"
        print(f"responses by status: {codes}; socket errors: {post.socket_errors}")
        print(f"acknowledged (answered 303 to the receipt page): {acknowledged}")
        print(f"stored (new rows in experience): {stored}   [difference {stored - acknowledged:+d}; up to "
              f"+{args.connections} is expected: requests in flight when the load stopped are stored but not counted]")
        if 0 <= stored - acknowledged <= args.connections:
            print("check: OK, every acknowledged submission was stored, none twice")
        else:
            print("check: MISMATCH between acknowledged and stored submissions (look at the status tally above)")
        print()
        print("== Sign-ups ==")
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(signup.statuses.items())) or "(no status tally)"
        print(f"responses by status: {codes}; socket errors: {signup.socket_errors}")
        acknowledged = sum(n for code, n in signup.statuses.items() if 200 <= code < 300)
        pages = "" if signup.receipts is None else f" ({signup.receipts} of them the signed-up page with its private link)"
        print(f"acknowledged (2xx): {acknowledged}{pages}")
        stored = signups_after - signups_before
        print(f"stored (new rows in cocreation_signup): {stored}   [difference {stored - acknowledged:+d}; up to "
              f"+{args.connections} is expected, as above]")
        if 0 <= stored - acknowledged <= args.connections:
            print("check: OK, every acknowledged sign-up was stored, none twice")
        else:
            print("check: MISMATCH between acknowledged and stored sign-ups (look at the status tally above)")
        capacity, seats_taken, persons = db.booking(session_id)
        booked_ok = seats_taken <= capacity and seats_taken == persons
        print(f"session {session_id}: capacity {capacity}, seats_taken {seats_taken}, persons of confirmed "
              f"participants {persons}: {'OK, not over-booked and the count agrees' if booked_ok else 'MISMATCH'}")
        if hash_ms is not None:
            cap = args.workers * 1000 / hash_ms
            print(f"note: every submission hashes its receipt code with Argon2id at production cost "
                  f"(t={ARGON2_TIME_COST}, m={ARGON2_MEMORY_COST} KiB, p=1): {hash_ms:.0f} ms per hash on this machine "
                  f"(median of 5, measured here), so {args.workers} workers can never exceed about {cap:.0f} submissions/s. "
                  "Kept on purpose: that is the honest figure.")
            print(f"story submissions / Argon2 floor: {post.rps:.1f} / {cap:.0f} = {post.rps / cap:.2f} "
                  "(goal >= 0.8, none lost)")

        print()
        print(f"== Page weight: what a phone downloads for {FORM_PATH} (HTML + linked CSS and JS) ==")
        print("(gzip = Python's gzip at level 6, a stand-in for the reverse proxy's compression; the app itself sends"
              " uncompressed. Images and the favicon are not counted; later pages reuse cached CSS/JS.)")
        w = max(len(name) for name, _r, _g in weights) + 2
        print(f"{'resource':<{w}} {'raw bytes':>10} {'gzip bytes':>11}")
        for name, raw, gz in weights:
            print(f"{name:<{w}} {raw:>10,} {gz:>11,}")
        print(f"{'total':<{w}} {sum(r for _n, r, _g in weights):>10,} {sum(g for _n, _r, g in weights):>11,}")
        for line in skipped:
            print()
            print(f"note: {line}")
        problems = [r for r, _b in table if r.problems]
        if problems:
            print()
            print("warning: some responses were not 2xx/3xx or failed: "
                  + "; ".join(f"{r.target.strip()}: {r.problems}" for r in problems))
        return 0
    except BenchError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        for server in servers:
            if server.proc is not None:
                print(f"--- {server.name} log tail ---\n{server.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; stopping servers", file=sys.stderr)
        return 130
    except BenchTimeout as exc:
        print(f"\nbenchmark stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        # Ctrl-C while cleaning up must not leave servers or the database behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        for server in servers:
            server.stop()
        db.drop()
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
