"""Voice as it runs: gunicorn with two worker processes, as `make run` starts it. What one
worker counts, the other must see (SECURITY.md 15: a limit is the limit as written)."""
from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from voice.cli import alembic_config

from .smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN = "metrics-token-for-the-test"


@pytest.fixture
def two_workers(database_url, tmp_path):
    """gunicorn, 2 sync workers, production-like settings, on this test's database backend."""
    from alembic import command

    command.upgrade(alembic_config(database_url), "head")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICE_", "FLASK_", "RATELIMIT_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(VOICE_ENV="development", DATABASE_URL=database_url, SECRET_KEY="two-workers",
               VOICE_INSTANCE_PATH=str(tmp_path / "instance"), ARGON2_TIME_COST="1", ARGON2_MEMORY_COST="8",
               PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", METRICS_TOKEN=TOKEN)
    # As `make run` (the Procfile) and the README start it: the settings in voice/web/gunicorn_conf.py.
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:voice.web.gunicorn_conf", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "voice:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:  # not listening yet, or no worker booted yet
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> int:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def test_a_limit_counts_the_same_across_two_workers(two_workers):
    """The receipt-code look-up allows 10 tries a minute per address. Spread over two
    worker processes, the eleventh is still refused (before: each worker counted alone)."""
    browser = Browser(two_workers)
    token = CSRF.search(browser.get("/experiences/mine")).group(1)
    statuses = [browser.post("/experiences/mine", {"csrf_token": token, "code": "ABCD-EFGH-JKMN-PQRS-TVWX"})
                for _ in range(12)]
    assert statuses[:10] == [400] * 10, statuses
    assert statuses[10:] == [429, 429], statuses


def _scrape(base: str) -> dict:
    """One scrape on a new connection (so either worker may answer), read by
    prometheus-client's own OpenMetrics parser."""
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    request = urllib.request.Request(base + "/figures/metrics", headers={
        "Authorization": f"Bearer {TOKEN}", "Accept": "application/openmetrics-text; version=1.0.0"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        body = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body) for sample in family.samples}


def test_the_monitoring_counts_agree_whichever_worker_answers(two_workers, tmp_path):
    """Both worker processes serve requests (asked at the same time, so one is busy when the
    next comes); every scrape, whichever worker answers it, gives the total. Without the
    shared counters a worker would give only its own part."""
    from concurrent.futures import ThreadPoolExecutor

    counted_by = tmp_path / "instance" / "prometheus"
    served = 0
    with ThreadPoolExecutor(8) as pool:
        for _ in range(20):
            list(pool.map(lambda _n: Browser(two_workers).get("/privacy"), range(8)))
            served += 8
            if len(list(counted_by.glob("counter_*.db"))) >= 2:
                break
    # Both worker processes counted, into the shared files (more than two if gunicorn replaced a worker
    # that a loaded machine made too slow: its file stays and its counts still add up).
    assert len(list(counted_by.glob("counter_*.db"))) >= 2
    key = ("voice_http_requests_total", (("endpoint", "core.privacy"), ("status_class", "2xx")))
    seen = [_scrape(two_workers).get(key) for _ in range(6)]
    assert seen == [float(served)] * 6, seen
