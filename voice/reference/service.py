"""Reading and seeding reference data."""
from __future__ import annotations

from flask_babel import gettext
from sqlmodel import Session, select

from . import seed
from .models import Area, LifeDomain, Service

Reference = Service | Area | LifeDomain


def display_name(item: Reference) -> str:
    """The name in the page's language."""
    return gettext(item.name)


def active(model, *, session: Session) -> list:
    return list(session.exec(select(model).where(model.is_active).order_by(model.position, model.id)))


def by_slugs(model, slugs: list[str], *, session: Session) -> list:
    if not slugs:
        return []
    return list(session.exec(select(model).where(model.slug.in_(slugs), model.is_active)))


def choices(model, *, session: Session) -> list[tuple[str, str]]:
    return [(item.slug, display_name(item)) for item in active(model, session=session)]


def seed_reference_data(*, session: Session) -> int:
    """Add the reference rows that are missing; return how many were added."""
    added = 0
    for model, rows in (
        (Service, [(slug, name, {}) for slug, name in seed.SERVICES]),
        (Area, [(slug, name, {"is_pilot_zone": pilot}) for slug, name, pilot in seed.AREAS]),
        (LifeDomain, [(slug, name, {}) for slug, name in seed.LIFE_DOMAINS]),
    ):
        existing = set(session.exec(select(model.slug)))
        for position, (slug, name, extra) in enumerate(rows):
            if slug not in existing:
                session.add(model(slug=slug, name=name, position=position, **extra))
                added += 1
    session.flush()
    return added
