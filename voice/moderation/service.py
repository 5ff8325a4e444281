"""Staff read, redact, decide and answer; the public reads and reports."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, col, delete, select

from ..accounts.models import User
from ..db import utcnow
from ..experiences.models import (
    CHANGE_STATUSES,
    Experience,
    ExperienceDomain,
    ExperienceService,
    ServiceAnswer,
    StoryReport,
)
from ..metrics import rollup
from ..reference.models import Area, LifeDomain, Service

DECISIONS = ("published", "internal", "rejected")
PAGE_SIZE = 20


class DecisionError(ValueError):
    """A decision the rules do not allow (the message is a code for the form)."""


def can_see(user: User, experience: Experience) -> bool:
    return not experience.serious_concern or user.role == "admin" or user.handles_concerns


def _concern_filter(query, user: User):
    if user.role == "admin" or user.handles_concerns:
        return query
    return query.where(Experience.serious_concern == False)  # noqa: E712


def tags_for(session: Session, experience_ids: list[int]):
    """Services, domains and areas for many experiences in three queries (no N+1)."""
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


def answers_for(session: Session, experience_ids: list[int]) -> dict[int, list[tuple[ServiceAnswer, Service]]]:
    answers: dict[int, list] = defaultdict(list)
    if experience_ids:
        for answer, service in session.exec(
            select(ServiceAnswer, Service)
            .join(Service, Service.id == ServiceAnswer.service_id)
            .where(col(ServiceAnswer.experience_id).in_(experience_ids))
            .order_by(ServiceAnswer.created_at)
        ):
            answers[answer.experience_id].append((answer, service))
    return answers


@dataclass
class Listed:
    experience: Experience
    services: list[Service]
    domains: list[LifeDomain]
    area: Area | None
    answers: list


def _listed(session: Session, experiences: list[Experience], with_answers: bool = False) -> list[Listed]:
    ids = [e.id for e in experiences]
    services, domains = tags_for(session, ids)
    area_ids = {e.area_id for e in experiences if e.area_id}
    areas = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(area_ids)))} if area_ids else {}
    answers = answers_for(session, ids) if with_answers else {}
    return [Listed(e, services[e.id], domains[e.id], areas.get(e.area_id), answers.get(e.id, [])) for e in experiences]


def queue(*, session: Session, user: User, limit: int = 100) -> list[Listed]:
    """New stories and reported ones, most serious first, then newest."""
    query = select(Experience).where((Experience.status == "new") | (Experience.is_hidden == True))  # noqa: E712
    query = _concern_filter(query, user)
    query = query.order_by(
        col(Experience.serious_concern).desc(),
        col(Experience.is_hidden).desc(),
        case((Experience.pii_kinds != "", 1), else_=0).desc(),
        col(Experience.created_at).desc(),
    ).limit(limit)
    return _listed(session, list(session.exec(query)))


def waiting_count(*, session: Session, user: User) -> int:
    query = select(func.count()).select_from(Experience).where(
        (Experience.status == "new") | (Experience.is_hidden == True)  # noqa: E712
    )
    return session.exec(_concern_filter(query, user)).one()


def get_for(*, session: Session, public_id: str, user: User) -> Experience | None:
    experience = session.exec(select(Experience).where(Experience.public_id == public_id)).first()
    if experience is None or not can_see(user, experience):
        return None
    return experience


def set_tags(*, session: Session, experience: Experience, service_slugs: list[str], area_slug: str | None, domain_slugs: list[str]) -> None:
    services = session.exec(select(Service).where(col(Service.slug).in_(service_slugs))).all()
    if not services:
        raise DecisionError("no_service")
    domains = session.exec(select(LifeDomain).where(col(LifeDomain.slug).in_(domain_slugs or []))).all()
    area = session.exec(select(Area).where(Area.slug == area_slug)).first() if area_slug else None
    with rollup.tracked(session, experience.id):
        session.execute(delete(ExperienceService).where(ExperienceService.experience_id == experience.id))
        session.execute(delete(ExperienceDomain).where(ExperienceDomain.experience_id == experience.id))
        session.add_all(ExperienceService(experience_id=experience.id, service_id=s.id) for s in services)
        session.add_all(ExperienceDomain(experience_id=experience.id, domain_id=d.id) for d in domains)
        experience.area_id = area.id if area else None
        session.add(experience)


def decide(*, session: Session, experience: Experience, moderator: User, decision: str, published_story: str,
           reject_reason: str = "", serious_concern: bool = False, translation: str = "", translation_lang: str = "") -> None:
    if decision not in DECISIONS:
        raise DecisionError("unknown_decision")
    if decision == "published" and not experience.consent_publish:
        raise DecisionError("no_consent")
    if decision == "published" and serious_concern:
        raise DecisionError("concern_not_public")
    if decision == "rejected" and not reject_reason.strip():
        raise DecisionError("reason_required")
    with rollup.tracked(session, experience.id):
        experience.status = decision
        experience.published_story = published_story.strip()
        experience.reject_reason = reject_reason.strip() if decision == "rejected" else ""
        experience.serious_concern = serious_concern
        experience.translation = translation.strip()
        experience.translation_lang = translation_lang if translation.strip() else ""
        experience.decided_at = utcnow()
        experience.decided_by_id = moderator.id
        experience.is_hidden = False
        session.add(experience)
    session.execute(
        StoryReport.__table__.update().where(StoryReport.experience_id == experience.id).values(resolved=True)
    )


def tag_and_decide(*, session: Session, experience: Experience, moderator: User, service_slugs: list[str],
                    area_slug: str | None, domain_slugs: list[str], **decision) -> None:
    """New tags and a decision together, as the moderator sends them: the figures
    change once, for both (``decision``: the arguments of ``decide``)."""
    with rollup.tracked(session, experience.id):
        set_tags(session=session, experience=experience, service_slugs=service_slugs, area_slug=area_slug,
                 domain_slugs=domain_slugs)
        decide(session=session, experience=experience, moderator=moderator, **decision)


def answer(*, session: Session, experience: Experience, moderator: User, service_id: int, text: str, change_status: str, lang: str) -> ServiceAnswer:
    if change_status not in CHANGE_STATUSES:
        raise DecisionError("unknown_change")
    linked = session.exec(
        select(ExperienceService).where(ExperienceService.experience_id == experience.id, ExperienceService.service_id == service_id)
    ).first()
    if linked is None:
        raise DecisionError("service_not_concerned")
    reply = ServiceAnswer(experience_id=experience.id, service_id=service_id, text=text.strip(), change_status=change_status, lang=lang, author_id=moderator.id)
    with rollup.tracked(session, experience.id):
        session.add(reply)
    return reply


# -- Public side ---------------------------------------------------------------------

def _public_query():
    return select(Experience).where(
        Experience.status == "published",
        Experience.is_hidden == False,  # noqa: E712
        Experience.serious_concern == False,  # noqa: E712
        Experience.consent_publish == True,  # noqa: E712
    )


def public_stories(*, session: Session, service: str | None, area: str | None, domain: str | None, page: int) -> tuple[list[Listed], bool]:
    query = _public_query()
    if service:
        query = query.where(col(Experience.id).in_(
            select(ExperienceService.experience_id).join(Service).where(Service.slug == service)))
    if domain:
        query = query.where(col(Experience.id).in_(
            select(ExperienceDomain.experience_id).join(LifeDomain).where(LifeDomain.slug == domain)))
    if area:
        query = query.where(col(Experience.area_id).in_(select(Area.id).where(Area.slug == area)))
    rows = list(session.exec(query.order_by(col(Experience.decided_at).desc(), col(Experience.id).desc())
                             .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return _listed(session, rows[:PAGE_SIZE], with_answers=True), len(rows) > PAGE_SIZE


def public_story(*, session: Session, public_id: str) -> Experience | None:
    return session.exec(_public_query().where(Experience.public_id == public_id)).first()


def report(*, session: Session, experience: Experience, reason: str, comment: str, hide_at: int) -> None:
    session.add(StoryReport(experience_id=experience.id, reason=reason, comment=comment.strip()))
    experience.report_count += 1
    unresolved = session.exec(
        select(func.count()).select_from(StoryReport).where(StoryReport.experience_id == experience.id, StoryReport.resolved == False)  # noqa: E712
    ).one()  # autoflush: includes the report just added
    if unresolved >= hide_at:
        experience.is_hidden = True
    session.add(experience)


def reports_for(*, session: Session, experience: Experience) -> list[StoryReport]:
    return list(session.exec(select(StoryReport).where(StoryReport.experience_id == experience.id).order_by(StoryReport.created_at)))


def purge_originals(*, session: Session, now: datetime, retention_days: int) -> int:
    """Delete the family's original text of decided stories after the retention period."""
    cutoff = now - timedelta(days=retention_days)
    rows = session.exec(
        select(Experience).where(col(Experience.decided_at).is_not(None), Experience.decided_at < cutoff,
                                 col(Experience.original_deleted_at).is_(None))
    ).all()
    for experience in rows:
        experience.story = ""
        experience.original_deleted_at = now
        session.add(experience)
    return len(rows)


def moderators_for_digest(*, session: Session) -> list[User]:
    return list(session.exec(select(User).where(User.wants_digest == True, User.is_active == True,  # noqa: E712
                                                col(User.role).in_(("moderator", "admin")))))


def serious_waiting_count(*, session: Session, user: User) -> int:
    if not (user.role == "admin" or user.handles_concerns):
        return 0
    return session.exec(
        select(func.count()).select_from(Experience).where(Experience.status == "new", Experience.serious_concern == True)  # noqa: E712
    ).one()
