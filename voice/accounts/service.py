"""Accounts: create, authenticate, sessions, second factor, invitations."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta

import pyotp
from sqlmodel import Session, col, select

from ..db import utcnow
from ..security import hash_secret, hasher, verify_secret
from . import passwords
from .models import Invitation, User, UserSession

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
INVITATION_LIFETIME = timedelta(hours=72)
RESET_LIFETIME = timedelta(hours=2)
TOUCH_EVERY = timedelta(seconds=60)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def get_by_email(*, session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def create_user(*, session: Session, email: str, display_name: str, role: str, password: str | None = None, **extra) -> User:
    user = User(email=normalise_email(email), display_name=display_name.strip(), role=role, **extra)
    if password is not None:
        user.password_hash = hash_secret(password)
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The user when the password is right and the account active; one answer otherwise.

    An unknown e-mail still costs one Argon2 verification, so timing tells nothing."""
    user = get_by_email(session=session, email=email)
    ok = verify_secret(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_secret(password)
    return user


def set_password(*, session: Session, user: User, password: str) -> None:
    user.password_hash = hash_secret(password)
    session.add(user)


# -- Sessions -------------------------------------------------------------------

def start_session(*, session: Session, user: User) -> str:
    """A new server-side session (a fresh id at every login); returns its token."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=sha256(token)))
    user.last_login_at = utcnow()
    session.add(user)
    session.flush()
    return token


def resume_session(*, session: Session, user_id: int, token: str, now: datetime | None = None) -> User | None:
    """The user of a live session, or None when ended, idle too long or too old."""
    now = now or utcnow()
    record = session.exec(
        select(UserSession).where(UserSession.token_hash == sha256(token), UserSession.user_id == user_id)
    ).first()
    if record is None or record.ended_at is not None:
        return None
    if now - record.last_seen_at > IDLE_TIMEOUT or now - record.created_at > ABSOLUTE_TIMEOUT:
        record.ended_at = now
        session.add(record)
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if now - record.last_seen_at > TOUCH_EVERY:
        record.last_seen_at = now
        session.add(record)
    return user


def end_session(*, session: Session, token: str) -> None:
    record = session.exec(select(UserSession).where(UserSession.token_hash == sha256(token))).first()
    if record and record.ended_at is None:
        record.ended_at = utcnow()
        session.add(record)


def end_sessions(*, session: Session, user: User, except_token: str | None = None) -> int:
    query = select(UserSession).where(UserSession.user_id == user.id, col(UserSession.ended_at).is_(None))
    if except_token:
        query = query.where(UserSession.token_hash != sha256(except_token))
    ended = 0
    for record in session.exec(query):
        record.ended_at = utcnow()
        session.add(record)
        ended += 1
    return ended


def set_active(*, session: Session, user: User, active: bool) -> None:
    user.is_active = active
    session.add(user)
    if not active:
        end_sessions(session=session, user=user)


# -- Second factor (TOTP) ---------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Voice Trondheim")


def check_totp(secret: str | None, code: str, *, last_step: int | None = None, now: float | None = None) -> int | None:
    """The time step the code belongs to, or None. A step at or before `last_step`
    is refused, so a code that was used once cannot be replayed."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if not secret or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // totp.interval)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and (last_step is None or step > last_step):
            return step
    return None


def accept_totp(*, session: Session, user: User, code: str, secret: str | None = None) -> bool:
    """Check a code for this user (or a secret being enrolled) and remember its step."""
    step = check_totp(secret or user.totp_secret, code, last_step=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    session.add(user)
    return True


# -- Invitations and resets ---------------------------------------------------------

def create_invitation(*, session: Session, created_by: User | None, purpose: str, email: str, role: str,
                      display_name: str = "", user: User | None = None, organisation: str | None = None,
                      organisation_kind: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    lifetime = INVITATION_LIFETIME if purpose == "invite" else RESET_LIFETIME
    session.add(
        Invitation(
            token_hash=sha256(token), purpose=purpose, email=normalise_email(email), role=role,
            display_name=display_name, user_id=user.id if user else None,
            created_by_id=created_by.id if created_by else None, expires_at=utcnow() + lifetime,
            organisation=organisation, organisation_kind=organisation_kind,
        )
    )
    session.flush()
    return token


def find_invitation(*, session: Session, token: str, purpose: str) -> Invitation | None:
    """A usable link of this purpose: not used, not expired, not of another flow."""
    invitation = session.exec(select(Invitation).where(Invitation.token_hash == sha256(token or ""))).first()
    if invitation is None or invitation.purpose != purpose or invitation.used_at is not None:
        return None
    if invitation.expires_at <= utcnow():
        return None
    return invitation


def accept_invitation(*, session: Session, invitation: Invitation, password: str, display_name: str) -> User:
    invitation.used_at = utcnow()
    session.add(invitation)
    if invitation.purpose == "reset":
        user = session.get(User, invitation.user_id)
        set_password(session=session, user=user, password=password)
        end_sessions(session=session, user=user)
        return user
    return create_user(
        session=session, email=invitation.email, display_name=display_name or invitation.display_name,
        role=invitation.role, password=password, organisation=invitation.organisation,
        organisation_kind=invitation.organisation_kind,
    )


def password_problem(password: str, email: str = "") -> str | None:
    return passwords.problem(password, email=email)


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.role, User.email)))
