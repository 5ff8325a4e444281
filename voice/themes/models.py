"""A theme, its human translations, its tags and the stories in it."""
from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, one_of, utcnow
from ..locales import N_

THEME_STATUSES = ("open", "cocreation", "planned", "made", "closed")
STATUS_NAMES = {
    "open": N_("Open"),
    "cocreation": N_("Being worked on in co-creation"),
    "planned": N_("Change planned"),
    "made": N_("Change made"),
    "closed": N_("Closed"),
}
TAG_KINDS = ("service", "area", "life_domain")


class Theme(SQLModel, table=True):
    __tablename__ = "theme"
    __table_args__ = (one_of("status", THEME_STATUSES, table="theme"),)
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    title: str = Field(max_length=160)
    description: str = Field(default="", max_length=1000)
    lang: str = Field(default="nb", max_length=8)  # the language the staff member wrote it in
    status: str = Field(default="open", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ThemeText(SQLModel, table=True):
    """A human translation of a theme's title and description into one of the site's languages."""

    __tablename__ = "theme_text"
    theme_id: int = Field(foreign_key="theme.id", ondelete="CASCADE", primary_key=True)
    locale: str = Field(max_length=8, primary_key=True)
    title: str = Field(max_length=160)
    description: str = Field(default="", max_length=1000)


class ThemeTag(SQLModel, table=True):
    """A service, area or life domain the theme is about (``kind`` names the reference table)."""

    __tablename__ = "theme_tag"
    __table_args__ = (one_of("kind", TAG_KINDS, table="theme_tag"),)
    theme_id: int = Field(foreign_key="theme.id", ondelete="CASCADE", primary_key=True)
    kind: str = Field(max_length=16, primary_key=True)
    ref_id: int = Field(primary_key=True)


class ThemeStory(SQLModel, table=True):
    __tablename__ = "theme_story"
    theme_id: int = Field(foreign_key="theme.id", ondelete="CASCADE", primary_key=True)
    experience_id: int = Field(foreign_key="experience.id", ondelete="CASCADE", primary_key=True, index=True)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ThemeSession(SQLModel, table=True):
    """A co-creation session held about a theme."""

    __tablename__ = "theme_session"
    theme_id: int = Field(foreign_key="theme.id", ondelete="CASCADE", primary_key=True)
    session_id: int = Field(foreign_key="cocreation_session.id", ondelete="CASCADE", primary_key=True, index=True)


class ThemeResult(SQLModel, table=True):
    """What came of a theme (often of a session about it), posted back by staff as the
    service's answer on the theme and on every story in it."""

    __tablename__ = "theme_result"
    __table_args__ = (one_of("change_status", ("planned", "made"), table="theme_result"),
                      one_of("check_status", ("checked", "waiting"), table="theme_result"))
    id: int | None = Field(default=None, primary_key=True)
    theme_id: int = Field(foreign_key="theme.id", ondelete="CASCADE", index=True)
    session_id: int | None = Field(default=None, foreign_key="cocreation_session.id", ondelete="SET NULL")
    service_id: int = Field(foreign_key="service.id", ondelete="RESTRICT")
    text: str = Field(max_length=4000)
    lang: str = Field(default="nb", max_length=8)
    change_status: str = Field(max_length=16)
    review_on: date | None = Field(default=None)
    stories: int = Field(default=0)  # how many stories got it as an answer
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    author_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    # A change claim: shown (on the theme and the stories) once a moderator who did not post it has checked it.
    check_status: str = Field(default="checked", max_length=16, sa_column_kwargs={"server_default": "checked"})
    checked_by_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
