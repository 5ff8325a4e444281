"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

The schema is built by `alembic upgrade head` (so the migrations are exercised),
then emptied between tests. Argon2 uses cheap parameters here only.
"""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from voice import create_app
from voice.accounts.audit import APPEND_ONLY_SQL, DROP_SQL
from voice.config import TestConfig
from voice.jobs import tasks
from voice.jobs.tasks import huey

PG_ADMIN_URL = os.environ.get("VOICE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_config(database_url: str) -> dict:
    config = {k: v for k, v in vars(TestConfig).items() if k.isupper()}
    config.update(DATABASE_URL=database_url, SECRET_KEY="test-secret-key")
    return config


def _upgrade(url: str) -> None:
    from alembic import command

    from voice.cli import alembic_config

    command.upgrade(alembic_config(url), "head")


@pytest.fixture(autouse=True)
def _push_request_context():
    """pytest-flask pushes one request context around every test, so every request
    of a test shared one ``g`` and a service that needed a request passed anyway.
    No context here: a request is a request, and the rest of a test runs outside any."""


@pytest.fixture
def client(app):
    """A browser: every request in its own app context (pytest-flask's ``with client``
    kept the last request's context alive, and the next client's request reused it)."""
    return app.test_client()


@pytest.fixture(scope="session")
def postgres_url():
    name = f"voice_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'voice.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    _upgrade(url)
    return url


def empty_database(engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # DELETE is some 25 times faster than TRUNCATE on tables this small. The replica role
            # lifts the triggers (the audit log's append-only guard, foreign keys) for this
            # transaction only; the sequences start again at 1, as after TRUNCATE ... RESTART IDENTITY.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            for (sequence,) in conn.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")):
                conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
        else:
            # The audit log refuses DELETE; lift its guard only to empty the test database.
            for statement in DROP_SQL["sqlite"]:
                conn.execute(text(statement))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            for statement in APPEND_ONLY_SQL["sqlite"]:
                conn.execute(text(statement))


@pytest.fixture(scope="session")
def _shared_apps() -> dict:
    return {}


@pytest.fixture
def app(database_url, _shared_apps):
    """The app on this backend, made once per test worker (building its URL map costs
    some 60 ms). Each test gets it with the configuration it was made with, empty rate
    limits and a freshly seeded, otherwise empty database. A test that needs other
    settings or routes makes its own with ``create_app``."""
    from voice.extensions import limiter
    from voice.reference.service import seed_reference_data

    app = _shared_apps.get(database_url)
    if app is None:
        app = _shared_apps[database_url] = create_app(test_config(database_url))
    config = dict(app.config)
    limiter.reset()
    engine = app.extensions["voice_engine"]
    with Session(engine) as session:
        seed_reference_data(session=session)
        session.commit()
    huey.flush()  # the in-memory job queue starts empty too
    if app.extensions.get("voice_page_cache") is not None:
        app.extensions["voice_page_cache"].clear()  # and no page kept by an earlier test
    yield app
    app.config.clear()
    app.config.update(config)
    empty_database(engine)


def run_jobs(app) -> int:
    """Be the job worker for a moment: run every task the requests queued, in this process,
    with this app's settings (tests/test_worker.py starts the real worker as a subprocess)."""
    tasks.use_app(app)
    done = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        done += 1
    return done


@pytest.fixture
def jobs(app):
    """``jobs()`` runs the queued tasks now, as the worker would; returns how many ran."""
    return lambda: run_jobs(app)


@pytest.fixture
def hasher(app):
    return app.extensions["voice_hasher"]


@pytest.fixture
def links(app):
    return app.extensions["voice_links"]


@pytest.fixture
def db(app):
    """A session for arranging and checking what is stored (outside any request)."""
    with Session(app.extensions["voice_engine"], expire_on_commit=False) as session:
        yield session


@pytest.fixture
def csrf(client):
    """Returns a valid CSRF token for this client's session."""

    def token(path: str = "/experiences/mine") -> str:
        page = client.get(path).get_data(as_text=True)
        match = CSRF_RE.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    return token


@pytest.fixture
def post(client, csrf):
    """POST a form as a browser would, with the CSRF token of a page it loaded."""

    def send(path: str, data: dict, *, token_from: str | None = None, **kwargs):
        payload = {"csrf_token": csrf(token_from or path)}
        payload.update(data)
        return client.post(path, data=payload, **kwargs)

    return send


OUTPUT_DIR = Path(__file__).parent / "output"


@pytest.fixture
def login(client, post):
    """Log a user in through the real forms (password, then the authenticator code)."""
    import pyotp

    from .factories import PASSWORD

    def do(user, secret, *, password: str = PASSWORD, next_url: str = ""):
        response = post("/staff/login", {"email": user.email, "password": password, "next": next_url})
        if secret and response.status_code == 302 and response.headers["Location"].endswith("/staff/login/code"):
            response = post("/staff/login/code", {"code": pyotp.TOTP(secret).now()})
        return response

    return do


@pytest.fixture
def staff(app, db, login):
    """A logged-in user of the given role; returns the user."""
    from .factories import make_user

    def as_role(role: str, **extra):
        user, secret = make_user(app, db, role=role, **extra)
        response = login(user, secret)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return as_role
test_config.__test__ = False  # a helper, not a test, when imported into test modules
