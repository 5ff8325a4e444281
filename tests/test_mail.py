"""The outbox: mail is stored with what caused it, sent by a command, retried on failure."""
from __future__ import annotations

import pytest
from sqlmodel import select

from voice.clock import utcnow
from voice.mail.models import OutboxMessage
from voice.mail.service import MAX_ATTEMPTS, SmtpSettings, queue_mail, send_pending

XSS = '<svg onload=alert(1)>"><script>alert(2)</script>'


from .smtp import free_port, start_smtp


@pytest.fixture
def smtp_server(app):
    inbox, controller, port = start_smtp()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()


def test_queued_mail_is_sent_with_escaped_html(app, db, smtp_server):
    queue_mail(session=db, to="nora@example.no", template="invitation", context={"name": XSS, "link": "http://localhost/x", "role": "Partner"}, locale="en")
    db.commit()
    assert send_pending(session=db, smtp=SmtpSettings.from_config(app.config), now=utcnow()) == (1, 0)
    db.commit()
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "nora@example.no"
    parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
    assert "&lt;svg onload=alert(1)&gt;" in parts["text/html"] and "<svg onload" not in parts["text/html"]
    assert db.exec(select(OutboxMessage)).one().sent_at is not None


def test_failed_sends_are_retried_then_marked_failed_never_lost(app, db, caplog):
    from datetime import timedelta

    smtp = SmtpSettings(host="127.0.0.1", port=free_port())  # nothing listens there
    queue_mail(session=db, to="nora@example.no", template="password_reset", context={"name": "Nora", "link": "http://x"}, locale="nb")
    db.commit()
    now = utcnow()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert send_pending(session=db, smtp=smtp, now=now) == (0, 1)
        db.commit()
        message = db.exec(select(OutboxMessage)).one()
        assert message.attempts == attempt and message.last_error
        now = message.next_attempt_at + timedelta(seconds=1) if message.failed_at is None else now
    assert message.failed_at is not None and message.sent_at is None
    assert send_pending(session=db, smtp=smtp, now=now + timedelta(days=1)) == (0, 0)
    assert any("gave up" in record.message for record in caplog.records)
