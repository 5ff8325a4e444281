"""What a family can do with its experience (tell it, find it again with its
receipt code, add to it, delete it) and what anyone may read of it (published
stories). Plain functions: every input is a keyword argument, nothing from Flask.

Words: an *experience* is what a family sends (its answers, tags and, if they
wish, a *story*: the text). A *published story* is the moderated text of an
experience that staff published with the family's consent.
"""
from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete as sql_delete
from sqlmodel import Session, col, select

from .. import pii
from ..clock import oslo_date
from ..hashing import SecretHasher
from ..reference.models import Area, LifeDomain, Service, Unit
from ..reference.service import by_slugs
from . import receipt, tally_hook, unit_guard
from .models import (
    VERDICTS,
    ChangeFeedback,
    Experience,
    ExperienceContact,
    ExperienceDomain,
    ExperienceService,
    FollowUp,
    ServiceAnswer,
    StoryReport,
)

# Every write to an experience keeps the figures' tally in step (see tally_hook).
tally_hook.install()

PAGE_SIZE = 20


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
    invite_me: bool = False  # e-mail about meetings on the themes this story joins (needs the e-mail)
    unit_slug: str | None = None  # the school, kindergarten or office, if the family chose one


class AlreadySubmitted(Exception):
    """The same form was sent twice; the first one was stored."""


def pii_kinds_in(text: str) -> str:
    return kinds_of(pii.find_pii(text))


def kinds_of(matches) -> str:
    """The kinds of personal data found, as stored ("national_id,phone")."""
    return ",".join(sorted({match.kind for match in matches}))


def contact_delete_after(today: date, retention_days: int) -> date:
    return today + timedelta(days=retention_days)


def create_experience(
    *, session: Session, data: NewExperience, now: datetime, contact_retention_days: int, hasher: SecretHasher,
    pii_kinds: str | None = None,
) -> tuple[Experience, str]:
    """Store an experience told at ``now``; return it with its receipt code (shown once, never stored).
    Contact details are kept ``contact_retention_days`` from today in Trondheim.

    ``pii_kinds``: what the caller's check already found in the story (so the text
    is not searched twice); found here when not given. Nothing is flushed: the
    experience and its tags are written in one go when the caller commits.
    """
    if session.exec(select(Experience.id).where(Experience.form_token == data.form_token)).first():
        raise AlreadySubmitted
    services = by_slugs(Service, data.service_slugs, session=session)
    if not services:
        raise ValueError("an experience needs at least one known service")
    domains = by_slugs(LifeDomain, data.domain_slugs, session=session)
    area = by_slugs(Area, [data.area_slug], session=session)[0] if data.area_slug else None
    unit = _unit_of(session, data)

    code = receipt.new_code()
    experience = Experience(
        public_id=secrets.token_hex(16),
        created_at=now,
        usefulness=data.usefulness,
        listened=data.listened,
        services_explained=data.services_explained,
        area_id=area.id if area else None,
        unit_id=unit.id if unit else None,
        story=data.story.strip(),
        story_lang=data.story_lang,
        page_lang=data.page_lang,
        consent_publish=data.consent_publish,
        pii_kinds=pii_kinds if pii_kinds is not None else pii_kinds_in(data.story),
        receipt_locator=hasher.keyed(code),  # see receipt.py: nothing of the code in clear
        receipt_hash=hasher.hash(code),
        form_token=data.form_token,
    )
    experience.service_links = [ExperienceService(service_id=s.id) for s in services]
    experience.domain_links = [ExperienceDomain(domain_id=d.id) for d in domains]
    if data.phone or data.email:
        experience.contact = ExperienceContact(
            phone=data.phone or None, email=data.email or None, invite_me=bool(data.invite_me and data.email),
            delete_after=contact_delete_after(oslo_date(now), contact_retention_days),
        )
    session.add(experience)
    return experience, code


def _unit_of(session: Session, data: NewExperience) -> Unit | None:
    """The unit the family chose, else the first one its story names (for the moderator to see
    and the small-unit guard to count)."""
    if data.unit_slug:
        chosen = by_slugs(Unit, [data.unit_slug], session=session)
        if chosen:
            return chosen[0]
    if not data.story.strip():
        return None
    named = unit_guard.units_named(data.story, unit_guard.active_units(session=session))
    return named[0] if named else None


def find_by_receipt(*, session: Session, typed_code: str, hasher: SecretHasher) -> Experience | None:
    """The experience a code belongs to, or None. Always spends one hash check,
    so a wrong code and an unknown code take the same time."""
    code = receipt.normalise(typed_code or "")
    if code is None:
        hasher.verify(None, "")
        return None
    if receipt.is_old(code):  # 20 characters: the locator in clear, the rest hashed
        locator, secret = code[:receipt.OLD_LOCATOR], code[receipt.OLD_LOCATOR:]
    else:
        locator, secret = hasher.keyed(code), code
    candidates = session.exec(select(Experience).where(Experience.receipt_locator == locator)).all()
    found = None
    for candidate in candidates:
        if hasher.verify(candidate.receipt_hash, secret):
            found = candidate
    if not candidates:
        hasher.verify(None, secret)
    return found


