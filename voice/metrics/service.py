"""The figures behind the dashboard, as raw tallies computed by the database.

Every function here runs a handful of GROUP BY statements and returns plain
numbers; nothing is published from here (``tables`` applies disclosure control).
Rows are never loaded into Python one by one.

Which experiences count: only moderated ones (status ``published`` or
``internal``), never ``new`` or ``rejected``.

Periods and time zones. A period (month, quarter, year) is a period of the
calendar in Trondheim (Europe/Oslo). Its start is computed in Python as local
midnight on its first day and converted to UTC with zoneinfo, so summer time is
always right. The database only ever compares the stored UTC ``created_at``
with these UTC boundaries:

* one period: ``created_at >= start AND created_at < end``;
* several periods at once (the trend): ``CASE WHEN created_at < b1 THEN 0
  WHEN created_at < b2 THEN 1 ... END`` over the same boundaries.

That SQL is identical on SQLite and PostgreSQL (no time-zone functions in the
database, which SQLite lacks), and the range predicate lets both use the index
``ix_experience_figures`` (status, created_at, area_id, usefulness, listened,
services_explained, id), which covers every column the tallies read, so the
tallies are index-only scans.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal_column, select
from sqlmodel import Session

from ..cocreation.models import CoSession, SessionService, Signup
from ..experiences.models import EXPLAINED_MAX, Experience, ExperienceDomain, ExperienceService, ServiceAnswer

OSLO = ZoneInfo("Europe/Oslo")
MODERATED = ("published", "internal")
USEFUL_FROM = 4  # the two top steps of the 5-step scale
CHANGE_STATUSES_COUNTED = ("planned", "made")
PERIOD_TYPES = ("month", "quarter", "year")
_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}
YEAR_RANGE = (2000, 2100)

_e = Experience.__table__
_es = ExperienceService.__table__
_ed = ExperienceDomain.__table__
_sa = ServiceAnswer.__table__
_cs = CoSession.__table__
_ss = SessionService.__table__
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

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            experiences=self.experiences + other.experiences,
            useful_answers=self.useful_answers + other.useful_answers,
            useful=self.useful + other.useful,
            listened_answers=self.listened_answers + other.listened_answers,
            listened=self.listened + other.listened,
            explained=tuple(a + b for a, b in zip(self.explained, other.explained)),
            published=self.published + other.published,
        )

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


def _sum_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _tally_columns():
    return [
        func.count().label("experiences"),
        func.count(_e.c.usefulness).label("useful_answers"),
        _sum_if(_e.c.usefulness >= USEFUL_FROM).label("useful"),
        func.count(_e.c.listened).label("listened_answers"),
        _sum_if(_e.c.listened == "yes").label("listened"),
        *[_sum_if(_e.c.services_explained == k).label(f"explained_{k}") for k in range(EXPLAINED_MAX + 1)],
        _sum_if(_e.c.status == "published").label("published"),
    ]


_N_TALLY = 6 + EXPLAINED_MAX + 1


def _tally(values) -> Tally:
    values = [int(v or 0) for v in values]
    return Tally(
        experiences=values[0],
        useful_answers=values[1],
        useful=values[2],
        listened_answers=values[3],
        listened=values[4],
        explained=tuple(values[5:5 + EXPLAINED_MAX + 1]),
        published=values[5 + EXPLAINED_MAX + 1],
    )


def _experience_conditions(start: datetime, end: datetime, filters: Filters, skip: frozenset[str] = frozenset()):
    conditions = [_e.c.status.in_(MODERATED), _e.c.created_at >= start, _e.c.created_at < end]
    if filters.area_id is not None and "area" not in skip:
        conditions.append(_e.c.area_id == filters.area_id)
    if filters.service_id is not None and "service" not in skip:
        conditions.append(exists().where(_es.c.experience_id == _e.c.id, _es.c.service_id == filters.service_id))
    if filters.domain_id is not None and "domain" not in skip:
        conditions.append(exists().where(_ed.c.experience_id == _e.c.id, _ed.c.domain_id == filters.domain_id))
    return and_(*conditions)


def trend_by_area(*, session: Session, periods: list[Period], filters: Filters) -> dict[tuple[int, int | None], Tally]:
    """Tallies per (index of period, area id) over consecutive periods, in one scan.

    The area filter is not applied here: the caller needs every area of each
    period to protect the area table, and picks the chosen area from it. The
    last period of the list doubles as the chosen period's figures.
    """
    if not periods:
        return {}
    bounds = [p.start_utc for p in periods] + [periods[-1].end_utc]
    if len(periods) == 1:
        bucket = literal_column("0")
    else:
        bucket = case(*[(_e.c.created_at < b, i) for i, b in enumerate(bounds[1:-1])], else_=len(periods) - 1)
    stmt = (
        select(bucket.label("bucket"), _e.c.area_id, *_tally_columns())
        .where(_experience_conditions(bounds[0], bounds[-1], filters, frozenset({"area"})))
        .group_by("bucket", _e.c.area_id)
    )
    return {(int(row[0]), row[1]): _tally(row[2:]) for row in session.execute(stmt)}


def by_link(*, session: Session, period: Period, filters: Filters, link: str) -> dict[int, Tally]:
    """Tallies per service (link="service") or life domain (link="domain") named in the
    experiences. The filter on that same dimension is not applied (the table shows all)."""
    table, column = (_es, _es.c.service_id) if link == "service" else (_ed, _ed.c.domain_id)
    stmt = (
        select(column, *_tally_columns())
        .select_from(_e.join(table, table.c.experience_id == _e.c.id))
        .where(_experience_conditions(period.start_utc, period.end_utc, filters, frozenset({link})))
        .group_by(column)
    )
    return {row[0]: _tally(row[1:]) for row in session.execute(stmt)}


@dataclass
class AnswerTally:
    answered: int = 0  # published stories with at least one answer (by the service, per service)
    answers: int = 0  # answers written
    changes: int = 0  # answers marked "change planned" or "change made"


def answers(*, session: Session, period: Period, filters: Filters) -> AnswerTally:
    """Answers to the experiences of the period. With a service filter: that service's answers."""
    conditions = [_experience_conditions(period.start_utc, period.end_utc, filters)]
    if filters.service_id is not None:
        conditions.append(_sa.c.service_id == filters.service_id)
    stmt = select(
        func.count(func.distinct(case((_e.c.status == "published", _sa.c.experience_id)))),
        func.count(),
        _sum_if(_sa.c.change_status.in_(CHANGE_STATUSES_COUNTED)),
    ).select_from(_sa.join(_e, _e.c.id == _sa.c.experience_id)).where(*conditions)
    row = session.execute(stmt).one()
    return AnswerTally(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


def answers_by_service(*, session: Session, period: Period, filters: Filters) -> dict[int, AnswerTally]:
    """Per service: its answers to the experiences that name it."""
    named = exists().where(_es.c.experience_id == _sa.c.experience_id, _es.c.service_id == _sa.c.service_id)
    stmt = (
        select(
            _sa.c.service_id,
            func.count(func.distinct(case((_e.c.status == "published", _sa.c.experience_id)))),
            func.count(),
            _sum_if(_sa.c.change_status.in_(CHANGE_STATUSES_COUNTED)),
        )
        .select_from(_sa.join(_e, _e.c.id == _sa.c.experience_id))
        .where(_experience_conditions(period.start_utc, period.end_utc, filters, frozenset({"service"})), named)
        .group_by(_sa.c.service_id)
    )
    return {row[0]: AnswerTally(int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)) for row in session.execute(stmt)}


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


