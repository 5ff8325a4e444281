"""Commands run as an operator runs them: `flask --app voice voice ...` in a subprocess
with production settings, so no request context (and no pytest-flask) can hide a
link built from a request. Mail goes to a real SMTP server (aiosmtpd)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta

from sqlalchemy import delete
from sqlmodel import select

from voice.clock import utcnow
from voice.cocreation.models import Signup
from voice.cocreation.service import SignupInput, sign_up
from voice.mail.models import OutboxMessage

from .factories import make_experience, make_session, make_user
from .smtp import parts, start_smtp

PUBLIC = "https://voice.example.no"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def production_env(database_url: str, tmp_path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VOICE_", "FLASK_"))}
    env.update(
        VOICE_ENV="production", DATABASE_URL=database_url, PUBLIC_BASE_URL=PUBLIC, SECRET_KEY="commands-test",
        VOICE_INSTANCE_PATH=str(tmp_path / "instance"), PYTHONPATH=ROOT,
    )
    env.update(extra)
    return env


def flask(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "voice", "voice", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_reminder_and_digest_reach_people_with_links_from_the_public_address(app, db, links, tmp_path):
    # A session tomorrow evening with a family signed up by e-mail (in Arabic), and stories waiting.
    cosession = make_session(app, db, day=date.today() + timedelta(days=1), start="18:00", end="20:00",
                             title="Familiekafé, Saupstad")
    signup, _token = sign_up(session=db, cosession=cosession, now=utcnow(), links=links, data=SignupInput(
        form_token="commands-test", name="Amina", adults=1, children=2, email="amina@example.no", page_lang="ar"))
    moderator, _ = make_user(app, db, role="moderator", wants_digest=True, email="reader@trondheim.kommune.no")
    for _ in range(3):
        make_experience(app, db)
    db.execute(delete(OutboxMessage))  # the sign-up's own confirmation is another test's business
    db.commit()

    inbox, controller, port = start_smtp()
    env = production_env(app.config["DATABASE_URL"], tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port))
    try:
        for command, said in (("remind", "Reminders queued: 1."), ("digest", "Digest queued for 1 moderator(s)."),
                              ("send-mail", "Sent 2, failed 0")):
            result = flask(command, env=env)
            assert result.returncode == 0, result.stderr
            assert said in result.stdout, result.stdout + result.stderr
    finally:
        controller.stop()

    reminder, = inbox.to("amina@example.no")
    assert reminder.defects == [] and reminder["Date"] and reminder["Message-ID"]
    assert "Familiekafé, Saupstad" in reminder["Subject"]
    body = parts(reminder)
    session_page = f"{PUBLIC}/sessions/{cosession.public_id}"
    assert session_page in body["text/plain"] and f'href="{session_page}"' in body["text/html"]
    assert 'lang="ar" dir="rtl"' in body["text/html"]
    calendar = body["text/calendar"].replace("\r\n ", "")  # unfold long lines
    assert f"URL:{session_page}" in calendar
    assert "localhost" not in str(reminder)

    digest, = inbox.to("reader@trondheim.kommune.no")
    assert f"{PUBLIC}/moderation/" in parts(digest)["text/plain"]
    assert "3" in parts(digest)["text/plain"]
    db.expire_all()
    assert db.get(Signup, signup.id).reminded_at is not None
    assert all(m.sent_at for m in db.exec(select(OutboxMessage)))


def test_production_refuses_to_start_without_a_public_address(app, tmp_path):
    env = production_env(app.config["DATABASE_URL"], tmp_path)
    env.pop("PUBLIC_BASE_URL")
    result = flask("seed", env=env)
    assert result.returncode != 0
    assert "PUBLIC_BASE_URL is not set" in result.stderr