# -- Reading experiences with their tags (no N+1) -------------------------------------

def tags_for(session: Session, experience_ids: list[int]):
    """Services and domains of many experiences in two queries."""
    services: dict[int, list[Service]] = defaultdict(list)
    domains: dict[int, list[LifeDomain]] = defaultdict(list)
    if experience_ids:
        for link, service in session.exec(
            select(ExperienceService, Service)
            .join(Service, Service.id == ExperienceService.service_id)
            .where(col(ExperienceService.experience_id).in_(experience_ids))
            .order_by(Service.position)
        ):
            services[link.experience_id].append(service)
        for link, domain in session.exec(
            select(ExperienceDomain, LifeDomain)
            .join(LifeDomain, LifeDomain.id == ExperienceDomain.domain_id)
            .where(col(ExperienceDomain.experience_id).in_(experience_ids))
            .order_by(LifeDomain.position)
        ):
            domains[link.experience_id].append(domain)
    return services, domains


def answers_for(session: Session, experience_ids: list[int], *, checked_only: bool = False
                ) -> dict[int, list[tuple[ServiceAnswer, Service]]]:
    """The answers of these stories; ``checked_only`` for the public (a change claim shows once
    a moderator has checked it)."""
    answers: dict[int, list] = defaultdict(list)
    if experience_ids:
        query = (select(ServiceAnswer, Service).join(Service, Service.id == ServiceAnswer.service_id)
                 .where(col(ServiceAnswer.experience_id).in_(experience_ids)))
        if checked_only:
            query = query.where(ServiceAnswer.check_status == "checked")
        for answer, service in session.exec(query.order_by(ServiceAnswer.created_at, ServiceAnswer.id)):
            answers[answer.experience_id].append((answer, service))
    return answers


@dataclass
class Listed:
    experience: Experience
    services: list[Service]
    domains: list[LifeDomain]
    area: Area | None
    answers: list
    unit: Unit | None = None  # staff see it always; the public only when ``shows_unit``

    @property
    def shows_unit(self) -> bool:
        return self.unit is not None and unit_guard.names_unit(self.experience)


def listed(session: Session, experiences: list[Experience], with_answers: bool = False,
           checked_only: bool = False) -> list[Listed]:
    """Experiences with their tags, area (and answers: for the public, ``checked_only``) in a
    fixed number of queries."""
    ids = [e.id for e in experiences]
    services, domains = tags_for(session, ids)
    area_ids = {e.area_id for e in experiences if e.area_id}
    areas = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(area_ids)))} if area_ids else {}
    answers = answers_for(session, ids, checked_only=checked_only) if with_answers else {}
    unit_ids = {e.unit_id for e in experiences if e.unit_id}
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(unit_ids)))} if unit_ids else {}
    return [Listed(e, services[e.id], domains[e.id], areas.get(e.area_id), answers.get(e.id, []), units.get(e.unit_id))
            for e in experiences]


def with_tags(query, *, service: str | None = None, area: str | None = None, domain: str | None = None):
    """Narrow a query on Experience to those naming a service, area or domain (slugs)."""
    if service:
        query = query.where(col(Experience.id).in_(
            select(ExperienceService.experience_id).join(Service).where(Service.slug == service)))
    if domain:
        query = query.where(col(Experience.id).in_(
            select(ExperienceDomain.experience_id).join(LifeDomain).where(LifeDomain.slug == domain)))
    if area:
        query = query.where(col(Experience.area_id).in_(select(Area.id).where(Area.slug == area)))
    return query


@dataclass
class ExperienceView:
    """Everything the family (or a moderator) sees of one experience, in a fixed number of queries."""

    experience: Experience
    services: list[Service]
    domains: list[LifeDomain]
    area: Area | None
    follow_ups: list[FollowUp]
    answers: list[tuple[ServiceAnswer, Service]]
    has_contact: bool
    invited_by_email: bool = False
    unit: Unit | None = None


def load_view(*, session: Session, experience: Experience) -> ExperienceView:
    eid = experience.id
    item = listed(session, [experience], with_answers=True)[0]
    follow_ups = session.exec(select(FollowUp).where(FollowUp.experience_id == eid).order_by(FollowUp.created_at)).all()
    contact = session.exec(select(ExperienceContact).where(ExperienceContact.experience_id == eid)).first()
    return ExperienceView(experience, item.services, item.domains, item.area, list(follow_ups), item.answers, contact is not None,
                          bool(contact and contact.invite_me and contact.email), item.unit)


def stop_invitations(*, session: Session, experience: Experience) -> None:
    """The family no longer wants e-mail about meetings (from its story page, with its code)."""
    contact = session.exec(select(ExperienceContact).where(ExperienceContact.experience_id == experience.id)).first()
    if contact is not None:
        contact.invite_me = False
        session.add(contact)


