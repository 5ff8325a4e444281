"""Staff, partner and admin accounts, their sessions, invitations and the audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, one_of, utcnow
from ..locales import N_

ROLES = ("moderator", "partner", "admin", "responder")
# Staff of the municipality: they read, moderate, answer and export.
STAFF_ROLES = ("moderator", "admin")
# A responder answers published stories in the name of one service (``User.service_id``,
# ``User.answers_for``): someone at Nav or the school office who reads what families wrote
# about them and answers, but does not moderate. Their answers are checked like everyone's
# (voice/moderation/service.py).
# Partners and staff may organise co-creation sessions.
ORGANISER_ROLES = ("moderator", "partner", "admin")
# Roles that must use a second factor (SECURITY.md 3): everyone, partners too, since
# organisers see the phone numbers and e-mail addresses of those who sign up.
SECOND_FACTOR_ROLES = ROLES
PARTNER_KINDS = ("volunteer", "nonprofit", "business", "resident", "service")




PARTNER_KIND_NAMES = {
    "volunteer": N_("Volunteer"),
    "nonprofit": N_("Non-profit organisation"),
    "business": N_("Business"),
    "resident": N_("Resident"),
    "service": N_("Municipal service"),
}
INVITATION_PURPOSES = ("invite", "reset")


def responder_has_service(table: str) -> CheckConstraint:
    """A responder answers for one service: the row names it."""
    return CheckConstraint("role <> 'responder' OR service_id IS NOT NULL", name=f"ck_{table}_responder_service")


class User(SQLModel, table=True):
    """An account. Who may do what is written here once; views, services and
    templates ask the account (``user.may_moderate``), never compare roles."""

    __tablename__ = "user_account"
    __table_args__ = (
        one_of("role", ROLES, table="user_account"),
        one_of("organisation_kind", PARTNER_KINDS, table="user_account", nullable=True),
        responder_has_service("user_account"),
    )
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)  # stored lower-case
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=16)
    # The service a responder answers for (None for every other role).
    service_id: int | None = Field(default=None, foreign_key="service.id", ondelete="RESTRICT")
    password_hash: str | None = Field(default=None, max_length=255)
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled: bool = Field(default=False)
    totp_last_step: int | None = Field(default=None)  # the last accepted code's time step: no replay
    is_active: bool = Field(default=True)
    # May see stories marked as a serious concern for a child.
    handles_concerns: bool = Field(default=False)
    wants_digest: bool = Field(default=False)
    organisation: str | None = Field(default=None, max_length=160)
    organisation_kind: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Signed in with the municipality's OpenID Connect provider (voice/accounts/oidc.py): the
    # provider's issuer and subject name the account; no password here, and the provider's own
    # second factor stands in for ours. How the last sign-in was made (the ``amr`` and ``acr``
    # claims) is kept for the admin.
    oidc_issuer: str | None = Field(default=None, max_length=255)
    oidc_subject: str | None = Field(default=None, max_length=255, index=True)
    last_amr: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})
    last_acr: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})

    @property
    def needs_second_factor(self) -> bool:
        return self.role in SECOND_FACTOR_ROLES or self.totp_enabled

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_partner(self) -> bool:
        return self.role == "partner"

    @property
    def has_voice_password(self) -> bool:
        """A Voice password, not the municipal login's (whose password Voice never sees)."""
        return self.oidc_subject is None

    @property
    def is_responder(self) -> bool:
        return self.role == "responder"

    # What staff do: read and moderate stories, answer as a service, export.
    may_moderate = is_staff
    may_export = is_staff

    @property
    def home_endpoint(self) -> str:
        """Where a login lands: the stories to read, the stories to answer, or the own page."""
        if self.may_moderate:
            return "moderation.queue"
        return "answers.index" if self.is_responder else "accounts.home"

    def answers_for(self, service_id: int | None) -> bool:
        """Whether this account may answer in the name of this service: staff for any, a
        responder for their own."""
        if self.is_staff:
            return True
        return self.is_responder and service_id is not None and service_id == self.service_id

    @property
    def may_organise(self) -> bool:
        return self.role in ORGANISER_ROLES

    @property
    def may_see_concerns(self) -> bool:
        """Stories marked as a serious concern for a child: admins and those trusted with them."""
        return self.is_admin or self.handles_concerns


class UserSession(SQLModel, table=True):
    """A server-side record of each login, so logout and password changes end it for good."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A sign-in through the provider: its ID token, sent back as the hint when signing out there,
    # and the provider's session id (``sid``), which its back-channel logout names.
    id_token: str | None = Field(default=None, max_length=8000)
    oidc_sid: str | None = Field(default=None, max_length=255, index=True)


class OidcRoleMapping(SQLModel, table=True):
    """An admin's rule: people in this group at the municipality's login service get this role
    (voice/accounts/oidc.py; OIDC_ROLE_MAP gives the ones set by the environment)."""

    __tablename__ = "oidc_role_mapping"
    __table_args__ = (one_of("role", ROLES, table="oidc_role_mapping"), responder_has_service("oidc_role_mapping"))
    id: int | None = Field(default=None, primary_key=True)
    group: str = Field(max_length=255, unique=True)
    role: str = Field(max_length=16)
    service_id: int | None = Field(default=None, foreign_key="service.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """A login half done: the password was right, the authenticator code is still to come.

    Held here, not in the cookie: the cookie carries only a random token, so the
    throttle of the second step is keyed on this account, the number of wrong codes
    is counted where the browser cannot reset it, and the secret of an authenticator
    being set up never leaves the server."""

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    failures: int = Field(default=0)
    enrol_secret: str | None = Field(default=None, max_length=64)
    next_url: str = Field(default="", max_length=500)


class Invitation(SQLModel, table=True):
    """A single-use, expiring link: an invitation to join, or a password reset."""

    __tablename__ = "invitation"
    __table_args__ = (
        one_of("purpose", INVITATION_PURPOSES, table="invitation"),
        one_of("role", ROLES, table="invitation"),
        one_of("organisation_kind", PARTNER_KINDS, table="invitation", nullable=True),
        responder_has_service("invitation"),
    )
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=16)  # "invite" or "reset"; one cannot be used as the other
    email: str = Field(max_length=254)
    role: str = Field(max_length=16)
    display_name: str = Field(default="", max_length=120)
    organisation: str | None = Field(default=None, max_length=160)
    organisation_kind: str | None = Field(default=None, max_length=16)
    service_id: int | None = Field(default=None, foreign_key="service.id", ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="CASCADE")
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """Append-only: database triggers refuse UPDATE and DELETE (see migrations)."""

    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, index=True)  # no FK: entries outlive accounts
    actor_label: str = Field(default="", max_length=254)
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(default="", max_length=32)
    target_id: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=2000)
    remote_addr: str = Field(default="", max_length=64)
