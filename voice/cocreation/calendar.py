"""iCalendar (RFC 5545) files for one session or a list, made with the icalendar library."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from icalendar import Calendar, Event

from ..htmlclean import plain_text
from .models import CoSession


def build(sessions: list[CoSession], *, session_url: Callable[[CoSession], str], name: str, now: datetime) -> bytes:
    """``session_url`` gives each session's public page; ``now`` is the file's DTSTAMP."""
    calendar = Calendar()
    calendar.add("prodid", "-//Trondheim kommune//Voice//NO")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = now
    for cosession in sessions:
        event = Event()
        event.add("uid", f"{cosession.public_id}@voice.trondheim.kommune.no")
        event.add("dtstamp", stamp)
        event.add("dtstart", cosession.starts_at)
        event.add("dtend", cosession.ends_at)
        event.add("summary", cosession.title)
        event.add("location", cosession.venue)
        event.add("description", plain_text(cosession.description))
        event.add("url", session_url(cosession))
        event.add("status", "CANCELLED" if cosession.status == "cancelled" else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
