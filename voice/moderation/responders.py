"""Those who answer for one service (the ``responder`` role): the published stories that name
their service, and one such story. They read only what was published (identifying details
removed), never a story waiting for moderation, hidden after reports, or kept internal.
Plain functions; no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists
from sqlmodel import Session, col, select

from ..clock import oslo_date
from ..experiences.models import Experience, ExperienceService, ServiceAnswer
from ..reference.models import Service
from ..workdays import due_date


@dataclass(frozen=True)
class ToAnswer:
    experience: Experience
    published: date
    due: date
    answered: bool

    def late(self, today: date) -> bool:
        return not self.answered and self.due < today


def _shown_for(service_id: int):
    names_it = exists().where(and_(ExperienceService.experience_id == Experience.id,
                                   ExperienceService.service_id == service_id))
    return and_(Experience.status == "published", Experience.is_hidden == False, names_it)  # noqa: E712


def stories(*, session: Session, service: Service, limit: int = 200) -> list[ToAnswer]:
    """The service's published stories: those without its answer first, oldest first (the
    ones most past the answer target at the top), then the answered ones, newest first."""
    answered = exists().where(and_(ServiceAnswer.experience_id == Experience.id,
                                   ServiceAnswer.service_id == service.id)).label("answered")
    rows = session.exec(
        select(Experience, answered).where(_shown_for(service.id))
        .order_by(answered, col(Experience.decided_at), col(Experience.id)).limit(limit)
    ).all()
    waiting = [row for row in rows if not row[1]]
    done = sorted((row for row in rows if row[1]), key=lambda row: row[0].decided_at or row[0].created_at, reverse=True)
    result = []
    for experience, is_answered in waiting + done:
        published = oslo_date(experience.decided_at or experience.created_at)
        result.append(ToAnswer(experience, published, due_date(published, service.answer_days), bool(is_answered)))
    return result


def story(*, session: Session, public_id: str, service_id: int) -> Experience | None:
    """One published story that names the service, or None."""
    return session.exec(select(Experience).where(Experience.public_id == public_id, _shown_for(service_id))).first()
