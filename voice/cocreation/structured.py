"""A session as a schema.org Event (JSON-LD), so search engines and calendar helpers read
its time, place, language and whether it is free, as the family's page says it."""
from __future__ import annotations

from ..clock import OSLO
from ..htmlclean import plain_text
from .models import CoSession

MUNICIPALITY = "Trondheim kommune"


def event(cosession: CoSession, *, url: str, area: str | None, organiser: str | None, languages: list[str]) -> dict:
    """``languages``: BCP 47 tags of the languages spoken; ``organiser``: the partner
    organisation's name (None for a session the municipality organises)."""
    address = {"@type": "PostalAddress", "streetAddress": cosession.venue, "addressLocality": "Trondheim",
               "addressCountry": "NO"}
    if area:
        address["addressRegion"] = area
    return {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": cosession.title,
        "description": plain_text(cosession.description),
        "url": url,
        "startDate": cosession.starts_at.astimezone(OSLO).isoformat(),
        "endDate": cosession.ends_at.astimezone(OSLO).isoformat(),
        "eventStatus": "https://schema.org/" + ("EventCancelled" if cosession.status == "cancelled" else "EventScheduled"),
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": {"@type": "Place", "name": cosession.venue, "address": address},
        "organizer": {"@type": "Organization", "name": organiser or MUNICIPALITY},
        "isAccessibleForFree": not cosession.cost.strip(),
        "inLanguage": languages,
        "maximumAttendeeCapacity": cosession.capacity,
    }
