"""Time as Voice reads it: UTC moments, and "today" as the date in Trondheim.

Services never call ``datetime.now()`` or ``date.today()`` themselves: they take
``now`` (an aware UTC datetime) or ``today`` (a date in Europe/Oslo) as keyword
arguments, so a view, a job, a command and a test can all say what time it is.
The server's own time zone never matters.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def oslo_date(moment: datetime) -> date:
    """The calendar date in Trondheim at an aware moment."""
    return moment.astimezone(OSLO).date()


@dataclass(frozen=True)
class Clock:
    """The real clock. ``FixedClock`` stands in for it where a test needs a known time."""

    def now(self) -> datetime:
        return utcnow()

    def today(self) -> date:
        return oslo_date(self.now())


@dataclass(frozen=True)
class FixedClock(Clock):
    at: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.at
