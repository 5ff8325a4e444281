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
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from .. import versioning
from ..cocreation.models import CoSession, Signup
from ..experiences.models import EXPLAINED_MAX, Experience
from . import answer_times, loop, rollup
from .models import MEASURES, CoSnapshot, ExperienceTally, PublishedQuarter, TallySnapshot
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
tally_contributions = rollup.contributions
tally_add_all = rollup.add_differences
tally_lock = rollup.lock
rebuild_tally = rollup.rebuild
tally_differences = rollup.differences
fill_tally_if_empty = rollup.fill_if_empty

_e = Experience.__table__
_t = ExperienceTally.__table__
SNAPSHOT = TallySnapshot.__table__
_co = CoSnapshot.__table__
_pq = PublishedQuarter.__table__
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


_COLUMN = {"area": "area_id", "service": "service_id", "domain": "domain_id"}


def _month_keys(period: Period) -> list[int]:
    first = period.first_day.year * 100 + period.first_day.month
    return [first + k for k in range(MONTHS_PER[period.kind])]


def tallies(*, session: Session, periods: list[Period], by: str, filters: Filters,
            table=None) -> dict[tuple[int, int | None], Tally]:
    """Tallies per (index of period, group id) for ``by`` in "area", "service" or
    "domain", over consecutive periods, with the other filters applied (the filter
    on ``by`` itself is not: the caller needs every group). "Area not given" is
    the group None. Groups without experiences are left out.

    One GROUP BY on the monthly tally (``rollup``): at most a few thousand small
    rows, whatever the number of experiences. ``table``: the live tally (default) or the
    frozen ``SNAPSHOT`` of published quarters, which is what the public reads.
    """
    t = _t if table is None else table
    month_index = {key: index for index, period in enumerate(periods) for key in _month_keys(period)}
    conditions = [t.c.month.between(min(month_index), max(month_index))]
    for name, wanted in (("service", filters.service_id), ("domain", filters.domain_id)):
        conditions.append(t.c[_COLUMN[name]] > ANY if name == by else t.c[_COLUMN[name]] == (wanted or ANY))
    if by != "area" and filters.area_id is not None:
        conditions.append(t.c.area_id == filters.area_id)
    group = t.c[_COLUMN[by]]
    stmt = (
        select(t.c.month, group, *(func.sum(t.c[name]) for name in MEASURES))
        .where(*conditions)
        .group_by(t.c.month, group)
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


# --------------------------------------------------------------------------
# Publication: a quarter is published once, after it has ended and settled
# --------------------------------------------------------------------------


def quarter_key(period: Period) -> int:
    return period.year * 10 + period.number


def published_quarters(*, session: Session) -> set[Period]:
    return {Period("quarter", key // 10, key % 10) for key in session.execute(select(_pq.c.quarter)).scalars()}


def publication_day(quarter: Period, settle_days: int):
    """The day (in Trondheim) a quarter's figures are published."""
    return (quarter.end_utc + timedelta(days=settle_days)).astimezone(OSLO).date()


def _first_quarter(session: Session) -> Period | None:
    month = session.execute(select(func.min(_t.c.month))).scalar()
    starts = session.execute(select(func.min(_cs.c.starts_at))).scalar()
    candidates = []
    if month is not None:
        candidates.append(Period.containing("quarter", date(int(month) // 100, int(month) % 100, 1)))
    if starts is not None:
        candidates.append(Period.containing("quarter", starts))
    # From the first quarter of that year, so that the year can be published when it ends.
    return Period("quarter", min(candidates).year, 1) if candidates else None


def publish_due(*, session: Session, now: datetime, settle_days: int) -> list[Period]:
    """Publish every quarter that ended at least ``settle_days`` ago and is not published
    yet: its months of the tally and its co-creation figures are copied into snapshots that
    never change again. Safe to call at any time and from several workers at once (the
    first to insert a quarter's row publishes it). Returns the quarters published now."""
    first = _first_quarter(session)
    if first is None:
        return []
    done = published_quarters(session=session)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    published = []
    quarter = first
    while quarter.end_utc + timedelta(days=settle_days) <= now:
        if quarter not in done:
            won = session.execute(insert(_pq).values(quarter=quarter_key(quarter), published_at=now)
                                  .on_conflict_do_nothing().returning(_pq.c.quarter)).first()
            if won is not None:
                months = [quarter.year * 100 + (quarter.number - 1) * 3 + k for k in (1, 2, 3)]
                session.execute(insert(SNAPSHOT).from_select(
                    [c.name for c in _t.columns], select(*_t.columns).where(_t.c.month.in_(months))))
                rows = [{"quarter": quarter_key(quarter), "area_id": area or 0, "organiser_kind": kind,
                         **{f.name: getattr(tally, f.name) for f in fields(CoTally)}}
                        for (area, kind), tally in cocreation(session=session, period=quarter, now=now).items()]
                if rows:
                    session.execute(insert(_co), rows)
                loop.snapshot(session=session, quarter=quarter, key=quarter_key(quarter))
                answer_times.snapshot(session=session, quarter=quarter, key=quarter_key(quarter), now=now)
                published.append(quarter)
        quarter = quarter.next()
    if published:
        versioning.changed(session)  # written with Core, not seen by the flush hook
    return published


def cocreation_published(*, session: Session, quarters: list[Period]) -> dict[tuple[int | None, str], CoTally]:
    """The frozen co-creation figures of published quarters, summed."""
    result: dict[tuple[int | None, str], CoTally] = {}
    keys = [quarter_key(q) for q in quarters]
    for row in session.execute(select(_co).where(_co.c.quarter.in_(keys))):
        key = (row.area_id or None, row.organiser_kind)
        result[key] = result.get(key, CoTally()) + CoTally(*(getattr(row, f.name) for f in fields(CoTally)))
    return result
