"""iCalendar (RFC 5545) files for one session or a list, made with the icalendar library."""
from __future__ import annotations

import bleach
from icalendar import Calendar, Event

from ..db import utcnow
from .models import CoSession


def plain(html: str) -> str:
    return bleach.clean(html or "", tags=[], strip=True)


def build(sessions: list[CoSession], *, url_for_session, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Trondheim kommune//Voice//NO")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = utcnow()
    for row in sessions:
        event = Event()
        event.add("uid", f"{row.public_id}@voice.trondheim.kommune.no")
        event.add("dtstamp", stamp)
        event.add("dtstart", row.starts_at)
        event.add("dtend", row.ends_at)
        event.add("summary", row.title)
        event.add("location", row.venue)
        event.add("description", plain(row.description))
        event.add("url", url_for_session(row))
        event.add("status", "CANCELLED" if row.status == "cancelled" else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
