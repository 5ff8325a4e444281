"""Reading and seeding reference data (services, areas, life domains)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from ..locales import Translator
from . import seed
from .models import UNIT_KINDS, Area, LifeDomain, ReferenceName, Service, Unit

Reference = Service | Area | LifeDomain | Unit
MODELS = {"service": Service, "area": Area, "life_domain": LifeDomain, "unit": Unit}


class Names:
    """Reference rows named in one language: an admin's name when one is given for
    that language, else the catalog's translation of the row's source name.
    Loads the admins' names once; one is made per page or message."""

    def __init__(self, *, session: Session | None, translator: Translator, overrides: dict | None = None):
        """``overrides``: the admins' names already loaded (then ``session`` is not read)."""
        self.translator = translator
        if overrides is None:
            rows = session.exec(select(ReferenceName).where(ReferenceName.locale == translator.code))
            overrides = {(row.kind, row.ref_id): row.name for row in rows}
        self._overrides = overrides

    @property
    def overrides(self) -> dict:
        return self._overrides

    def __call__(self, item: Reference) -> str:
        return self._overrides.get((item.__tablename__, item.id)) or self.translator.gettext(item.name)


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


def choices(model, *, session: Session, names: Names) -> list[tuple[str, str]]:
    """(slug, name) of the active rows, for a form's choices."""
    return [(item.slug, names(item)) for item in active(model, session=session)]


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


class SlugTaken(ValueError):
    """Another row of the same kind uses this short name."""


@dataclass(frozen=True)
class UnitDetails:
    """What a unit has beyond a name: its kind, the service that runs it, its area, and
    whether few families use it."""

    kind: str
    service_id: int
    area_id: int | None
    is_small: bool


def save(*, session: Session, kind: str, item: Reference | None, slug: str, name: str, position: int, is_active: bool,
         names: dict[str, str], answer_days: int | None = None, unit: UnitDetails | None = None) -> Reference:
    """Create or change a reference row and its names per language (and, for a service, the
    working days it has to answer a published story; for a unit, its details)."""
    model = MODELS[kind]
    if slug_taken(model, slug, except_id=item.id if item else None, session=session):
        raise SlugTaken(slug)
    if kind == "unit" and (unit is None or unit.kind not in UNIT_KINDS or session.get(Service, unit.service_id) is None):
        raise ValueError("a unit needs a kind and a known service")
    item = item or model(slug=slug, name=name, **({"service_id": unit.service_id} if kind == "unit" else {}))
    item.slug, item.name, item.is_active, item.position = slug, name, is_active, position
    if kind == "service" and answer_days is not None:
        item.answer_days = answer_days
    if kind == "unit":
        item.kind, item.service_id, item.area_id, item.is_small = unit.kind, unit.service_id, unit.area_id, unit.is_small
    session.add(item)
    session.flush()
    set_names(session=session, kind=kind, ref_id=item.id, names=names)
    return item


def slug_taken(model, slug: str, *, except_id: int | None, session: Session) -> bool:
    query = select(model.id).where(model.slug == slug)
    if except_id:
        query = query.where(model.id != except_id)
    return session.exec(query).first() is not None
