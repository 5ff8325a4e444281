"""The receipt code shown again after a reload, for SHOW_FOR, in the browser that sent
the story only (see ShownCode). The browser's cookie value is "<row id>.<pad>"; nothing
here is the code in clear, and the code is never in a URL or a log."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session

from .models import ShownCode

SHOW_FOR = timedelta(minutes=30)
COOKIE = "voice_receipt"


@dataclass(frozen=True)
class Shown:
    code: str
    consent: bool
    has_contact: bool
    expires_at: datetime


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def remember(*, session: Session, code: str, consent: bool, has_contact: bool, now: datetime) -> str:
    """Keep ``code`` masked for SHOW_FOR; returns the value for the browser's cookie."""
    pad = secrets.token_bytes(len(code))
    row = ShownCode(id=secrets.token_hex(16), masked=_xor(code.encode("ascii"), pad).hex(), consent=consent,
                    has_contact=has_contact, expires_at=now + SHOW_FOR)
    session.add(row)
    return f"{row.id}.{pad.hex()}"


def recall(*, session: Session, cookie: str | None, now: datetime) -> Shown | None:
    """The code this browser may still see, or None (no cookie, expired, or forgotten)."""
    row_id, _, pad_hex = (cookie or "").partition(".")
    if len(row_id) != 32 or not pad_hex:
        return None
    row = session.get(ShownCode, row_id)
    if row is None or row.expires_at <= now:
        return None
    try:
        code = _xor(bytes.fromhex(row.masked), bytes.fromhex(pad_hex)).decode("ascii")
    except (ValueError, UnicodeDecodeError):  # a cookie that was not ours
        return None
    return Shown(code=code, consent=row.consent, has_contact=row.has_contact, expires_at=row.expires_at)


def forget(*, session: Session, cookie: str | None) -> None:
    row_id = (cookie or "").partition(".")[0]
    if row_id:
        session.execute(delete(ShownCode).where(ShownCode.id == row_id))


def purge_expired(*, session: Session, now: datetime) -> int:
    return session.execute(delete(ShownCode).where(ShownCode.expires_at <= now)).rowcount or 0
