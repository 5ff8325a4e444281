"""The figures behind the dashboard, as raw tallies computed by the database.

Every function here runs GROUP BY statements and returns plain numbers; nothing
is published from here (``tables`` applies disclosure control). Rows are never
loaded into Python: only one row per group comes back.

Which experiences count: only moderated ones (status ``published`` or
``internal``), never ``new`` or ``rejected``.

Periods and time zones. A period (month, quarter, year) is a calendar period in
Trondheim (Europe/Oslo). Its start is computed in Python as local midnight on its
first day and converted to UTC with zoneinfo, so summer time is always right;
SQL never does time-zone arithmetic (SQLite has none), so the statements are the
same on SQLite and PostgreSQL.

Where the experience figures come from: the monthly tally ``experience_tally``
(``models.py``), kept equal to the experiences by ``rollup`` on every moderation
decision. Every period is a whole number of Oslo months, so a view sums at most
a few thousand tally rows instead of scanning hundreds of thousands of
experiences (bench/figures_bench.py measures both). Co-creation is read from the
sessions directly: a few thousand a year.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from ..cocreation.models import CoSession, Signup
from ..experiences.models import EXPLAINED_MAX, Experience
from . import rollup
from .models import MEASURES, ExperienceTally
from .periods import (  # noqa: F401  (the figures' public names)
    CHANGE_STATUSES_COUNTED,
    MODERATED,
    MONTHS_PER,
    OSLO,
    PERIOD_TYPES,
    USEFUL_FROM,
    Period,
    count_if,
    periods_between,
)

# The monthly tally, kept by the experiences' write hook (voice/experiences/service.py)
# and checked or rebuilt by `flask voice figures`.
tally_contribution = rollup.contribution
tally_add = rollup.add_difference
tally_lock = rollup.lock
rebuild_tally = rollup.rebuild
tally_differences = rollup.differences
fill_tally_if_empty = rollup.fill_if_empty

_e = Experience.__table__
_t = ExperienceTally.__table__
ANY = 0  # in the tally: every service / every domain; area 0 is "area not given"
_cs = CoSession.__table__
_su = Signup.__table__


@dataclass(frozen=True)
class Filters:
    """Ids of the reference rows chosen in the filters (None: all)."""

    service_id: int | None = None
    area_id: int | None = None
    domain_id: int | None = None


# --------------------------------------------------------------------------
# Tallies: raw numbers straight from the database
# --------------------------------------------------------------------------


@dataclass
class Tally:
    """Raw numbers for one group of moderated experiences. Never publish these directly."""

    experiences: int = 0
    useful_answers: int = 0  # usefulness given (not "don't know")
    useful: int = 0  # usefulness 4 or 5
    listened_answers: int = 0  # listened given
    listened: int = 0  # listened == "yes"
    explained: tuple[int, ...] = (0,) * (EXPLAINED_MAX + 1)  # how many said 0, 1, ..., 6 (6 = six or more)
    published: int = 0  # of which published (the base of the "answered" share)
    answered: int = 0  # published stories with an answer (by the group's service, for a service)
    answers: int = 0  # answers written (same rule)
    changes: int = 0  # answers marked "change planned" or "change made"

    def __add__(self, other: Tally) -> Tally:
        values = [a + b for a, b in zip(self.measures(), other.measures())]
        return Tally.from_measures(values)

    def measures(self) -> list[int]:
        """The values in the order of ``models.MEASURES``."""
        return [self.experiences, self.useful_answers, self.useful, self.listened_answers, self.listened,
                *self.explained, self.published, self.answered, self.answers, self.changes]

    @classmethod
    def from_measures(cls, values: list[int]) -> Tally:
        n = EXPLAINED_MAX + 1
        return cls(*values[:5], tuple(values[5:5 + n]), *values[5 + n:])

    @property
    def explained_answers(self) -> int:
        return sum(self.explained)

    @property
    def explained_median(self) -> float | None:
        return median_of_counts(self.explained)


def median_of_counts(counts: tuple[int, ...] | list[int]) -> float | None:
    """The median of values 0..len-1 given how often each occurs (the usual median:
    the middle value, or the mean of the two middle values). None when empty."""
    n = sum(counts)
    if n == 0:
        return None

    def value_at(position: int) -> int:  # 0-based position in sorted order
        seen = 0
        for value, count in enumerate(counts):
            seen += count
            if position < seen:
                return value
        raise AssertionError("position beyond the counts")

    return statistics.fmean((value_at((n - 1) // 2), value_at(n // 2)))


_BY = {"area": _t.c.area_id, "service": _t.c.service_id, "domain": _t.c.domain_id}


def _month_keys(period: Period) -> list[int]:
    first = period.first_day.year * 100 + period.first_day.month
    return [first + k for k in range(MONTHS_PER[period.kind])]


def tallies(*, session: Session, periods: list[Period], by: str, filters: Filters) -> dict[tuple[int, int | None], Tally]:
    """Tallies per (index of period, group id) for ``by`` in "area", "service" or
    "domain", over consecutive periods, with the other filters applied (the filter
    on ``by`` itself is not: the caller needs every group). "Area not given" is
    the group None. Groups without experiences are left out.

    One GROUP BY on the monthly tally (``rollup``): at most a few thousand small
    rows, whatever the number of experiences.
    """
    month_index = {key: index for index, period in enumerate(periods) for key in _month_keys(period)}
    conditions = [_t.c.month.between(min(month_index), max(month_index))]
    for name, wanted in (("service", filters.service_id), ("domain", filters.domain_id)):
        conditions.append(_BY[name] > ANY if name == by else _BY[name] == (wanted or ANY))
    if by != "area" and filters.area_id is not None:
        conditions.append(_t.c.area_id == filters.area_id)
    group = _BY[by]
    stmt = (
        select(_t.c.month, group, *(func.sum(_t.c[name]) for name in MEASURES))
        .where(*conditions)
        .group_by(_t.c.month, group)
    )
    result: dict[tuple[int, int | None], Tally] = {}
    for month, key, *values in session.execute(stmt):
        tally = Tally.from_measures([int(v or 0) for v in values])
        if not tally.experiences:
            continue
        key = None if by == "area" and key == ANY else int(key)
        index = month_index[int(month)]
        result[(index, key)] = result.get((index, key), Tally()) + tally
    return result


@dataclass
class CoTally:
    """Co-creation numbers for one (area, partner kind) cell."""

    sessions: int = 0  # sessions held: published and ended
    signups: int = 0  # confirmed sign-ups (participants and helpers)
    attendance_recorded: int = 0  # confirmed sign-ups whose attendance was marked
    attended: int = 0
    rated: int = 0  # confirmed sign-ups that rated the session
    useful: int = 0  # rated 4 or 5

    def __add__(self, other: CoTally) -> CoTally:
        return CoTally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def cocreation(*, session: Session, period: Period, now: datetime) -> dict[tuple[int | None, str], CoTally]:
    """Per (area id, organiser kind): sessions held in the period (published and ended,
    placed in the period by their start in Oslo time) and what their confirmed
    sign-ups did. Filters do not apply: every session of the period counts."""
    conditions = [
        _cs.c.status == "published",
        _cs.c.ends_at <= now,
        _cs.c.starts_at >= period.start_utc,
        _cs.c.starts_at < period.end_utc,
    ]
    held = select(_cs.c.id, _cs.c.area_id, _cs.c.organiser_kind).where(*conditions).subquery("held")
    sessions = {
        (row[0], row[1]): int(row[2])
        for row in session.execute(
            select(held.c.area_id, held.c.organiser_kind, func.count()).group_by(held.c.area_id, held.c.organiser_kind)
        )
    }
    signups_stmt = (
        select(
            held.c.area_id,
            held.c.organiser_kind,
            func.count(),
            func.count(_su.c.attended),
            count_if(_su.c.attended.is_(True)),
            func.count(_su.c.usefulness),
            count_if(_su.c.usefulness >= USEFUL_FROM),
        )
        .select_from(held.join(_su, _su.c.session_id == held.c.id))
        .where(_su.c.status == "confirmed")
        .group_by(held.c.area_id, held.c.organiser_kind)
    )
    result: dict[tuple[int | None, str], CoTally] = {key: CoTally(sessions=n) for key, n in sessions.items()}
    for row in session.execute(signups_stmt):
        tally = result.setdefault((row[0], row[1]), CoTally())
        tally.signups, tally.attendance_recorded, tally.attended, tally.rated, tally.useful = (int(v or 0) for v in row[2:])
    return result


def first_moderated_at(*, session: Session) -> datetime | None:
    """When the first moderated experience was told (where the period lists start).
    One index seek per status on ix_experience_figures_by_time (status, created_at, ...)."""
    firsts = [
        session.execute(select(_e.c.created_at).where(_e.c.status == status).order_by(_e.c.created_at).limit(1)).scalar()
        for status in MODERATED
    ]
    firsts = [value for value in firsts if value is not None]
    return min(firsts) if firsts else None