def cocreation(*, session: Session, period: Period, filters: Filters, now: datetime) -> dict[tuple[int | None, str], CoTally]:
    """Per (area id, organiser kind): sessions held in the period (by their start in
    Oslo time) and what their confirmed sign-ups did. A service filter keeps the
    sessions linked to that service; areas are all returned (the table shows them all);
    sessions have no life domain."""
    conditions = [
        _cs.c.status == "published",
        _cs.c.ends_at <= now,
        _cs.c.starts_at >= period.start_utc,
        _cs.c.starts_at < period.end_utc,
    ]
    if filters.service_id is not None:
        conditions.append(exists().where(_ss.c.session_id == _cs.c.id, _ss.c.service_id == filters.service_id))
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
            _sum_if(_su.c.attended.is_(True)),
            func.count(_su.c.usefulness),
            _sum_if(_su.c.usefulness >= USEFUL_FROM),
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
    """When the first moderated experience was told (the start of the period lists)."""
    value = session.execute(select(func.min(_e.c.created_at)).where(_e.c.status.in_(MODERATED))).scalar()
    if isinstance(value, str):  # a MIN() over SQLite text loses the column type
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


@dataclass
class RawFigures:
    """Everything the dashboard rests on, for one period and one set of filters."""

    periods: list[Period]  # the trend, ending with the chosen period
    trend: dict[tuple[int, int | None], Tally]
    by_service: dict[int, Tally]
    by_domain: dict[int, Tally]
    answers: AnswerTally
    answers_by_service: dict[int, AnswerTally]
    cocreation: dict[tuple[int | None, str], CoTally] = field(default_factory=dict)


def raw_figures(*, session: Session, periods: list[Period], filters: Filters, now: datetime) -> RawFigures:
    period = periods[-1]
    return RawFigures(
        periods=periods,
        trend=trend_by_area(session=session, periods=periods, filters=filters),
        by_service=by_link(session=session, period=period, filters=filters, link="service"),
        by_domain=by_link(session=session, period=period, filters=filters, link="domain"),
        answers=answers(session=session, period=period, filters=filters),
        answers_by_service=answers_by_service(session=session, period=period, filters=filters),
        cocreation=cocreation(session=session, period=period, filters=filters, now=now),
    )
