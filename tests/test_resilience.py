"""Faults: rate-limit storage down, database locked or gone, and recovery."""
from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from voice import create_app
from voice.experiences.models import Experience
from voice.extensions import limiter

from .conftest import CSRF_RE, test_config


@pytest.fixture
def limiter_revived(database_url):
    """The Limiter object is one per process, shared by every app the tests create: it
    keeps the storage of the app made last, and remembers that a storage died. Without
    this, the next tests would count in the dead Redis storage or in the fallback
    (a login-throttling test failed that way). Flask-Limiter has no public way to forget
    it, so an app with the tests' in-memory storage is made again; production has one
    app per process."""
    yield
    limiter._storage_dead = False
    create_app(test_config(database_url))


def test_the_site_keeps_working_when_redis_is_down_and_says_so(database_url, caplog, limiter_revived):
    """SECURITY.md 14 stays in force per process (in-memory fallback) while Redis is away."""
    app = create_app({**test_config(database_url), "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0", "RATELIMIT_ENABLED": True})
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        page = client.get("/experiences/mine")
        assert page.status_code == 200
        token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
        statuses = [client.post("/experiences/mine", data={"csrf_token": token, "code": "A" * 20}).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429
    assert any("redis" in record.getMessage().lower() or "storage" in record.getMessage().lower() for record in caplog.records)


def test_the_app_recovers_by_itself_when_the_database_returns(app, client, csrf, db):
    engine = app.extensions["voice_engine"]
    token = csrf("/experiences/new")
    form = {"csrf_token": token, "services": "nav", "usefulness": "4", "story_lang": "en", "story": "Back again", "form_token": "r" * 30}
    engine.dispose()  # every pooled connection is gone, as after a database restart
    assert client.post("/experiences/new", data=form).status_code == 303
    assert [e.story for e in db.exec(select(Experience))] == ["Back again"]
