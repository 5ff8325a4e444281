"""The outbox: a message is stored with what caused it and sent later."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    text_body: str = Field(max_length=20000)
    html_body: str = Field(default="", max_length=40000)
    attachment_name: str | None = Field(default=None, max_length=120)
    attachment_type: str | None = Field(default=None, max_length=60)
    attachment_body: str | None = Field(default=None, max_length=40000)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    last_error: str = Field(default="", max_length=500)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Taken by a worker before it talks to the mail server (committed first), so two workers
    # never send the same message; a claim left by a worker that died is taken again later,
    # with the same Message-ID, which receiving servers use to drop a duplicate.
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
