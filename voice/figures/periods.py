"""Calendar periods in Trondheim (month, quarter, year), and what counts in the figures.

Plain rules shared by the raw tallies (``service``), the monthly tally
(``rollup``) and the tables: which experiences count, what "useful" means, and
periods whose UTC boundaries are computed in Python with zoneinfo (summer time
always right; SQL never does time-zone arithmetic).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import func

from ..clock import OSLO

MODERATED = ("published", "internal")
USEFUL_FROM = 4  # the two top steps of the 5-step scale
CHANGE_STATUSES_COUNTED = ("planned", "made")
PERIOD_TYPES = ("month", "quarter", "year")
_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}
YEAR_RANGE = (2000, 2100)


def count_if(condition):
    # count(*) FILTER (WHERE ...): on SQLite about twice as fast as sum(CASE ...); PostgreSQL has it too.
    return func.count().filter(condition)


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
        return cls(kind, day.year, (day.month - 1) // MONTHS_PER[kind] + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, (self.number - 1) * MONTHS_PER[self.kind] + 1, 1)

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
