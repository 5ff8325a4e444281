"""E-mail through an outbox table: a message is stored in the same transaction
as what caused it, then sent by ``send_due`` (the job worker, at once after the
request that queued it, and the `send-mail` command). A failed send is retried with growing pauses and logged; after the
last try it is marked failed and logged as an error, never dropped silently.
Plain Python: the SMTP settings and the time are arguments."""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import delete as sql_delete
from sqlalchemy import update
from sqlalchemy.engine import Engine
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
    session.info["voice_mail_queued"] = True  # the web edge asks the worker to send once this commits
    return message


def build_message(message: OutboxMessage, sender: str, *, now: datetime) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2].rstrip(">") or "voice.invalid"
    # The same for every try of this message: a receiving server drops a duplicate by it.
    email["Message-ID"] = f"<voice-outbox-{message.id}-{int(message.created_at.timestamp())}@{domain}>"
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


CLAIM_LEASE = timedelta(minutes=10)  # a claim older than this was left by a worker that died


@dataclass(frozen=True)
class MailPass:
    sent: int = 0
    failed: int = 0  # refused by the mail server this round (tried again later, or given up)
    server_down: bool = False  # nobody answered at host:port: nothing was tried, nothing counted against the messages


def send_due(*, engine: Engine, smtp: SmtpSettings, now: datetime, limit: int = 200) -> MailPass:
    """Send what is due, each message at most once at a time, over one connection.

    A message is claimed (committed) before the mail server is asked to take it, so two
    workers never send the same one; it is marked sent right after. If a worker dies in
    between, its claim expires after CLAIM_LEASE and the message is sent again with the same
    Message-ID, which receiving servers use to drop the duplicate. When the server cannot be
    reached at all, the claims are released and no message loses an attempt."""
    stale = now - CLAIM_LEASE
    with Session(engine, expire_on_commit=False) as session:
        ids = list(session.exec(
            select(OutboxMessage.id)
            .where(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None),
                   OutboxMessage.next_attempt_at <= now,
                   (col(OutboxMessage.claimed_at).is_(None)) | (OutboxMessage.claimed_at < stale))
            .order_by(OutboxMessage.id).limit(limit)
        ))
        claimed = []
        for message_id in ids:
            result = session.execute(
                update(OutboxMessage).where(
                    OutboxMessage.id == message_id, col(OutboxMessage.sent_at).is_(None),
                    (col(OutboxMessage.claimed_at).is_(None)) | (OutboxMessage.claimed_at < stale))
                .values(claimed_at=now))
            if result.rowcount == 1:
                claimed.append(message_id)
        session.commit()
        if not claimed:
            return MailPass()
        try:
            connection = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        except OSError as exc:
            session.execute(update(OutboxMessage).where(col(OutboxMessage.id).in_(claimed)).values(claimed_at=None))
            session.commit()
            log.debug("mail server %s:%s not reachable: %s", smtp.host, smtp.port, type(exc).__name__)
            return MailPass(server_down=True)
        sent = failed = 0
        with connection:
            if smtp.use_tls:
                connection.starttls()
            if smtp.username:
                connection.login(smtp.username, smtp.password)
            for message_id in claimed:
                message = session.get(OutboxMessage, message_id)
                try:
                    connection.send_message(build_message(message, smtp.sender, now=now))
                except smtplib.SMTPServerDisconnected:
                    message.claimed_at = None  # the connection went: this one is tried again, untouched
                    session.add(message)
                    session.commit()
                    break
                except (OSError, smtplib.SMTPException) as exc:
                    _refused(message, exc, now)
                    failed += 1
                else:
                    message.sent_at = now
                    message.attempts += 1
                    _forget_contents(message)
                    sent += 1
                session.add(message)
                session.commit()
        return MailPass(sent=sent, failed=failed)


def _refused(message: OutboxMessage, exc: Exception, now: datetime) -> None:
    message.attempts += 1
    message.claimed_at = None
    message.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if message.attempts >= MAX_ATTEMPTS:
        message.failed_at = now
        _forget_contents(message)
        log.error("mail %s gave up after %s attempts: %s", message.id, message.attempts, message.last_error)
    else:
        message.next_attempt_at = now + timedelta(minutes=2 ** message.attempts)
        log.warning("mail %s refused (attempt %s), will retry: %s", message.id, message.attempts, message.last_error)


def waiting(*, session: Session) -> tuple[int, datetime | None]:
    """Messages not yet sent (and not given up), and when the oldest of them was queued."""
    from sqlalchemy import func

    count, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at))
        .where(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None))
    ).one()
    return int(count or 0), oldest


def purge_sent(*, session: Session, now: datetime) -> int:
    """Sent mail holds addresses: keep it only a week."""
    cutoff = now - KEEP_SENT
    result = session.execute(sql_delete(OutboxMessage).where(col(OutboxMessage.sent_at).is_not(None), OutboxMessage.sent_at < cutoff))
    return result.rowcount or 0
