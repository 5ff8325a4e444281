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
experiences (bench/metrics_bench.py measures both). Co-creation is read from the
sessions directly: a few thousand a year.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from ..cocreation.models import CoSession, Signup
from ..experiences.models import EXPLAINED_MAX, Experience
from .models import MEASURES, ExperienceTally

OSLO = ZoneInfo("Europe/Oslo")
MODERATED = ("published", "internal")
USEFUL_FROM = 4  # the two top steps of the 5-step scale
CHANGE_STATUSES_COUNTED = ("planned", "made")
PERIOD_TYPES = ("month", "quarter", "year")
_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}
YEAR_RANGE = (2000, 2100)

_e = Experience.__table__
_t = ExperienceTally.__table__
ANY = 0  # in the tally: every service / every domain; area 0 is "area not given"
_cs = CoSession.__table__
_su = Signup.__table__


# --------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, quarter or year in Europe/Oslo."""

    kind: str
    year: int
    number: int = 1  # month 1-12, quarter 1-4, 1 for a year

    def __post_init__(self) -> None:
        if self.kind not in PERIOD_TYPES:
            raise ValueError(f"unknown period type {self.kind!r}")
        if not 1 <= self.number <= _PER_YEAR[self.kind]:
            raise ValueError(f"no {self.kind} number {self.number}")

    @property
    def key(self) -> str:
        """Stable text form used in URLs and downloads: 2025-03, 2025-Q1, 2025."""
        if self.kind == "month":
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    @classmethod
    def parse(cls, kind: str, key: str) -> Period | None:
        """The period a key names, or None if the key is not one of this kind."""
        key = (key or "").strip().upper()
        try:
            if kind == "month" and len(key) == 7 and key[4] == "-":
                period = cls(kind, int(key[:4]), int(key[5:]))
            elif kind == "quarter" and len(key) == 7 and key[4:6] == "-Q":
                period = cls(kind, int(key[:4]), int(key[6:]))
            elif kind == "year" and len(key) == 4:
                period = cls(kind, int(key))
            else:
                return None
        except ValueError:
            return None
        return period if YEAR_RANGE[0] <= period.year <= YEAR_RANGE[1] else None

    @classmethod
    def containing(cls, kind: str, moment: datetime | date) -> Period:
        """The period of this kind that a UTC moment (or an Oslo calendar day) falls in."""
        day = moment.astimezone(OSLO).date() if isinstance(moment, datetime) else moment
        return cls(kind, day.year, (day.month - 1) // _MONTHS_PER[kind] + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, (self.number - 1) * _MONTHS_PER[self.kind] + 1, 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.next().first_day.toordinal() - 1)

    def shifted(self, steps: int) -> Period:
        per_year = _PER_YEAR[self.kind]
        index = self.year * per_year + (self.number - 1) + steps
        return Period(self.kind, index // per_year, index % per_year + 1)

    def next(self) -> Period:
        return self.shifted(1)

    def previous(self) -> Period:
        return self.shifted(-1)

    @property
    def start_utc(self) -> datetime:
        """Local midnight on the first day in Trondheim, as UTC."""
        return datetime.combine(self.first_day, time.min, OSLO).astimezone(timezone.utc)

    @property
    def end_utc(self) -> datetime:
        """Start of the next period (exclusive end)."""
        return self.next().start_utc

    def is_complete(self, now: datetime) -> bool:
        return now >= self.end_utc


def periods_between(first: Period, last: Period) -> list[Period]:
    result = []
    period = first
    while period <= last:
        result.append(period)
        period = period.next()
    return result


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


def count_if(condition):
    # count(*) FILTER (WHERE ...): on SQLite about twice as fast as sum(CASE ...); PostgreSQL has it too.
    return func.count().filter(condition)


_BY = {"area": _t.c.area_id, "service": _t.c.service_id, "domain": _t.c.domain_id}


def _month_keys(period: Period) -> list[int]:
    first = period.first_day.year * 100 + period.first_day.month
    return [first + k for k in range(_MONTHS_PER[period.kind])]


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
