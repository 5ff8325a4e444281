"""Staff read, redact, tag, decide and answer. Plain functions, explicit inputs."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..accounts.service import active_staff, staff_for_digest
from ..experiences import unit_guard
from ..experiences.models import (
    CHANGE_STATUSES,
    CRITICALITY_MAX,
    ChangeFeedback,
    Experience,
    ExperienceDomain,
    ExperienceService,
    ServiceAnswer,
    StoryReport,
)
from ..experiences.service import Listed, listed
from ..links import LinkBuilder
from ..locales import translator as translator_for
from ..mail.service import queue_mail
from ..reference.models import Area, LifeDomain, Service, Unit
from ..reference.service import Names
from . import deadlines

DECISIONS = ("published", "internal", "rejected")


class DecisionError(ValueError):
    """A decision the rules do not allow (the message is a code for the form)."""


def can_see(user: User, experience: Experience) -> bool:
    return not experience.serious_concern or user.may_see_concerns


def _concern_filter(query, user: User):
    if user.may_see_concerns:
        return query
    return query.where(Experience.serious_concern == False)  # noqa: E712


def _waiting():
    return (Experience.status == "new") | (Experience.is_hidden == True)  # noqa: E712


def queue(*, session: Session, user: User, limit: int = 100) -> list[Listed]:
    """New stories and reported ones, most serious first (a serious concern, then by the
    criticality a moderator set), then newest."""
    query = _concern_filter(select(Experience).where(_waiting()), user)
    query = query.order_by(
        col(Experience.serious_concern).desc(),
        col(Experience.criticality).desc(),
        col(Experience.is_hidden).desc(),
        case((Experience.pii_kinds != "", 1), else_=0).desc(),
        col(Experience.created_at).desc(),
    ).limit(limit)
    return listed(session, list(session.exec(query)))


def waiting_count(*, session: Session, user: User) -> int:
    query = select(func.count()).select_from(Experience).where(_waiting())
    return session.exec(_concern_filter(query, user)).one()


def get_for(*, session: Session, public_id: str, user: User) -> Experience | None:
    experience = session.exec(select(Experience).where(Experience.public_id == public_id)).first()
    if experience is None or not can_see(user, experience):
        return None
    return experience


def set_tags(*, session: Session, experience: Experience, service_slugs: list[str], area_slug: str | None, domain_slugs: list[str],
             unit_slug: str | None = None) -> None:
    """The story's services, area and life domains (and its unit: ``unit_slug`` None keeps it,
    "" clears it)."""
    services = session.exec(select(Service).where(col(Service.slug).in_(service_slugs))).all()
    if not services:
        raise DecisionError("no_service")
    domains = session.exec(select(LifeDomain).where(col(LifeDomain.slug).in_(domain_slugs or []))).all()
    area = session.exec(select(Area).where(Area.slug == area_slug)).first() if area_slug else None
    # Kept links stay, others go (delete-orphan), new ones are added: the figures follow.
    kept_services = {link.service_id: link for link in experience.service_links}
    experience.service_links = [kept_services.get(s.id) or ExperienceService(service_id=s.id) for s in services]
    kept_domains = {link.domain_id: link for link in experience.domain_links}
    experience.domain_links = [kept_domains.get(d.id) or ExperienceDomain(domain_id=d.id) for d in domains]
    experience.area_id = area.id if area else None
    if unit_slug is not None:
        unit = session.exec(select(Unit).where(Unit.slug == unit_slug)).first() if unit_slug else None
        experience.unit_id = unit.id if unit else None
    session.add(experience)


def decide(*, session: Session, experience: Experience, moderator: User, decision: str, published_story: str, now: datetime,
           reject_reason: str = "", serious_concern: bool = False, translation: str = "", translation_lang: str = "",
           unit_removed: bool | None = None, min_stories: int = unit_guard.MIN_STORIES_FLOOR,
           previous_unit_id: int | None = None) -> None:
    """Publish, keep internal or reject a story. A story to publish that names a unit (its tag,
    or a unit's name in the text) waits, *held*, until ``min_stories`` stories about the unit have
    been decided, unless ``unit_removed``: then it is published with the unit's name taken out.
    The names of other units in the text are always taken out."""
    if decision not in DECISIONS:
        raise DecisionError("unknown_decision")
    if decision == "published" and not experience.consent_publish:
        raise DecisionError("no_consent")
    if decision == "published" and serious_concern:
        raise DecisionError("concern_not_public")
    if decision == "rejected" and not reject_reason.strip():
        raise DecisionError("reason_required")
    if previous_unit_id is None:
        previous_unit_id = experience.unit_id
    if unit_removed is not None:
        experience.unit_removed = unit_removed
    units = unit_guard.active_units(session=session)
    named = unit_guard.units_named(published_story + "\n" + translation, units)
    if experience.unit_id is None and named:
        experience.unit_id = named[0].id
    taken_out = [unit for unit in named if unit.id != experience.unit_id or experience.unit_removed]
    experience.published_story = unit_guard.remove_names(published_story.strip(), taken_out)
    experience.translation = unit_guard.remove_names(translation.strip(), taken_out)
    experience.status = (unit_guard.publish_status(session=session, experience=experience, k=min_stories)
                         if decision == "published" else decision)
    experience.reject_reason = reject_reason.strip() if decision == "rejected" else ""
    experience.serious_concern = serious_concern
    experience.translation_lang = translation_lang if translation.strip() else ""
    experience.decided_at = now
    experience.decided_by_id = moderator.id
    experience.is_hidden = False
    session.add(experience)
    session.execute(
        StoryReport.__table__.update().where(StoryReport.experience_id == experience.id).values(resolved=True)
    )
    for unit_id in {previous_unit_id, experience.unit_id} - {None}:
        unit_guard.settle(session=session, unit_id=unit_id, k=min_stories)


def tag_and_decide(*, session: Session, experience: Experience, moderator: User, service_slugs: list[str],
                    area_slug: str | None, domain_slugs: list[str], unit_slug: str | None = None, **decision) -> None:
    """New tags and a decision together, as the moderator sends them (``decision``:
    the arguments of ``decide``). The figures follow by themselves."""
    previous_unit_id = experience.unit_id
    set_tags(session=session, experience=experience, service_slugs=service_slugs, area_slug=area_slug,
             domain_slugs=domain_slugs, unit_slug=unit_slug)
    decide(session=session, experience=experience, moderator=moderator, previous_unit_id=previous_unit_id, **decision)


def trusted(*, session: Session, author: User, after: int) -> bool:
    """Whether this account's plain answers may show without a check: each of its answers another
    moderator confirmed counts one, each claim they could not confirm takes one away, and
    ``after`` (ANSWER_TRUST_AFTER) is needed. A change claim is always checked."""
    if after <= 0:
        return True
    good, bad = session.exec(select(
        func.coalesce(func.sum(case((ServiceAnswer.check_verdict == "approve", 1), else_=0)), 0),
        func.coalesce(func.sum(case((ServiceAnswer.check_verdict == "without_mark", 1), else_=0)), 0),
    ).where(ServiceAnswer.author_id == author.id, ServiceAnswer.checked_by_id != author.id)).one()
    return good - bad >= after


def answer(*, session: Session, experience: Experience, moderator: User, service_id: int, text: str, change_status: str, lang: str,
           trust_after: int = 0) -> ServiceAnswer:
    """The service's answer, written by ``moderator``. A change claim waits for another moderator's
    check; so does a plain answer unless the writer is ``trusted`` (``trust_after``). A
    responder answers only for their own service."""
    if change_status not in CHANGE_STATUSES:
        raise DecisionError("unknown_change")
    if not moderator.answers_for(service_id):
        raise DecisionError("not_their_service")
    linked = session.exec(
        select(ExperienceService).where(ExperienceService.experience_id == experience.id, ExperienceService.service_id == service_id)
    ).first()
    if linked is None:
        raise DecisionError("service_not_concerned")
    reply = ServiceAnswer(experience_id=experience.id, service_id=service_id, text=text.strip(), change_status=change_status,
                          lang=lang, author_id=moderator.id)
    plain_ok = change_status == "none" and trusted(session=session, author=moderator, after=trust_after)
    reply.check_status = "checked" if plain_ok else "waiting"
    session.add(reply)
    session.flush()
    return reply


CHECK_DECISIONS = ("approve", "without_mark")


def check_answer(*, session: Session, answer: ServiceAnswer, moderator: User, decision: str, now: datetime) -> None:
    """A moderator who did not write the answer checks its change claim: ``approve`` shows it as
    written, ``without_mark`` shows the answer without the claim (the change could not be confirmed)."""
    if decision not in CHECK_DECISIONS:
        raise DecisionError("unknown_check")
    if answer.check_status != "waiting":
        raise DecisionError("not_waiting")
    if answer.author_id is not None and answer.author_id == moderator.id:
        raise DecisionError("own_answer")
    if decision == "without_mark":
        answer.change_status = "none"
    answer.check_status, answer.checked_by_id, answer.checked_at = "checked", moderator.id, now
    answer.check_verdict = decision
    session.add(answer)


def waiting_claims(*, session: Session, user: User, limit: int = 50) -> list[tuple[ServiceAnswer, Experience, Service]]:
    """Answers that wait for a check, a change claim or a plain answer from an account without a
    record yet (the ones this user wrote included, marked
    in the page; stories this user may not see left out), oldest first. Results posted on a theme
    are checked with the theme, not here."""
    query = _concern_filter(
        select(ServiceAnswer, Experience, Service).join(Experience, Experience.id == ServiceAnswer.experience_id)
        .join(Service, Service.id == ServiceAnswer.service_id)
        .where(ServiceAnswer.check_status == "waiting", col(ServiceAnswer.result_id).is_(None)), user)
    return list(session.exec(query.order_by(ServiceAnswer.created_at, ServiceAnswer.id).limit(limit)))


def set_criticality(*, session: Session, experience: Experience, criticality: int) -> None:
    """How serious the story is, 0 (none) to 5 (very serious): private, orders the queue."""
    if not 0 <= criticality <= CRITICALITY_MAX:
        raise DecisionError("unknown_criticality")
    experience.criticality = criticality
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


SERIOUS_FROM = 4  # the digest counts the stories at criticality 4 or 5 apart


def send_digests(*, session: Session, links: LinkBuilder, today: date, locale: str = "nb") -> int:
    """Queue the daily e-mail to every moderator who asked for it and has stories waiting or
    answers overdue; return how many were queued. Only counts and service names, never what a
    family wrote: the most serious first, then the services past their answer deadline."""
    late = deadlines.overdue_by_service(deadlines.overdue(session=session, today=today, limit=None))
    names = Names(session=session, translator=translator_for(locale))
    queued = 0
    for user in staff_for_digest(session=session):
        waiting = waiting_count(session=session, user=user)
        if not waiting and not late:
            continue
        queue_mail(session=session, to=user.email, template="digest", locale=locale, context={
            "name": user.display_name, "waiting": waiting,
            "serious": serious_waiting_count(session=session, user=user),
            "critical": critical_waiting_count(session=session, user=user),
            "overdue": [(names(service), count) for service, count in late],
            "link": links("moderation.queue"), "overdue_link": links("moderation.overdue")})
        queued += 1
    return queued


def critical_waiting_count(*, session: Session, user: User) -> int:
    """Waiting stories a moderator judged serious (criticality 4 or 5), concerns aside."""
    query = select(func.count()).select_from(Experience).where(
        _waiting(), Experience.criticality >= SERIOUS_FROM, Experience.serious_concern == False)  # noqa: E712
    return session.exec(_concern_filter(query, user)).one()


def serious_waiting_count(*, session: Session, user: User) -> int:
    if not user.may_see_concerns:
        return 0
    return session.exec(
        select(func.count()).select_from(Experience).where(Experience.status == "new", Experience.serious_concern == True)  # noqa: E712
    ).one()


def tell_about_hidden_story(*, session: Session, experience: Experience, links: LinkBuilder, locale: str = "nb") -> int:
    """A published story was taken off the site by reports: tell every moderator who may
    read it at once, by e-mail (the queue shows it first too). Returns how many were told."""
    told = 0
    reporters = session.exec(select(func.count()).select_from(StoryReport).where(
        StoryReport.experience_id == experience.id, StoryReport.resolved == False, StoryReport.counted == True)).one()  # noqa: E712
    for user in active_staff(session=session):
        if can_see(user, experience):
            queue_mail(session=session, to=user.email, template="story_hidden", locale=locale, context={
                "name": user.display_name, "count": reporters,
                "link": links("moderation.experience", public_id=experience.public_id)})
            told += 1
    return told


def waiting_feedback(*, session: Session, user: User, limit: int = 50) -> list[tuple[ChangeFeedback, Experience]]:
    """Families' lines about whether a change helped, not read yet (never of a story this user may not see)."""
    query = _concern_filter(select(ChangeFeedback, Experience).join(Experience, Experience.id == ChangeFeedback.experience_id)
                            .where(ChangeFeedback.text_status == "new"), user)
    return list(session.exec(query.order_by(ChangeFeedback.updated_at).limit(limit)))


def decide_feedback(*, session: Session, feedback: ChangeFeedback, decision: str) -> None:
    """Publish the line (with the story's theme), keep it internal, or reject it."""
    if decision not in ("published", "internal", "rejected"):
        raise ValueError(decision)
    feedback.text_status = decision
    session.add(feedback)


@dataclass(frozen=True)
class Workload:
    """The moderators' work for one service (``service`` None: in all)."""

    service: Service | None
    waiting: int  # stories not read yet (or hidden after reports) that name the service
    overdue: int  # published stories the service has not answered within its target
    held: int  # stories to publish that the small-unit guard holds back
    decision_days: float | None  # median days from a story to its decision, the last DECISION_WINDOW_DAYS


DECISION_WINDOW_DAYS = 90


def workload(*, session: Session, user: User, today: date, now: datetime) -> list[Workload]:
    """Per service, then in all: waiting, overdue and how long a decision takes (stories this
    user may not see left out). A fixed number of queries, whatever the number of services."""
    services = list(session.exec(select(Service).where(Service.is_active == True).order_by(Service.position, Service.id)))  # noqa: E712
    waiting = dict(session.exec(_concern_filter(
        select(ExperienceService.service_id, func.count()).join(Experience, Experience.id == ExperienceService.experience_id)
        .where(_waiting()).group_by(ExperienceService.service_id), user)).all())
    late = {s.id: n for s, n in deadlines.overdue_by_service(deadlines.overdue(session=session, today=today, limit=None))}
    since = now - timedelta(days=DECISION_WINDOW_DAYS)
    spans: dict[int | None, list[float]] = {None: []}
    seen: set[int] = set()
    for experience_id, service_id, told, decided in session.exec(_concern_filter(
            select(Experience.id, ExperienceService.service_id, Experience.created_at, Experience.decided_at)
            .join(ExperienceService, ExperienceService.experience_id == Experience.id)
            .where(col(Experience.decided_at).is_not(None), Experience.decided_at >= since, Experience.status != "new"),
            user)):
        days = (decided - told).total_seconds() / 86400
        spans.setdefault(service_id, []).append(days)
        if experience_id not in seen:
            seen.add(experience_id)
            spans[None].append(days)

    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 1) if values else None

    total_waiting = waiting_count(session=session, user=user)
    held_by_service = unit_guard.held_count_by_service(session=session)
    total_held = session.exec(select(func.count()).select_from(Experience).where(Experience.status == "held")).one()
    rows = [Workload(s, waiting.get(s.id, 0), late.get(s.id, 0), held_by_service.get(s.id, 0), median(spans.get(s.id, [])))
            for s in services]
    return [*rows, Workload(None, total_waiting, sum(late.values()), total_held, median(spans[None]))]


def held(*, session: Session, user: User, limit: int = 50) -> list[Listed]:
    """Stories the small-unit guard holds back, oldest decision first."""
    query = _concern_filter(select(Experience).where(Experience.status == "held"), user)
    return listed(session, list(session.exec(query.order_by(Experience.decided_at, Experience.id).limit(limit))))
