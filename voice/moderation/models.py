"""Export jobs: made by the job worker so a long export blocks no one, and kept in the
database (state and file), so every machine can show and serve them and a restart
loses nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, one_of, utcnow

EXPORT_STATUSES = ("pending", "running", "done", "failed")
EXPORT_FORMATS = ("csv", "xlsx", "json")


class ExportJob(SQLModel, table=True):
    __tablename__ = "export_job"
    __table_args__ = (
        one_of("status", EXPORT_STATUSES, table="export_job"),
        one_of("file_format", EXPORT_FORMATS, table="export_job"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(default="pending", max_length=16)
    file_format: str = Field(max_length=8)
    filters: str = Field(default="{}", max_length=2000)  # JSON
    purpose: str = Field(max_length=300)
    locale: str = Field(default="nb", max_length=8)
    total: int = Field(default=0)
    done: int = Field(default=0)
    file_name: str = Field(default="", max_length=200)
    # The file itself: exports are a few megabytes at most, and in the database every
    # machine can serve them. Deleted, with the rest of the job, a day after it was made.
    content: bytes | None = Field(default=None, sa_type=LargeBinary)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    progress_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the worker's last sign of life on it
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    error: str = Field(default="", max_length=32)  # why it failed: "interrupted", "error"


RULE_KINDS = ("phrase", "pattern")
RULE_SCOPES = ("story", "service", "everywhere")


class RedactionRule(SQLModel, table=True):
    """A moderator's saved redaction: a phrase (or a regular expression) and what replaces it,
    for one story, one service's stories, or every story (``voice.moderation.redactions``)."""

    __tablename__ = "redaction_rule"
    __table_args__ = (one_of("kind", RULE_KINDS, table="redaction_rule"),
                      one_of("scope", RULE_SCOPES, table="redaction_rule"))
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="phrase", max_length=16)
    text: str = Field(max_length=200)
    replacement: str = Field(default="[…]", max_length=100)
    scope: str = Field(default="everywhere", max_length=16)
    experience_id: int | None = Field(default=None, foreign_key="experience.id", ondelete="CASCADE")
    service_id: int | None = Field(default=None, foreign_key="service.id", ondelete="CASCADE")
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
