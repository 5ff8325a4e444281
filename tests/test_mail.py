"""The outbox: mail is stored with what caused it, sent by the worker's pass (claimed first,
so never twice at once), retried with growing pauses when refused, and kept waiting,
untouched, while the mail server cannot be reached."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from voice.clock import utcnow
from voice.mail.models import OutboxMessage
from voice.mail.service import CLAIM_LEASE, MAX_ATTEMPTS, MailPass, SmtpSettings, queue_mail, send_due

from .smtp import free_port, start_smtp

XSS = '<svg onload=alert(1)>"><script>alert(2)</script>'


@pytest.fixture
def smtp_server(app):
    inbox, controller, port = start_smtp()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()


def _queue(db, to="nora@example.no", **context):
    message = queue_mail(session=db, to=to, template="password_reset", locale="nb",
                         context={"name": "Nora", "link": "http://localhost/x", **context})
    db.commit()
    return message


def _stored(db) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_queued_mail_is_sent_with_escaped_html(app, db, smtp_server):
    queue_mail(session=db, to="nora@example.no", template="invitation", context={"name": XSS, "link": "http://localhost/x", "role": "Partner"}, locale="en")
    db.commit()
    engine = app.extensions["voice_engine"]
    assert send_due(engine=engine, smtp=SmtpSettings.from_config(app.config), now=utcnow()) == MailPass(sent=1)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "nora@example.no"
    parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
    assert "&lt;svg onload=alert(1)&gt;" in parts["text/html"] and "<svg onload" not in parts["text/html"]
    assert _stored(db)[0].sent_at is not None
    assert send_due(engine=engine, smtp=SmtpSettings.from_config(app.config), now=utcnow()) == MailPass()  # sent once
    assert len(smtp_server.messages) == 1


def test_several_messages_go_over_one_connection_in_order(app, db, smtp_server):
    for n in range(3):
        _queue(db, to=f"person{n}@example.no")
    assert send_due(engine=app.extensions["voice_engine"], smtp=SmtpSettings.from_config(app.config), now=utcnow()) == MailPass(sent=3)
    assert [m["To"] for m in smtp_server.messages] == ["person0@example.no", "person1@example.no", "person2@example.no"]
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 3


def test_refused_mail_is_retried_with_growing_pauses_then_marked_failed_never_lost(app, db, smtp_server, caplog):
    smtp_server.refuse = "550 mailbox unavailable"
    _queue(db)
    smtp = SmtpSettings.from_config(app.config)
    engine = app.extensions["voice_engine"]
    now = utcnow()
    pauses = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert send_due(engine=engine, smtp=smtp, now=now) == MailPass(failed=1)
        message = _stored(db)[0]
        assert message.attempts == attempt and "550" in message.last_error and message.claimed_at is None
        if message.failed_at is None:
            pauses.append(message.next_attempt_at - now)
            assert send_due(engine=engine, smtp=smtp, now=message.next_attempt_at - timedelta(seconds=1)) == MailPass()  # not yet
            now = message.next_attempt_at + timedelta(seconds=1)
    assert pauses == sorted(pauses) and pauses[0] < pauses[-1]
    assert message.failed_at is not None and message.sent_at is None
    assert message.text_body == "" and message.html_body == ""  # given up: what it said is not kept
    assert send_due(engine=engine, smtp=smtp, now=now + timedelta(days=1)) == MailPass()
    assert any("gave up" in record.message for record in caplog.records)


def test_mail_waits_untouched_while_the_server_cannot_be_reached_and_the_worker_says_so_once(app, db, caplog):
    from voice.jobs import service as jobs
    from voice.jobs.tasks import context_from_app

    jobs._server_down["since"] = None  # as in a worker just started
    _queue(db)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    context = context_from_app(app)
    caplog.set_level(logging.INFO, logger="voice.jobs")
    for _ in range(3):
        assert jobs.send_mail(context).server_down
    message = _stored(db)[0]
    assert message.attempts == 0 and message.claimed_at is None and message.sent_at is None and message.failed_at is None
    warnings = [r for r in caplog.records if r.name == "voice.jobs" and "cannot be reached" in r.message]
    assert len(warnings) == 1

    inbox, controller, port = start_smtp()
    try:
        app.config.update(MAIL_PORT=port)
        assert jobs.send_mail(context_from_app(app)) == MailPass(sent=1)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1 and any("answers again" in r.message for r in caplog.records)


def test_a_message_claimed_by_a_live_worker_is_left_alone_and_a_dead_workers_claim_is_taken_again(app, db, smtp_server):
    message = _queue(db)
    now = utcnow()
    message.claimed_at = now - timedelta(minutes=1)  # another worker is sending it right now
    db.add(message)
    db.commit()
    engine, smtp = app.extensions["voice_engine"], SmtpSettings.from_config(app.config)
    assert send_due(engine=engine, smtp=smtp, now=now) == MailPass()
    assert smtp_server.messages == []
    # That worker died between its claim and the send: after the lease, the message goes.
    assert send_due(engine=engine, smtp=smtp, now=now + CLAIM_LEASE) == MailPass(sent=1)
    assert len(smtp_server.messages) == 1


def test_the_message_id_is_the_same_for_every_try_so_a_receiving_server_can_drop_a_duplicate(app, db):
    from voice.mail.service import build_message

    message = _queue(db)
    first = build_message(message, "Voice <voice@trondheim.kommune.no>", now=utcnow())
    again = build_message(message, "Voice <voice@trondheim.kommune.no>", now=utcnow() + timedelta(minutes=10))
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].endswith("@trondheim.kommune.no>")


def test_two_workers_at_once_send_each_message_exactly_once(app, db, smtp_server):
    for n in range(20):
        _queue(db, to=f"person{n}@example.no")
    engine, smtp, now = app.extensions["voice_engine"], SmtpSettings.from_config(app.config), utcnow()
    results: list[MailPass] = []
    start = threading.Barrier(2)

    def worker():
        start.wait()
        results.append(send_due(engine=engine, smtp=smtp, now=now))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in results) == 20
    received = sorted(m["To"] for m in smtp_server.messages)
    assert received == sorted(f"person{n}@example.no" for n in range(20))  # none twice, none missing
    assert all(m.sent_at is not None for m in _stored(db))
