"""What a family can do with its experience: tell it, find it again with its
receipt code, add to it, and delete it. Plain functions, no Flask request."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete as sql_delete
from sqlmodel import Session, select

from .. import pii
from ..metrics import rollup
from ..reference.models import Area, LifeDomain, Service
from ..reference.service import by_slugs
from ..security import hash_secret, verify_secret
from . import receipt
from .models import (
    Experience,
    ExperienceContact,
    ExperienceDomain,
    ExperienceService,
    FollowUp,
    ServiceAnswer,
)


@dataclass
class NewExperience:
    service_slugs: list[str]
    usefulness: int | None
    form_token: str
    story: str = ""
    story_lang: str = "nb"
    page_lang: str = "nb"
    area_slug: str | None = None
    domain_slugs: list[str] = field(default_factory=list)
    listened: str | None = None
    services_explained: int | None = None
    consent_publish: bool = False
    phone: str | None = None
    email: str | None = None


class AlreadySubmitted(Exception):
    """The same form was sent twice; the first one was stored."""


def pii_kinds_in(text: str) -> str:
    return ",".join(sorted({match.kind for match in pii.find_pii(text)}))


def contact_delete_after(today: date, retention_days: int) -> date:
    return today + timedelta(days=retention_days)


def create_experience(
    *, session: Session, data: NewExperience, today: date, contact_retention_days: int
) -> tuple[Experience, str]:
    """Store an experience; return it with its receipt code (shown once, never stored)."""
    if session.exec(select(Experience.id).where(Experience.form_token == data.form_token)).first():
        raise AlreadySubmitted
    services = by_slugs(Service, data.service_slugs, session=session)
    if not services:
        raise ValueError("an experience needs at least one known service")
    domains = by_slugs(LifeDomain, data.domain_slugs, session=session)
    area = by_slugs(Area, [data.area_slug], session=session)[0] if data.area_slug else None

    code = receipt.new_code()
    locator, secret = receipt.split(code)
    experience = Experience(
        public_id=secrets.token_hex(16),
        usefulness=data.usefulness,
        listened=data.listened,
        services_explained=data.services_explained,
        area_id=area.id if area else None,
        story=data.story.strip(),
        story_lang=data.story_lang,
        page_lang=data.page_lang,
        consent_publish=data.consent_publish,
        pii_kinds=pii_kinds_in(data.story),
        receipt_locator=locator,
        receipt_hash=hash_secret(secret),
        form_token=data.form_token,
    )
    session.add(experience)
    session.flush()
    session.add_all(ExperienceService(experience_id=experience.id, service_id=s.id) for s in services)
    session.add_all(ExperienceDomain(experience_id=experience.id, domain_id=d.id) for d in domains)
    if data.phone or data.email:
        session.add(
            ExperienceContact(
                experience_id=experience.id,
                phone=data.phone or None,
                email=data.email or None,
                delete_after=contact_delete_after(today, contact_retention_days),
            )
        )
    session.flush()
    return experience, code


def find_by_receipt(*, session: Session, typed_code: str) -> Experience | None:
    """The experience a code belongs to, or None. Always spends one hash check,
    so a wrong code and an unknown code take the same time."""
    code = receipt.normalise(typed_code or "")
    if code is None:
        verify_secret(None, "")
        return None
    locator, secret = receipt.split(code)
    candidates = session.exec(select(Experience).where(Experience.receipt_locator == locator)).all()
    found = None
    for candidate in candidates:
        if verify_secret(candidate.receipt_hash, secret):
            found = candidate
    if not candidates:
        verify_secret(None, secret)
    return found


@dataclass
class ExperienceView:
    """Everything the family sees of its own experience, loaded in a fixed number of queries."""

    experience: Experience
    services: list[Service]
    domains: list[LifeDomain]
    area: Area | None
    follow_ups: list[FollowUp]
    answers: list[tuple[ServiceAnswer, Service]]
    has_contact: bool


def load_view(*, session: Session, experience: Experience) -> ExperienceView:
    eid = experience.id
    services = session.exec(
        select(Service).join(ExperienceService).where(ExperienceService.experience_id == eid).order_by(Service.position)
    ).all()
    domains = session.exec(
        select(LifeDomain)
        .join(ExperienceDomain)
        .where(ExperienceDomain.experience_id == eid)
        .order_by(LifeDomain.position)
    ).all()
    area = session.get(Area, experience.area_id) if experience.area_id else None
    follow_ups = session.exec(select(FollowUp).where(FollowUp.experience_id == eid).order_by(FollowUp.created_at)).all()
    answers = session.exec(
        select(ServiceAnswer, Service)
        .join(Service, Service.id == ServiceAnswer.service_id)
        .where(ServiceAnswer.experience_id == eid)
        .order_by(ServiceAnswer.created_at)
    ).all()
    has_contact = session.exec(select(ExperienceContact.id).where(ExperienceContact.experience_id == eid)).first()
    return ExperienceView(experience, list(services), list(domains), area, list(follow_ups), list(answers), bool(has_contact))


def add_follow_up(*, session: Session, experience: Experience, text: str, lang: str) -> FollowUp:
    follow_up = FollowUp(experience_id=experience.id, text=text.strip(), lang=lang, pii_kinds=pii_kinds_in(text))
    session.add(follow_up)
    session.flush()
    return follow_up


def delete_experience(*, session: Session, experience: Experience) -> None:
    """Delete for good: the story, its tags, contact, follow-ups and answers (by cascade);
    the figures no longer count it."""
    with rollup.tracked(session, experience.id):
        session.execute(sql_delete(Experience).where(Experience.id == experience.id))
    session.expunge(experience)


def purge_expired_contacts(*, session: Session, today: date) -> int:
    result = session.execute(sql_delete(ExperienceContact).where(ExperienceContact.delete_after <= today))
    return result.rowcount or 0
