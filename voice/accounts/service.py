"""Accounts: create, authenticate, sessions, second factor, invitations.

Plain functions: the hasher (Argon2 parameters), the time and the link builder
are arguments, so a view, a command and a test call them alike.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
from sqlmodel import Session, col, select

from ..hashing import SecretHasher
from ..links import LinkBuilder
from ..mail.service import queue_mail
from . import passwords
from .models import STAFF_ROLES, Invitation, LoginAttempt, User, UserSession

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
INVITATION_LIFETIME = timedelta(hours=72)
RESET_LIFETIME = timedelta(hours=2)
TOUCH_EVERY = timedelta(seconds=60)
LOGIN_ATTEMPT_LIFETIME = timedelta(minutes=5)
MAX_CODE_FAILURES = 5  # then the password step must be passed again


class AccountExists(Exception):
    """An invitation for an address that has an account already."""


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def get_by_email(*, session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def create_user(*, session: Session, email: str, display_name: str, role: str, hasher: SecretHasher,
                password: str | None = None, **extra) -> User:
    user = User(email=normalise_email(email), display_name=display_name.strip(), role=role, **extra)
    if password is not None:
        user.password_hash = hasher.hash(password)
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, email: str, password: str, hasher: SecretHasher) -> User | None:
    """The user when the password is right and the account active; one answer otherwise.

    An unknown e-mail still costs one Argon2 verification, so timing tells nothing."""
    user = get_by_email(session=session, email=email)
    ok = hasher.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def set_password(*, session: Session, user: User, password: str, hasher: SecretHasher) -> None:
    user.password_hash = hasher.hash(password)
    session.add(user)


def change_password(*, session: Session, user: User, current: str, new: str, hasher: SecretHasher, keep_token: str,
                    now: datetime) -> int | None:
    """A new password when the current one is right; ends the user's other sessions.
    Returns how many were ended, or None when ``current`` is wrong."""
    if authenticate(session=session, email=user.email, password=current, hasher=hasher) is None:
        return None
    set_password(session=session, user=user, password=new, hasher=hasher)
    return end_sessions(session=session, user=user, except_token=keep_token, now=now)


# -- Sessions -------------------------------------------------------------------

def start_session(*, session: Session, user: User, now: datetime) -> str:
    """A new server-side session (a fresh id at every login); returns its token."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=sha256(token), created_at=now, last_seen_at=now))
    user.last_login_at = now
    session.add(user)
    session.flush()
    return token


def resume_session(*, session: Session, user_id: int, token: str, now: datetime) -> User | None:
    """The user of a live session, or None when ended, idle too long or too old."""
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


def end_session(*, session: Session, token: str, now: datetime) -> str | None:
    """End this login; returns the ID token it was opened with, if the provider opened it."""
    record = session.exec(select(UserSession).where(UserSession.token_hash == sha256(token))).first()
    if record and record.ended_at is None:
        record.ended_at = now
        session.add(record)
    return record.id_token if record else None


def end_sessions(*, session: Session, user: User, now: datetime, except_token: str | None = None) -> int:
    query = select(UserSession).where(UserSession.user_id == user.id, col(UserSession.ended_at).is_(None))
    if except_token:
        query = query.where(UserSession.token_hash != sha256(except_token))
    return end_selected_sessions(session=session, query=query, now=now)


def end_selected_sessions(*, session: Session, query, now: datetime) -> int:
    """End every session ``query`` (a select of UserSession) finds; returns how many."""
    ended = 0
    for record in session.exec(query):
        record.ended_at = now
        session.add(record)
        ended += 1
    return ended


def set_active(*, session: Session, user: User, active: bool, now: datetime) -> None:
    user.is_active = active
    session.add(user)
    if not active:
        end_sessions(session=session, user=user, now=now)


def toggle_concerns(*, session: Session, user: User) -> bool:
    """Trust a user with stories marked as a serious concern, or stop; returns the new value."""
    user.handles_concerns = not user.handles_concerns
    session.add(user)
    return user.handles_concerns


# -- Second factor (TOTP) ---------------------------------------------------------

def start_login_attempt(*, session: Session, user: User, now: datetime, next_url: str = "") -> str:
    """The password was right: hold the half-done login here; returns the token for the cookie.
    An account that has no authenticator yet gets the secret to set one up (kept here only)."""
    for old in session.exec(select(LoginAttempt).where(LoginAttempt.user_id == user.id)):
        session.delete(old)
    token = secrets.token_urlsafe(32)
    session.add(LoginAttempt(token_hash=sha256(token), user_id=user.id, created_at=now, next_url=next_url[:500],
                             enrol_secret=None if user.totp_enabled else new_totp_secret()))
    session.flush()
    return token


def find_login_attempt(*, session: Session, token: str | None, now: datetime) -> LoginAttempt | None:
    """A half-done login that may go on: not expired, not locked by wrong codes."""
    if not token:
        return None
    attempt = session.exec(select(LoginAttempt).where(LoginAttempt.token_hash == sha256(token))).first()
    if attempt is None or now - attempt.created_at > LOGIN_ATTEMPT_LIFETIME or attempt.failures >= MAX_CODE_FAILURES:
        return None
    return attempt


def count_code_failure(*, session: Session, attempt_id: int) -> None:
    """One more wrong code (atomic); at MAX_CODE_FAILURES the half-done login is ended,
    so the password must be given again. Runs even when the request that saw the wrong
    code is rolled back (voice/web/db.py ``always``)."""
    from sqlalchemy import delete, update

    session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(failures=LoginAttempt.failures + 1))
    session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id, LoginAttempt.failures >= MAX_CODE_FAILURES))


