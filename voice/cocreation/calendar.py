"""iCalendar (RFC 5545) files for one session or a list, made with the icalendar library.

Times are given in the session's own zone (``DTSTART;TZID=Europe/Oslo``) with its
``VTIMEZONE``, so a calendar shows 10.00 in Trondheim whatever zone the phone is in,
in winter and in summer; ``SEQUENCE`` grows with each change (a cancellation), so a
calendar that has the event replaces it; text values are escaped (a comma in a name)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from icalendar import Calendar, Event, vText

from ..clock import OSLO
from ..htmlclean import plain_text
from .models import CoSession


def build(sessions: list[CoSession], *, session_url: Callable[[CoSession], str], name: str, now: datetime) -> bytes:
    """``session_url`` gives each session's public page; ``now`` is the file's DTSTAMP."""
    calendar = Calendar()
    calendar.add("prodid", "-//Trondheim kommune//Voice//NO")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", vText(name))  # an X- property is not escaped unless typed as text
    stamp = now
    for cosession in sessions:
        event = Event()
        event.add("uid", f"{cosession.public_id}@voice.trondheim.kommune.no")
        event.add("dtstamp", stamp)
        event.add("dtstart", cosession.starts_at.astimezone(OSLO))
        event.add("dtend", cosession.ends_at.astimezone(OSLO))
        event.add("sequence", cosession.sequence)
        event.add("summary", cosession.title)
        event.add("location", cosession.venue)
        event.add("description", plain_text(cosession.description))
        event.add("url", session_url(cosession))
        event.add("status", "CANCELLED" if cosession.status == "cancelled" else "CONFIRMED")
        calendar.add_component(event)
    if sessions:
        days = [c.starts_at.astimezone(OSLO).date() for c in sessions]
        calendar.add_missing_timezones(first_date=date(min(days).year, 1, 1), last_date=date(max(days).year + 2, 1, 1))
        _one_rdate_per_line(calendar)
    return calendar.to_ical()


def _one_rdate_per_line(calendar: Calendar) -> None:
    """icalendar lists a zone's transitions in one RDATE line; dateutil's tzical (under
    vobject, and what many servers use) reads only the first of them, so summer time came
    out an hour wrong. One date per RDATE line means the same (RFC 5545) and reads right."""
    for zone in calendar.walk("VTIMEZONE"):
        for observance in zone.subcomponents:
            found = observance.get("RDATE")
            if found is None:
                continue
            moments = [value.dt for item in (found if isinstance(found, list) else [found]) for value in item.dts]
            del observance["RDATE"]
            for moment in moments:
                observance.add("rdate", moment)
