"""Co-creation (samskaping) sessions, their organisers and sign-ups."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..accounts.models import PARTNER_KINDS
from ..db import UTCDateTime, between, one_of, utcnow

KINDS = ("workshop", "family-activity", "meeting-place", "job-training", "information")
SESSION_STATUSES = ("pending", "published", "cancelled")
SIGNUP_STATUSES = ("confirmed", "waiting", "cancelled")
SIGNUP_ROLES = ("participant", "helper")


class CoSession(SQLModel, table=True):
    __tablename__ = "cocreation_session"
    # The database itself refuses over-booking, even under concurrent sign-ups.
    __table_args__ = (
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="ck_session_not_overbooked"),
        Index("ix_session_status_starts", "status", "starts_at"),
        one_of("status", SESSION_STATUSES, table="cocreation_session"),
        one_of("kind", KINDS, table="cocreation_session"),
        one_of("organiser_kind", PARTNER_KINDS, table="cocreation_session"),
        between("capacity", 1, 10000, table="cocreation_session", nullable=False),
        between("max_per_signup", 1, 10000, table="cocreation_session", nullable=False),
        CheckConstraint("ends_at > starts_at", name="ck_cocreation_session_ends_after_start"),
    )
    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=24, unique=True)
    series_id: str | None = Field(default=None, max_length=24, index=True)
    title: str = Field(max_length=160)
    description: str = Field(default="", max_length=8000)  # limited HTML, cleaned with bleach
    text_lang: str = Field(default="nb", max_length=16)
    kind: str = Field(max_length=24)
    area_id: int | None = Field(default=None, foreign_key="area.id", ondelete="SET NULL", index=True)
    venue: str = Field(max_length=300)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    capacity: int = Field(ge=1, le=10000)
    # The most persons (adults and children) one sign-up may bring: one family cannot take
    # every place without the organiser knowing.
    max_per_signup: int = Field(default=6, ge=1, le=10000)
    seats_taken: int = Field(default=0)
    languages: str = Field(default="nb", max_length=100)  # comma-separated locale codes
    interpreter: bool = Field(default=False)
    childcare: bool = Field(default=False)
    step_free: bool = Field(default=False)
    cost: str = Field(default="", max_length=120)  # empty: free
    status: str = Field(default="pending", max_length=16)
    cancel_reason: str = Field(default="", max_length=500)
    sequence: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # iCalendar SEQUENCE: +1 at each change
    organiser_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True)
    organiser_kind: str = Field(default="service", max_length=16)  # partner kind at creation, for figures
    approved_by_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    outcome: str = Field(default="", max_length=8000)  # "what we found together", cleaned HTML
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    personal_data_purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SessionService(SQLModel, table=True):
    __tablename__ = "cocreation_session_service"
    session_id: int = Field(foreign_key="cocreation_session.id", ondelete="CASCADE", primary_key=True)
    service_id: int = Field(foreign_key="service.id", ondelete="RESTRICT", primary_key=True)


class SessionPartner(SQLModel, table=True):
    """Partner accounts organising a session together with its creator."""

    __tablename__ = "cocreation_session_partner"
    session_id: int = Field(foreign_key="cocreation_session.id", ondelete="CASCADE", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", primary_key=True)


class Signup(SQLModel, table=True):
    __tablename__ = "cocreation_signup"
    __table_args__ = (
        UniqueConstraint("session_id", "email", name="uq_signup_session_email"),
        UniqueConstraint("session_id", "phone", name="uq_signup_session_phone"),
        Index("ix_signup_session_status", "session_id", "status", "id"),
        one_of("status", SIGNUP_STATUSES, table="cocreation_signup"),
        one_of("role", SIGNUP_ROLES, table="cocreation_signup"),
        between("adults", 0, 20, table="cocreation_signup", nullable=False),
        between("children", 0, 20, table="cocreation_signup", nullable=False),
        between("usefulness", 1, 5, table="cocreation_signup"),
    )
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="cocreation_session.id", ondelete="CASCADE")
    form_token: str = Field(max_length=64, unique=True)
    token_hash: str = Field(max_length=64, unique=True)  # the private cancel link's token, hashed
    role: str = Field(default="participant", max_length=16)
    status: str = Field(default="confirmed", max_length=16)
    name: str = Field(default="", max_length=80)
    adults: int = Field(default=1, ge=0, le=20)
    children: int = Field(default=0, ge=0, le=20)
    interpreter_lang: str = Field(default="", max_length=16)  # empty: no interpreter needed
    needs_childcare: bool = Field(default=False)
    accessibility: str = Field(default="", max_length=300)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    page_lang: str = Field(default="nb", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    promoted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attended: bool | None = Field(default=None)
    usefulness: int | None = Field(default=None, ge=1, le=5)
    rated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def persons(self) -> int:
        return self.adults + self.children
