"""The figures behind the dashboard, as raw tallies computed by the database.

Every function here runs GROUP BY statements and returns plain numbers; nothing
is published from here (``tables`` applies disclosure control). Rows are never
loaded into Python: only one row per group comes back.

Which experiences count: only moderated ones (status ``published`` or
``internal``), never ``new`` or ``rejected``.

Periods and time zones (chosen approach: UTC boundaries, not SQL time-zone
functions). A period (month, quarter, year) is a calendar period in Trondheim
(Europe/Oslo). Its start is computed in Python as local midnight on its first
day and converted to UTC with zoneinfo, so summer time is always right. The
database only compares the stored UTC ``created_at`` with these boundaries:
``created_at >= start AND created_at < end``, one SELECT per period (a trend is a
UNION ALL of them). The SQL is the same on SQLite and PostgreSQL (SQLite has no
time-zone support), and the range predicate uses an index.

Performance, on one million experiences (bench/metrics_bench.py):

* Two indexes cover every column a tally reads, so tallies are index-only scans.
  ``ix_experience_figures_by_area`` (area_id, created_at, status, ...): with
  ``area_id IN (...)`` SQLite walks it area by area, so the per-area GROUP BY needs
  no sort (SQLite has no hash aggregate, and the sort was most of the time);
  "no area" is a second SELECT. ``ix_experience_figures_by_time`` (status,
  created_at, ...): a period's experiences, for the joins and the id ranges.
* ``count(*) FILTER (WHERE ...)`` instead of ``sum(CASE ...)``: about twice as fast
  on SQLite; PostgreSQL has it too.
* Joins to the link tables (services, domains, answers) carry the period's id
  range (``id_ranges``): ids grow with time, so both databases read only that
  stretch of the link table instead of all of it.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal_column, select, union_all
from sqlmodel import Session

from ..cocreation.models import CoSession, Signup
from ..experiences.models import (
    EXPLAINED_MAX,
    Experience,
    ExperienceDomain,
    ExperienceService,
    ServiceAnswer,
)

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


def _count_if(condition):
    # count(*) FILTER (WHERE ...): on SQLite about twice as fast as sum(CASE ...); PostgreSQL has it too.
    return func.count().filter(condition)


def _tally_columns(detail: bool = True):
    """The tally as aggregate columns. Without ``detail`` (the older periods of a
    trend, which show only counts and the two shares) the rest are constant zeros."""
    columns = [
        func.count(),
        func.count(_e.c.usefulness),
        _count_if(_e.c.usefulness >= USEFUL_FROM),
        func.count(_e.c.listened),
        _count_if(_e.c.listened == "yes"),
    ]
    rest = [_count_if(_e.c.services_explained == k) for k in range(EXPLAINED_MAX + 1)]
    rest.append(_count_if(_e.c.status == "published"))
    if not detail:
        rest = [literal_column("0") for _ in rest]
    return columns + rest


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


IdRange = tuple[int, int]


def _experience_conditions(period: Period, filters: Filters, ids: IdRange | None, skip: frozenset[str] = frozenset()):
    """Moderated experiences of the period that match the filters (except those in ``skip``).
    ``ids`` is the period's id range (see ``id_ranges``), if known."""
    conditions = [_e.c.created_at >= period.start_utc, _e.c.created_at < period.end_utc, _e.c.status.in_(MODERATED)]
    if filters.area_id is not None and "area" not in skip:
        conditions.append(_e.c.area_id == filters.area_id)
    for name, table, column, wanted in (
        ("service", _es, _es.c.service_id, filters.service_id),
        ("domain", _ed, _ed.c.domain_id, filters.domain_id),
    ):
        if wanted is not None and name not in skip:
            bounds = [table.c.experience_id.between(*ids)] if ids else []
            conditions.append(exists().where(table.c.experience_id == _e.c.id, column == wanted, *bounds))
    return and_(*conditions)


def _per_area(tag, conditions, area_ids: list[int], columns) -> list:
    """Two SELECTs for one period: the known areas (GROUP BY area_id) and "no area".

    Both are range scans of ix_experience_figures (area_id, created_at, ...). With
    ``area_id IN (...)`` SQLite walks the index area by area, so its GROUP BY needs
    no sort (SQLite has no hash aggregate, and sorting was most of the time).
    """
    known = select(tag, _e.c.area_id, *columns).where(_e.c.area_id.in_(area_ids), conditions).group_by(_e.c.area_id)
    unknown = select(tag, literal_column("NULL"), *columns).where(_e.c.area_id.is_(None), conditions)
    return [known, unknown]


def id_ranges(*, session: Session, periods: list[Period]) -> dict[int, IdRange]:
    """Lowest and highest id of each period's moderated experiences, by index in
    ``periods``; a period without any is left out.

    Ids grow with time, so a period's ids form a narrow range. Every join or
    EXISTS on a link table (services, domains, answers) adds ``experience_id
    BETWEEN low AND high``. That is always true for the rows that match, so it
    never changes a result, and it lets both databases read only that stretch of
    the link table: PostgreSQL otherwise reads a whole link table into a hash.
    """
    # "+ 0": otherwise PostgreSQL turns min(id) into a walk along the primary key from
    # the first id until a row of the period turns up (most of the table for recent periods).
    columns = [func.min(_e.c.id + 0), func.max(_e.c.id + 0)]
    selects = [
        select(literal_column(str(int(index))), *columns).where(
            _e.c.status.in_(MODERATED), _e.c.created_at >= period.start_utc, _e.c.created_at < period.end_utc)
        for index, period in enumerate(periods)
    ]
    rows = session.execute(union_all(*selects) if len(selects) > 1 else selects[0])
    return {int(index): (int(low), int(high)) for index, low, high in rows if low is not None}


