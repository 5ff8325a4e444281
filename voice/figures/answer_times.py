"""How fast services answer published stories: per service and quarter, working days from a
story's publication to that service's first answer (``voice.workdays``), and whether that was
within the service's target (``Service.answer_days``).

Each (story, service it names) counts once, in the quarter the story was published (its
decision, in Oslo time), so the services add up to the whole. Frozen into
``AnswerTimeSnapshot`` when the quarter is published, like every figure: a story still
unanswered then counts as "not within the target" once its deadline had passed, and not at all
while it had not (the answer may still come in time). Computed in Python from one query per
quarter, since working days need the holiday calendar.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, select
from sqlmodel import Session

from ..clock import oslo_date
from ..experiences.models import Experience, ExperienceService, ServiceAnswer
from ..reference.models import Service
from ..workdays import due_date, working_days_between
from .models import AnswerTimeSnapshot
from .periods import Period

NOT_ANSWERED = -1  # ``days`` of a story whose deadline passed without an answer
MAX_DAYS = 60  # 60 means 60 or more
_e, _es, _sa = Experience.__table__, ExperienceService.__table__, ServiceAnswer.__table__
_s, _ats = Service.__table__, AnswerTimeSnapshot.__table__


@dataclass
class AnswerTimes:
    """Raw numbers of one service (or all) in one or more quarters. Never publish directly."""

    days: Counter = field(default_factory=Counter)  # working days -> stories answered in that many
    due: int = 0  # stories whose deadline has passed, or that were answered
    in_time: int = 0  # of which answered within the target

    def __add__(self, other: AnswerTimes) -> AnswerTimes:
        return AnswerTimes(self.days + other.days, self.due + other.due, self.in_time + other.in_time)

    @property
    def answered(self) -> int:
        return sum(self.days.values())

    def median_counts(self) -> list[int]:
        """How many were answered in 0, 1, ..., MAX_DAYS working days (for ``median_of_counts``)."""
        return [self.days.get(d, 0) for d in range(MAX_DAYS + 1)]


def live(*, session: Session, quarter: Period, now: datetime) -> dict[tuple[int, int], tuple[int, int]]:
    """(service id, days) -> (stories, of which in time) for the stories published in the quarter."""
    first = (select(_sa.c.experience_id, _sa.c.service_id, func.min(_sa.c.created_at).label("at"))
             .group_by(_sa.c.experience_id, _sa.c.service_id).subquery("first_answer"))
    rows = session.execute(
        select(_e.c.decided_at, _s.c.id, _s.c.answer_days, first.c.at)
        .select_from(_e.join(_es, _es.c.experience_id == _e.c.id).join(_s, _s.c.id == _es.c.service_id)
                     .outerjoin(first, and_(first.c.experience_id == _e.c.id, first.c.service_id == _s.c.id)))
        .where(_e.c.status == "published", _e.c.decided_at >= quarter.start_utc, _e.c.decided_at < quarter.end_utc))
    today = oslo_date(now)
    result: Counter = Counter()
    on_time: Counter = Counter()
    for decided_at, service_id, target, answered_at in rows:
        published = oslo_date(decided_at)
        if answered_at is None:
            if due_date(published, target) < today:
                result[(service_id, NOT_ANSWERED)] += 1
            continue
        days = min(working_days_between(published, oslo_date(answered_at)), MAX_DAYS)
        result[(service_id, days)] += 1
        on_time[(service_id, days)] += days <= target
    return {key: (n, on_time[key]) for key, n in result.items()}


def snapshot(*, session: Session, quarter: Period, key: int, now: datetime) -> None:
    session.execute(delete(_ats).where(_ats.c.quarter == key))
    rows = [{"quarter": key, "service_id": service_id, "days": days, "stories": n, "in_time": k}
            for (service_id, days), (n, k) in sorted(live(session=session, quarter=quarter, now=now).items())]
    if rows:
        session.execute(insert(_ats), rows)


def published(*, session: Session, keys: list[int]) -> dict[int, dict[int, AnswerTimes]]:
    """Per quarter key, per service id: the frozen answer times."""
    result: dict[int, dict[int, AnswerTimes]] = {key: {} for key in keys}
    for row in session.execute(select(_ats).where(_ats.c.quarter.in_(keys))):
        times = result[row.quarter].setdefault(row.service_id, AnswerTimes())
        times.due += row.stories
        times.in_time += row.in_time
        if row.days != NOT_ANSWERED:
            times.days[row.days] += row.stories
    return result