# -- The family's own experience ----------------------------------------------------------

def add_follow_up(*, session: Session, experience: Experience, text: str, lang: str) -> FollowUp:
    follow_up = FollowUp(experience_id=experience.id, text=text.strip(), lang=lang, pii_kinds=pii_kinds_in(text))
    session.add(follow_up)
    session.flush()
    return follow_up


def delete_experience(*, session: Session, experience: Experience,
                      min_stories: int = unit_guard.MIN_STORIES_FLOOR) -> None:
    """Delete for good: the story, its tags, contact, follow-ups and answers (the
    database cascades); the figures no longer count it. Stories about the same unit are held
    again if fewer than ``min_stories`` about it are left (the small-unit guard)."""
    unit_id = experience.unit_id
    session.delete(experience)
    session.flush()
    unit_guard.settle(session=session, unit_id=unit_id, k=min_stories)


def purge_expired_contacts(*, session: Session, today: date) -> int:
    result = session.execute(sql_delete(ExperienceContact).where(ExperienceContact.delete_after <= today))
    return result.rowcount or 0


# -- Published stories: what anyone may read ---------------------------------------------------

def published_query():
    """Experiences the public may read: published with consent, not hidden, never a serious concern."""
    return select(Experience).where(
        Experience.status == "published",
        Experience.is_hidden == False,  # noqa: E712
        Experience.serious_concern == False,  # noqa: E712
        Experience.consent_publish == True,  # noqa: E712
    )


def published_stories(*, session: Session, service: str | None, area: str | None, domain: str | None,
                      page: int) -> tuple[list[Listed], bool]:
    """One page of published stories, newest decision first; and whether there is a next page."""
    query = with_tags(published_query(), service=service, area=area, domain=domain)
    rows = list(session.exec(query.order_by(col(Experience.decided_at).desc(), col(Experience.id).desc())
                             .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return listed(session, rows[:PAGE_SIZE], with_answers=True, checked_only=True), len(rows) > PAGE_SIZE


def published_story(*, session: Session, public_id: str) -> Experience | None:
    return session.exec(published_query().where(Experience.public_id == public_id)).first()


@dataclass(frozen=True)
class Reporter:
    """Who reports, as keyed hashes: of this browser (a random id in its session) and of its address."""

    browser_key: str
    address_key: str


def report_story(*, session: Session, experience: Experience, reason: str, comment: str, hide_at: int,
                 reporter: Reporter, now: datetime) -> bool:
    """Someone says a published story is wrong. It is hidden, until a moderator decides again,
    once ``hide_at`` different people have reported it: a report counts only from a browser
    and an address that have not been counted for this story yet, so one person alone can
    never take a story off the site. Returns True when this report hid the story."""
    if hide_at < 2:
        raise ValueError("hiding a story must take more than one person's reports")
    earlier = session.exec(select(StoryReport).where(StoryReport.experience_id == experience.id,
                                                     StoryReport.resolved == False)).all()  # noqa: E712
    counted = [r for r in earlier if r.counted]
    is_new_person = all(r.browser_key != reporter.browser_key and r.address_key != reporter.address_key for r in counted)
    session.add(StoryReport(experience_id=experience.id, reason=reason, comment=comment.strip(), created_at=now,
                            browser_key=reporter.browser_key, address_key=reporter.address_key, counted=is_new_person))
    experience.report_count += 1
    hides = is_new_person and len(counted) + 1 >= hide_at and not experience.is_hidden
    if hides:
        experience.is_hidden = True
    session.add(experience)
    return hides


class NotAChangeMade(ValueError):
    """The answer is not this story's, or no change was marked made on it."""


def tell_if_it_helped(*, session: Session, experience: Experience, answer_id: int, verdict: str, text: str, lang: str,
                      now: datetime) -> ChangeFeedback:
    """The family's answer to "did the change help?" (one per answer; a new one replaces it).
    A new or changed line of text waits for a moderator again."""
    answer = session.get(ServiceAnswer, answer_id)
    if (answer is None or answer.experience_id != experience.id or answer.change_status != "made"
            or not answer.is_checked or verdict not in VERDICTS):
        raise NotAChangeMade(answer_id)
    found = session.exec(select(ChangeFeedback).where(ChangeFeedback.answer_id == answer_id)).first()
    feedback = found or ChangeFeedback(experience_id=experience.id, answer_id=answer_id, verdict=verdict, created_at=now)
    text = text.strip()
    if found is None or text != feedback.text:
        feedback.text_status = "new" if text else "internal"
    feedback.verdict, feedback.text, feedback.text_lang, feedback.updated_at = verdict, text, lang, now
    session.add(feedback)
    session.flush()
    return feedback


def feedback_for(*, session: Session, experience: Experience) -> dict[int, ChangeFeedback]:
    """This story's answers to "did it help?", by the answer they are about."""
    return {f.answer_id: f for f in session.exec(select(ChangeFeedback).where(ChangeFeedback.experience_id == experience.id))}