def area_tallies(
    *, session: Session, periods: list[Period], filters: Filters, area_ids: list[int], ids: dict[int, IdRange] | None
) -> dict[tuple[int, int | None], Tally]:
    """Tallies per (index of period, area id), for consecutive periods, in one statement.
    The last period is the chosen one and gets every column; older ones only the
    count and the two shares (``_tally_columns``).

    The area filter is not applied (the caller needs every area). ``ids`` holds the
    periods' id ranges (``id_ranges``; a period without one has no experiences), or
    None when not known (fine without service or domain filter).
    """
    selects = []
    for index, period in enumerate(periods):
        if ids is None or index in ids:
            conditions = _experience_conditions(period, filters, ids[index] if ids else None, frozenset({"area"}))
            columns = _tally_columns(detail=index == len(periods) - 1)
            selects += _per_area(literal_column(str(int(index))), conditions, area_ids, columns)
    result = {}
    if selects:
        for row in session.execute(union_all(*selects)):
            tally = _tally(row[2:])
            if tally.experiences:
                result[(int(row[0]), row[1])] = tally
    return result


def link_tallies(
    *, session: Session, periods: list[Period], filters: Filters, link: str, ids: dict[int, IdRange]
) -> dict[tuple[int, int], Tally]:
    """Tallies per (index of period, service id) for link="service", or per life
    domain for link="domain", over the experiences that name it; all columns for
    the last period only. The filter on that same dimension is not applied (the
    caller needs every service or domain)."""
    table, column = (_es, _es.c.service_id) if link == "service" else (_ed, _ed.c.domain_id)
    selects = []
    for index, period in enumerate(periods):
        if index not in ids:
            continue
        selects.append(
            select(literal_column(str(int(index))), column, *_tally_columns(detail=index == len(periods) - 1))
            .select_from(table.join(_e, _e.c.id == table.c.experience_id))
            .where(
                table.c.experience_id.between(*ids[index]),
                _e.c.id.between(*ids[index]),
                _experience_conditions(period, filters, ids[index], frozenset({link})),
            )
            .group_by(column)
        )
    if not selects:
        return {}
    return {(int(row[0]), row[1]): _tally(row[2:]) for row in session.execute(union_all(*selects))}


@dataclass
class AnswerTally:
    answered: int = 0  # published stories with at least one answer (by the service, per service)
    answers: int = 0  # answers written
    changes: int = 0  # answers marked "change planned" or "change made"


def _answer_columns():
    return [
        func.count(func.distinct(case((_e.c.status == "published", _sa.c.experience_id)))),
        func.count(),
        _count_if(_sa.c.change_status.in_(CHANGE_STATUSES_COUNTED)),
    ]


def answers(*, session: Session, period: Period, filters: Filters, ids: IdRange | None) -> AnswerTally:
    """Answers to the experiences of the period. With a service filter: that service's answers."""
    if ids is None:
        return AnswerTally()
    conditions = [
        _sa.c.experience_id.between(*ids),
        _e.c.id.between(*ids),
        _experience_conditions(period, filters, ids),
    ]
    if filters.service_id is not None:
        conditions.append(_sa.c.service_id == filters.service_id)
    stmt = select(*_answer_columns()).select_from(_sa.join(_e, _e.c.id == _sa.c.experience_id)).where(*conditions)
    return AnswerTally(*(int(v or 0) for v in session.execute(stmt).one()))


def answers_by_service(*, session: Session, period: Period, filters: Filters, ids: IdRange | None) -> dict[int, AnswerTally]:
    """Per service: its answers to the experiences that name it."""
    if ids is None:
        return {}
    named = exists().where(_es.c.experience_id == _sa.c.experience_id, _es.c.service_id == _sa.c.service_id)
    stmt = (
        select(_sa.c.service_id, *_answer_columns())
        .select_from(_sa.join(_e, _e.c.id == _sa.c.experience_id))
        .where(
            _sa.c.experience_id.between(*ids),
            _e.c.id.between(*ids),
            _experience_conditions(period, filters, ids, frozenset({"service"})),
            named,
        )
        .group_by(_sa.c.service_id)
    )
    return {row[0]: AnswerTally(*(int(v or 0) for v in row[1:])) for row in session.execute(stmt)}


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
            _count_if(_su.c.attended.is_(True)),
            func.count(_su.c.usefulness),
            _count_if(_su.c.usefulness >= USEFUL_FROM),
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
    One index seek per status on ix_experience_status_created."""
    firsts = [
        session.execute(select(_e.c.created_at).where(_e.c.status == status).order_by(_e.c.created_at).limit(1)).scalar()
        for status in MODERATED
    ]
    firsts = [value for value in firsts if value is not None]
    return min(firsts) if firsts else None
