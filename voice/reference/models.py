"""Reference data: services, areas and life domains, kept as data an admin can edit."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ..db import one_of


class ReferenceBase(SQLModel):
    slug: str = Field(max_length=60, unique=True, index=True)
    # The name in the catalogs' source language; shown through gettext, so each
    # seeded name is translated in every catalog.
    name: str = Field(max_length=160)
    position: int = Field(default=0)
    is_active: bool = Field(default=True)


class Service(ReferenceBase, table=True):
    __tablename__ = "service"
    id: int | None = Field(default=None, primary_key=True)
    # The service's target for answering a published story, in working days (Norwegian
    # public holidays and weekends not counted; voice/moderation/deadlines.py).
    answer_days: int = Field(default=10, ge=1, le=60, sa_column_kwargs={"server_default": "10"})


class Area(ReferenceBase, table=True):
    __tablename__ = "area"
    id: int | None = Field(default=None, primary_key=True)
    # One of the six living-conditions zones where new ways of working are tried.
    is_pilot_zone: bool = Field(default=False)


UNIT_KINDS = ("school", "kindergarten", "office", "other")


class Unit(ReferenceBase, table=True):
    """A named place a service runs (a school, a kindergarten, an office). A story about a unit
    is published naming it only once enough stories about it have been decided
    (voice/experiences/unit_guard.py); the figures never break down by unit."""

    __tablename__ = "unit"
    __table_args__ = (one_of("kind", UNIT_KINDS, table="unit"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="school", max_length=16)
    service_id: int = Field(foreign_key="service.id", ondelete="RESTRICT", index=True)
    area_id: int | None = Field(default=None, foreign_key="area.id", ondelete="SET NULL")
    # Few families use it: a moderator reads a story about it with extra care.
    is_small: bool = Field(default=True)


class LifeDomain(ReferenceBase, table=True):
    __tablename__ = "life_domain"
    id: int | None = Field(default=None, primary_key=True)


class ReferenceName(SQLModel, table=True):
    """An admin's name for a reference row in one language; wins over the catalog."""

    __tablename__ = "reference_name"
    __table_args__ = (UniqueConstraint("kind", "ref_id", "locale"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # "service", "area", "life_domain", "unit"
    ref_id: int
    locale: str = Field(max_length=8)
    name: str = Field(max_length=160)