def end_login_attempt(*, session: Session, attempt: LoginAttempt) -> None:
    session.delete(attempt)

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Voice Trondheim")


def check_totp(secret: str | None, code: str, *, now: datetime, last_step: int | None = None) -> int | None:
    """The time step the code belongs to, or None. A step at or before `last_step`
    is refused, so a code that was used once cannot be replayed. Digits of any script count
    (an Arabic keyboard types ١٢٣); other characters, spaces among them, are left out."""
    code = "".join(str(int(ch)) for ch in (code or "") if ch.isdecimal())
    if not secret or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp() // totp.interval)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and (last_step is None or step > last_step):
            return step
    return None


def accept_totp(*, session: Session, user: User, code: str, now: datetime, secret: str | None = None) -> bool:
    """Check a code for this user (or a secret being enrolled) and remember its step."""
    step = check_totp(secret or user.totp_secret, code, now=now, last_step=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    session.add(user)
    return True


def enrol_totp(*, session: Session, user: User, secret: str, code: str, now: datetime) -> bool:
    """Turn on the authenticator app when the first code from it is right."""
    if not accept_totp(session=session, user=user, code=code, secret=secret, now=now):
        return False
    user.totp_secret = secret
    user.totp_enabled = True
    session.add(user)
    return True


# -- Invitations and resets ---------------------------------------------------------

def create_invitation(*, session: Session, created_by: User | None, purpose: str, email: str, role: str, now: datetime,
                      display_name: str = "", user: User | None = None, organisation: str | None = None,
                      organisation_kind: str | None = None, service_id: int | None = None) -> str:
    token = secrets.token_urlsafe(32)
    lifetime = INVITATION_LIFETIME if purpose == "invite" else RESET_LIFETIME
    session.add(
        Invitation(
            token_hash=sha256(token), purpose=purpose, email=normalise_email(email), role=role,
            display_name=display_name, user_id=user.id if user else None,
            created_by_id=created_by.id if created_by else None, created_at=now, expires_at=now + lifetime,
            organisation=organisation, organisation_kind=organisation_kind,
            service_id=service_id if role == "responder" else None,
        )
    )
    session.flush()
    return token


def invite(*, session: Session, admin: User, email: str, role: str, role_label: str, display_name: str,
           organisation: str | None, organisation_kind: str | None, links: LinkBuilder, now: datetime,
           locale: str, service_id: int | None = None) -> str:
    """Invite someone by e-mail (a single-use link for 72 hours); returns the link. A responder
    is invited to answer for ``service_id``. Raises AccountExists for an address that has an
    account."""
    if get_by_email(session=session, email=email):
        raise AccountExists
    token = create_invitation(
        session=session, created_by=admin, purpose="invite", email=email, role=role, now=now, display_name=display_name,
        organisation=organisation, organisation_kind=organisation_kind, service_id=service_id,
    )
    link = links("accounts.invitation_link", token=token)
    queue_mail(session=session, to=normalise_email(email), template="invitation", locale=locale,
               context={"name": display_name, "link": link, "role": role_label})
    return link


def issue_reset(*, session: Session, admin: User, user: User, links: LinkBuilder, now: datetime, locale: str) -> str:
    """A password reset link for ``user`` (single-use, 2 hours), e-mailed to them; returns the link."""
    token = create_invitation(session=session, created_by=admin, purpose="reset", email=user.email, role=user.role,
                              user=user, now=now)
    link = links("accounts.reset_link", token=token)
    queue_mail(session=session, to=user.email, template="password_reset", locale=locale,
               context={"name": user.display_name, "link": link})
    return link


def find_invitation(*, session: Session, token: str, purpose: str, now: datetime) -> Invitation | None:
    """A usable link of this purpose: not used, not expired, not of another flow."""
    invitation = session.exec(select(Invitation).where(Invitation.token_hash == sha256(token or ""))).first()
    if invitation is None or invitation.purpose != purpose or invitation.used_at is not None:
        return None
    if invitation.expires_at <= now:
        return None
    return invitation


def accept_invitation(*, session: Session, invitation: Invitation, password: str, display_name: str,
                      hasher: SecretHasher, now: datetime) -> User:
    """Use the link: a new account, or a new password (which ends the user's sessions).
    Raises AccountExists when an account was made for the address meanwhile."""
    if invitation.purpose == "invite" and get_by_email(session=session, email=invitation.email):
        raise AccountExists
    invitation.used_at = now
    session.add(invitation)
    if invitation.purpose == "reset":
        user = session.get(User, invitation.user_id)
        set_password(session=session, user=user, password=password, hasher=hasher)
        end_sessions(session=session, user=user, now=now)
        return user
    return create_user(
        session=session, email=invitation.email, display_name=display_name or invitation.display_name,
        role=invitation.role, password=password, hasher=hasher, organisation=invitation.organisation,
        organisation_kind=invitation.organisation_kind, service_id=invitation.service_id,
    )


def password_problem(password: str, email: str = "") -> str | None:
    return passwords.problem(password, email=email)


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.role, User.email)))


def staff_for_digest(*, session: Session) -> list[User]:
    """Active staff who asked for the daily e-mail about waiting stories."""
    return list(session.exec(select(User).where(User.wants_digest == True, User.is_active == True,  # noqa: E712
                                                col(User.role).in_(STAFF_ROLES))))


def active_staff(*, session: Session) -> list[User]:
    """Everyone who may moderate now (active moderators and admins)."""
    return list(session.exec(select(User).where(User.is_active == True, col(User.role).in_(STAFF_ROLES))))  # noqa: E712
