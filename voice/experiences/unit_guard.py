"""The small-unit guard: a story that names a unit (a school, a kindergarten, an office) shows on
the site only while at least ``k`` stories about that unit have been decided (published, kept
internal, or held here), so no family is the one story about its child's kindergarten. Until
then a story the moderator decided to publish is *held*; it is released by itself when the k-th
story about the unit is decided, and held again should a family delete its story and the count
fall below k. A moderator may instead publish it with the unit removed: tagged with the service
only, the unit's name taken out of the text.

``k`` comes from the settings (UNIT_MIN_STORIES) and is never below MIN_STORIES_FLOOR.

Hand-written: the rule is Voice's own. Plain functions; no Flask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..reference.models import Unit
from .models import Experience, ExperienceService

MIN_STORIES_FLOOR = 3
COUNTED = ("published", "internal", "held")  # decided stories about a unit
REMOVED = "[…]"


def floor(k: int) -> int:
    return max(int(k), MIN_STORIES_FLOOR)


def _pattern(name: str) -> re.Pattern:
    words = name.split()
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)", re.IGNORECASE)


def active_units(*, session: Session) -> list[Unit]:
    with session.no_autoflush:
        return list(session.exec(select(Unit).where(Unit.is_active == True).order_by(Unit.position, Unit.id)))  # noqa: E712


def units_named(text: str, units: list[Unit]) -> list[Unit]:
    """The units whose name the text contains (whole words, letter case and spacing ignored),
    in the order they first appear."""
    found = []
    for unit in units:
        match = _pattern(unit.name).search(text or "") if unit.name.strip() else None
        if match:
            found.append((match.start(), unit.id, unit))
    return [unit for _start, _id, unit in sorted(found, key=lambda row: row[:2])]


def remove_names(text: str, units: list[Unit]) -> str:
    for unit in units:
        text = _pattern(unit.name).sub(REMOVED, text)
    return text


def decided_count(*, session: Session, unit_id: int) -> int:
    return session.exec(select(func.count()).select_from(Experience).where(
        Experience.unit_id == unit_id, col(Experience.status).in_(COUNTED))).one()


def names_unit(experience: Experience) -> bool:
    """Whether the story, once on the site, names its unit."""
    return experience.unit_id is not None and not experience.unit_removed


def settle(*, session: Session, unit_id: int | None, k: int) -> None:
    """Release the held stories about this unit when k have been decided; hold its published
    ones again when fewer have (a story deleted, rejected or moved to another unit)."""
    if unit_id is None:
        return
    session.flush()
    enough = decided_count(session=session, unit_id=unit_id) >= floor(k)
    source, target = ("held", "published") if enough else ("published", "held")
    for experience in session.exec(select(Experience).where(
            Experience.unit_id == unit_id, Experience.status == source, Experience.unit_removed == False)):  # noqa: E712
        experience.status = target
        session.add(experience)
    session.flush()


def publish_status(*, session: Session, experience: Experience, k: int) -> str:
    """The status a story the moderator publishes gets now: ``published``, or ``held`` while its
    unit has fewer than k decided stories (this one counted)."""
    if not names_unit(experience):
        return "published"
    others = session.exec(select(func.count()).select_from(Experience).where(
        Experience.unit_id == experience.unit_id, col(Experience.status).in_(COUNTED),
        Experience.id != experience.id)).one()
    return "published" if others + 1 >= floor(k) else "held"


@dataclass(frozen=True)
class Hold:
    """Why a story is held: ``decided`` of the ``needed`` stories about ``unit``."""

    unit: Unit
    decided: int
    needed: int


def hold_for(*, session: Session, experience: Experience, k: int) -> Hold | None:
    if experience.unit_id is None or experience.status != "held":
        return None
    unit = session.get(Unit, experience.unit_id)
    return Hold(unit, decided_count(session=session, unit_id=unit.id), floor(k)) if unit else None


def held_count_by_service(*, session: Session) -> dict[int, int]:
    """Held stories per service they name, for the staff's workload table."""
    rows = session.exec(select(ExperienceService.service_id, func.count())
                        .join(Experience, Experience.id == ExperienceService.experience_id)
                        .where(Experience.status == "held").group_by(ExperienceService.service_id))
    return dict(rows.all())
