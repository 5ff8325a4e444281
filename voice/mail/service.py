"""E-mail through an outbox table: a message is stored in the same transaction
as what caused it, then sent by ``send_pending`` (the `send-mail` command, and the
job worker). A failed send is retried with growing pauses and logged; after the
last try it is marked failed and logged as an error, never dropped silently.
Plain Python: the SMTP settings and the time are arguments."""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import delete as sql_delete
from sqlmodel import Session, col, select

from .models import OutboxMessage
from .render import render

log = logging.getLogger("voice.mail")
MAX_ATTEMPTS = 6
KEEP_SENT = timedelta(days=7)


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    use_tls: bool = False
    username: str = ""
    password: str = ""
    sender: str = "Voice <voice@trondheim.kommune.no>"
    timeout: float = 15.0

    @classmethod
    def from_config(cls, config) -> SmtpSettings:
        return cls(host=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]), use_tls=bool(config.get("MAIL_USE_TLS")),
                   username=config.get("MAIL_USERNAME", ""), password=config.get("MAIL_PASSWORD", ""),
                   sender=config["MAIL_FROM"])


def queue_mail(*, session: Session, to: str, template: str, context: dict, locale: str = "nb",
               attachment: tuple[str, str, str] | None = None) -> OutboxMessage:
    """Render mail/<template>.txt and .html in the reader's language and store it to send."""
    rendered = render(template, context, locale=locale)
    message = OutboxMessage(to_address=to, subject=rendered.subject[:300], text_body=rendered.text, html_body=rendered.html)
    if attachment:
        message.attachment_name, message.attachment_type, message.attachment_body = attachment
    session.add(message)
    return message


def build_message(message: OutboxMessage, sender: str, *, now: datetime) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2].rstrip(">") or "voice.invalid"
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    if message.attachment_body is not None:
        maintype, _, subtype = (message.attachment_type or "application/octet-stream").partition("/")
        email.add_attachment(message.attachment_body.encode(), maintype=maintype, subtype=subtype, filename=message.attachment_name)
    return email


def _forget_contents(message: OutboxMessage) -> None:
    """Once sent (or given up), the outbox keeps who got what and when, not the text:
    invitation and reset links and private sign-up links are single-use secrets."""
    message.text_body = ""
    message.html_body = ""
    message.attachment_body = None


def send_pending(*, session: Session, smtp: SmtpSettings, now: datetime, limit: int = 200) -> tuple[int, int]:
    """Send what is due; return (sent, failed this round)."""
    due = session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for message in due:
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as connection:
                if smtp.use_tls:
                    connection.starttls()
                if smtp.username:
                    connection.login(smtp.username, smtp.password)
                connection.send_message(build_message(message, smtp.sender, now=now))
        except (OSError, smtplib.SMTPException) as exc:
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            failed += 1
            if message.attempts >= MAX_ATTEMPTS:
                message.failed_at = now
                _forget_contents(message)
                log.error("mail %s gave up after %s attempts: %s", message.id, message.attempts, message.last_error)
            else:
                message.next_attempt_at = now + timedelta(minutes=2 ** message.attempts)
                log.warning("mail %s failed (attempt %s), will retry: %s", message.id, message.attempts, message.last_error)
        else:
            message.sent_at = now
            message.attempts += 1
            _forget_contents(message)
            sent += 1
        session.add(message)
    return sent, failed


def purge_sent(*, session: Session, now: datetime) -> int:
    """Sent mail holds addresses: keep it only a week."""
    cutoff = now - KEEP_SENT
    result = session.execute(sql_delete(OutboxMessage).where(col(OutboxMessage.sent_at).is_not(None), OutboxMessage.sent_at < cutoff))
    return result.rowcount or 0
