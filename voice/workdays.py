"""Working days in Trondheim: Monday to Friday, without Norwegian public holidays, which come
from the kept `holidays` library (moving feasts such as Easter and Ascension included), never a
list of our own. A deadline's clock starts on the day something happened: a story published on a
Friday and answered on the Monday was answered in 1 working day. Plain functions; no Flask.
"""
from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays


@functools.lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NO", years=[year]))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def due_date(published: date, days: int) -> date:
    """The last working day on which an answer is still within ``days`` working days."""
    day, left = published, days
    while left > 0:
        day += timedelta(days=1)
        left -= is_working_day(day)
    return day
