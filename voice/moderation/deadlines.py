"""Answer deadlines: which published stories a service has not answered within its target
(``Service.answer_days`` working days, counted by ``voice.workdays`` from the day the story was
published). Plain functions; no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, func
from sqlmodel import Session, col, select

from ..clock import OSLO, oslo_date
from ..experiences.models import Experience, ExperienceService, ServiceAnswer
from ..reference.models import Service
from ..workdays import due_date, working_days_between

DEFAULT_ANSWER_DAYS = 10
MAX_DAYS_COUNTED = 60  # answer times above this are counted as "60 or more"


@dataclass(frozen=True)
class Overdue:
    experience: Experience
    service: Service
    published: date
    due: date
    working_days: int  # since publication, today included


def overdue(*, session: Session, today: date, limit: int | None = 500) -> list[Overdue]:
    """Published stories that a service they name has not answered within its target, oldest
    first (at most ``limit``; None for all, as the counts need). Stories marked as a serious
    concern are never published, so never here."""
    # A target of N working days is at least N calendar days: only older stories can be late.
    fewest = session.exec(select(func.min(Service.answer_days))).one() or DEFAULT_ANSWER_DAYS
    cutoff = datetime.combine(today - timedelta(days=fewest), time.min, OSLO)
    answered = exists().where(and_(ServiceAnswer.experience_id == ExperienceService.experience_id,
                                   ServiceAnswer.service_id == ExperienceService.service_id))
    rows = session.exec(
        select(Experience, Service)
        .join(ExperienceService, ExperienceService.experience_id == Experience.id)
        .join(Service, Service.id == ExperienceService.service_id)
        .where(Experience.status == "published", col(Experience.decided_at).is_not(None),
               Experience.decided_at < cutoff, ~answered)
        .order_by(col(Experience.decided_at), col(Experience.id), col(Service.position))
    ).all()
    result = []
    for experience, service in rows:
        published = oslo_date(experience.decided_at)
        due = due_date(published, service.answer_days)
        if due < today:
            result.append(Overdue(experience, service, published, due, working_days_between(published, today)))
            if limit is not None and len(result) >= limit:
                break
    return result


def overdue_by_service(items: list[Overdue]) -> list[tuple[Service, int]]:
    """How many are overdue per service, the service with most first."""
    counts: dict[int, tuple[Service, int]] = {}
    for item in items:
        service, n = counts.get(item.service.id, (item.service, 0))
        counts[item.service.id] = (service, n + 1)
    return sorted(counts.values(), key=lambda pair: (-pair[1], pair[0].position, pair[0].id))
