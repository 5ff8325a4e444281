"""E-mail through an outbox table: a message is stored in the same transaction
as what caused it, then sent by `flask voice send-mail` (cron). A failed send
is retried with growing pauses and logged; after the last try it is marked
failed and logged as an error, never dropped silently."""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import delete as sql_delete
from sqlmodel import Field, Session, SQLModel, col, select

from .db import UTCDateTime, utcnow

log = logging.getLogger("voice.mail")
MAX_ATTEMPTS = 6
KEEP_SENT = timedelta(days=7)

SUBJECTS = {
    "invitation": _l("You are invited to Voice"),
    "password_reset": _l("Choose a new password for Voice"),
    "digest": _l("Stories are waiting to be read in Voice"),
    "signup_confirmed": _l("You are signed up: %(title)s"),
    "signup_promoted": _l("A place is free for you: %(title)s"),
    "session_reminder": _l("Reminder: %(title)s"),
    "session_cancelled": _l("Cancelled: %(title)s"),
}


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    text_body: str = Field(max_length=20000)
    html_body: str = Field(default="", max_length=40000)
    attachment_name: str | None = Field(default=None, max_length=120)
    attachment_type: str | None = Field(default=None, max_length=60)
    attachment_body: str | None = Field(default=None, max_length=40000)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    last_error: str = Field(default="", max_length=500)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def queue_mail(*, session: Session, to: str, template: str, context: dict, locale: str = "nb",
               attachment: tuple[str, str, str] | None = None) -> OutboxMessage:
    """Render mail/<template>.txt and .html in the reader's language and store it to send."""
    with force_locale(locale):
        subject = str(SUBJECTS[template]) % context if "%(" in str(SUBJECTS[template]) else str(SUBJECTS[template])
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", subject=subject, **context)
    message = OutboxMessage(to_address=to, subject=subject[:300], text_body=text, html_body=html)
    if attachment:
        message.attachment_name, message.attachment_type, message.attachment_body = attachment
    session.add(message)
    return message


def _build(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    if message.attachment_body is not None:
        maintype, _, subtype = (message.attachment_type or "application/octet-stream").partition("/")
        email.add_attachment(message.attachment_body.encode(), maintype=maintype, subtype=subtype, filename=message.attachment_name)
    return email


def send_pending(*, session: Session, now: datetime | None = None, limit: int = 200) -> tuple[int, int]:
    """Send what is due; return (sent, failed this round)."""
    now = now or utcnow()
    config = current_app.config
    due = session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    if not due:
        return 0, 0
    for message in due:
        try:
            with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
                smtp.send_message(_build(message, config["MAIL_FROM"]))
        except (OSError, smtplib.SMTPException) as exc:
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            failed += 1
            if message.attempts >= MAX_ATTEMPTS:
                message.failed_at = now
                log.error("mail %s gave up after %s attempts: %s", message.id, message.attempts, message.last_error)
            else:
                message.next_attempt_at = now + timedelta(minutes=2 ** message.attempts)
                log.warning("mail %s failed (attempt %s), will retry: %s", message.id, message.attempts, message.last_error)
        else:
            message.sent_at = now
            message.attempts += 1
            sent += 1
        session.add(message)
    return sent, failed


def purge_sent(*, session: Session, now: datetime | None = None) -> int:
    """Sent mail holds addresses: keep it only a week."""
    cutoff = (now or utcnow()) - KEEP_SENT
    result = session.execute(sql_delete(OutboxMessage).where(col(OutboxMessage.sent_at).is_not(None), OutboxMessage.sent_at < cutoff))
    return result.rowcount or 0
