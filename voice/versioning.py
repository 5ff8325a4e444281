"""The content version: one token that changes, in the same transaction, with anything an
anonymous visitor could see (a decision, an answer, a session, its places left, a theme, the
reference data, the figures). Public pages are kept per language and version
(voice/web/page_cache.py), so a page kept before a change is never served after it: the
commit that makes the change visible makes the new token visible too, on every machine.

The token is random, not a counter: a database emptied and filled again (tests, a restore)
can never bring back a token an old page was kept under.

It listens to the ORM's flushes, as the figures' tally does (voice/experiences/tally_hook.py).
Writes that change no public page leave it alone: a new story waiting to be read, a login, a
rate-limit count, the outbox, the audit log. Hand-written: no library versions content this way.
"""
from __future__ import annotations

import secrets
from itertools import chain

from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

ROW_ID = 1
# Tables no anonymous visitor ever reads, directly or through a count.
PRIVATE_TABLES = frozenset({
    "audit_entry", "content_version", "experience_contact", "export_job", "follow_up", "invitation",
    "job_run", "login_attempt", "oidc_role_mapping", "outbox_message", "rate_limit_counter", "redaction_rule", "shown_code",
    "story_report", "user_session", "worker_heartbeat",
})
# A new story waits to be read: it shows nowhere (the figures count moderated stories only).
_WAITING_ON_INSERT = frozenset({"experience", "experience_service", "experience_domain"})
_BUMPED = "voice_content_version_bumped"


class ContentVersion(SQLModel, table=True):
    __tablename__ = "content_version"
    id: int = Field(default=ROW_ID, primary_key=True)
    token: str = Field(max_length=32)


def current(connection) -> str | None:
    """The token now (None before the first change: then nothing is kept)."""
    return connection.execute(text("SELECT token FROM content_version WHERE id = :id"), {"id": ROW_ID}).scalar()


def current_raw(engine) -> str | None:
    """The same, on a DBAPI connection of ``engine`` (voice.db.reader_engine_for): what the layer
    before Flask reads for every kept page, where SQLAlchemy's statement machinery costs more
    than the query. None when the read fails (its connection is thrown away): the request then
    goes on to Flask."""
    try:
        connection = engine.raw_connection()
    except Exception:  # noqa: BLE001  (no database: Flask answers with its page for that)
        return None
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(f"SELECT token FROM content_version WHERE id = {int(ROW_ID)}")
            row = cursor.fetchone()
        finally:
            cursor.close()
    except Exception:  # noqa: BLE001  (a restarted database: Flask's pool pings and reconnects)
        connection.invalidate()
        return None
    finally:
        connection.close()
    return row[0] if row else None


def bump(connection) -> str:
    token = secrets.token_hex(16)
    if connection.execute(text("UPDATE content_version SET token = :token WHERE id = :id"),
                          {"token": token, "id": ROW_ID}).rowcount == 0:
        connection.execute(text("INSERT INTO content_version (id, token) VALUES (:id, :token)"),
                           {"id": ROW_ID, "token": token})
    return token


def _waiting_story(obj) -> bool:
    table = obj.__tablename__
    if table == "experience":
        return obj.status == "new"
    parent = getattr(obj, "experience", None)
    return parent is not None and parent.status == "new"


def changes_public(session: Session) -> bool:
    """Whether what this flush writes could change a page an anonymous visitor sees."""
    for obj in session.new:
        table = getattr(obj, "__tablename__", None)
        if table in PRIVATE_TABLES:
            continue
        if table in _WAITING_ON_INSERT and _waiting_story(obj):
            continue
        return True
    for obj in chain(session.dirty, session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in PRIVATE_TABLES:
            continue
        if obj in session.deleted or session.is_modified(obj):
            return True
    return False


def changed(session: Session) -> None:
    """Say that this transaction changes what visitors see (for writes the flush does not see:
    Core statements); the token changes at its commit."""
    session.info[_BUMPED] = "pending"


def _before_flush(session, _context, _instances) -> None:
    if not session.info.get(_BUMPED) and changes_public(session):
        changed(session)


def _before_commit(session) -> None:
    """The token changes last, just before the commit: the one row every public change writes is
    locked for the commit only, after every other lock the transaction takes (taken at a flush,
    two transactions could each hold a lock the other waits for)."""
    session.flush()
    if session.info.get(_BUMPED) == "pending":
        bump(session.connection())
        session.info[_BUMPED] = "done"


def _transaction_ended(session, *_args) -> None:
    session.info.pop(_BUMPED, None)


def install() -> None:
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _transaction_ended)
        event.listen(Session, "after_rollback", _transaction_ended)
