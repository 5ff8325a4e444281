"""Reading and seeding reference data."""
from __future__ import annotations

from flask import g, has_request_context
from flask_babel import gettext
from sqlmodel import Session, select

from ..db import get_session
from . import seed
from .models import Area, LifeDomain, ReferenceName, Service

Reference = Service | Area | LifeDomain
MODELS = {"service": Service, "area": Area, "life_domain": LifeDomain}


def _names_for_locale() -> dict[tuple[str, int], str]:
    """Admins' names for the page's language, loaded once per request."""
    if "reference_names" not in g:
        rows = get_session().exec(select(ReferenceName).where(ReferenceName.locale == g.locale.code))
        g.reference_names = {(row.kind, row.ref_id): row.name for row in rows}
    return g.reference_names


def display_name(item: Reference) -> str:
    """The name in the page's language: an admin's name if given, else the catalog's."""
    if has_request_context() and "locale" in g:
        override = _names_for_locale().get((item.__tablename__, item.id))
        if override:
            return override
    return gettext(item.name)


def names_of(*, session: Session, kind: str, ref_id: int) -> dict[str, str]:
    rows = session.exec(select(ReferenceName).where(ReferenceName.kind == kind, ReferenceName.ref_id == ref_id))
    return {row.locale: row.name for row in rows}


def set_names(*, session: Session, kind: str, ref_id: int, names: dict[str, str]) -> None:
    """Store the names given per language; an empty name falls back to the catalog."""
    existing = {
        row.locale: row
        for row in session.exec(select(ReferenceName).where(ReferenceName.kind == kind, ReferenceName.ref_id == ref_id))
    }
    for locale, name in names.items():
        name = (name or "").strip()
        row = existing.get(locale)
        if name and row:
            row.name = name
            session.add(row)
        elif name:
            session.add(ReferenceName(kind=kind, ref_id=ref_id, locale=locale, name=name))
        elif row:
            session.delete(row)


def all_rows(model, *, session: Session) -> list:
    return list(session.exec(select(model).order_by(model.position, model.id)))


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


def slug_taken(model, slug: str, *, except_id: int | None, session: Session) -> bool:
    query = select(model.id).where(model.slug == slug)
    if except_id:
        query = query.where(model.id != except_id)
    return session.exec(query).first() is not None
