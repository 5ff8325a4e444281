"""Figures (issue #6): tallies, disclosure control, dashboard, downloads, monitoring feed.

Every test that uses the ``app``/``db``/``client`` fixtures runs on SQLite and on
PostgreSQL. The known data set below is small enough to count by hand; the
expected figures in the tests were worked out by hand from it (see the comments).
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
import secrets
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import select

from voice import create_app
from voice.clock import utcnow
from voice.experiences import service as experiences
from voice.experiences.models import Experience, ExperienceDomain, ExperienceService, ServiceAnswer
from voice.extensions import limiter
from voice.figures import rollup, service, tables
from voice.figures.disclosure import REASON_SMALL, DisclosurePolicy, suppress_count
from voice.figures.models import ExperienceTally, PublishedQuarter, TallySnapshot
from voice.figures.service import Filters, Period
from voice.locales import LOCALES
from voice.moderation import service as moderation
from voice.reference.models import Area, LifeDomain, Service

from .conftest import test_config
from .factories import make_experience, make_user

UTC = timezone.utc
Q1 = "2025-Q1"
QUERY_Q1 = f"period_type=quarter&period={Q1}"

# --------------------------------------------------------------------------
# The known data set: 24 moderated experiences in the first quarter of 2025
# (Oslo time), and others that must not count.
# --------------------------------------------------------------------------

# (status, usefulness, listened, services explained, area, services, domains, answers as (service, change))
KNOWN = [
    ("published", 5, "yes", 0, "kattem", ["nav"], ["economy"], [("nav", "made")]),                 # 1
    ("published", 4, "yes", 1, "kattem", ["nav"], ["economy"], [("nav", "planned")]),              # 2
    ("published", 4, "no", 1, "kattem", ["nav", "school"], ["housing"], [("nav", "none")]),        # 3
    ("published", 2, "partly", 2, "kattem", ["school"], [], [("school", "none")]),                 # 4
    ("published", 1, "no", 3, "kattem", ["child-welfare"], ["economy", "housing"], []),            # 5
    ("published", None, "yes", 1, "kattem", ["nav"], [], []),                                      # 6
    ("internal", 5, "yes", 0, "kattem", ["nav"], ["economy"], []),                                 # 7
    ("internal", 3, None, 2, "kattem", ["school"], [], []),                                        # 8
    ("published", 4, "yes", 1, "saupstad", ["nav"], ["housing"], [("nav", "made")]),              # 9
    ("published", 5, "partly", 2, "saupstad", ["nav", "child-welfare"], ["economy"],
     [("child-welfare", "planned"), ("nav", "none")]),                                              # 10
    ("published", 4, None, 0, "saupstad", ["school"], [], []),                                     # 11
    ("published", 2, "no", 6, "saupstad", ["child-welfare"], ["housing"], [("child-welfare", "none")]),  # 12
    ("internal", 4, "yes", 1, "saupstad", ["nav"], [], []),                                        # 13
    ("internal", None, None, None, "saupstad", ["nav"], [], []),                                   # 14
    ("published", 5, "yes", 2, None, ["school"], ["economy"], [("school", "made")]),               # 15
    ("published", 3, "partly", 1, None, ["nav"], [], [("nav", "planned")]),                        # 16
    ("published", 4, "yes", 0, "kattem", ["nav"], [], []),                                         # 17
    ("internal", 4, "no", 2, "kattem", ["school"], ["economy"], []),                               # 18
    ("published", 5, "yes", 1, "saupstad", ["nav"], [], [("nav", "none")]),                        # 19
    ("published", 1, None, 4, "saupstad", ["child-welfare"], ["housing"], []),                     # 20
    ("internal", 4, "yes", 0, "kattem", ["nav"], [], []),                                          # 21
    ("published", None, "partly", 5, "kattem", ["school"], [], []),                                # 22
    ("published", 5, None, None, None, ["nav"], ["economy"], []),                                  # 23
    ("internal", None, "yes", 2, "kattem", ["nav"], ["housing"], []),                              # 24
]
# When each was told (UTC). Number 23 is 00:30 on 1 January in Oslo, number 24 is
# 23:30 on 31 March in Oslo (summer time): both inside the quarter.
KNOWN_AT = {23: datetime(2024, 12, 31, 23, 30, tzinfo=UTC), 24: datetime(2025, 3, 31, 21, 30, tzinfo=UTC)}

# Hand-counted from KNOWN (services explained: 0, 1, 2, 3, 4, 5, 6+, no answer).
AREA_TABLE = {
    "kattem": [4, 3, 4, 1, 0, 1, 0, 0],    # 13 experiences
    "saupstad": [1, 3, 1, 0, 1, 0, 1, 1],  # 8
    "none": [0, 1, 1, 0, 0, 0, 0, 1],      # 3 with no area
}
SERVICE_TABLE = {
    "nav": [4, 7, 2, 0, 0, 0, 0, 2],            # 15
    "school": [1, 1, 4, 0, 0, 1, 0, 0],         # 7
    "child-welfare": [0, 0, 1, 1, 1, 0, 1, 0],  # 4
}
DOMAIN_TABLE = {
    "economy": [2, 1, 3, 1, 0, 0, 0, 1],  # 8
    "housing": [0, 2, 1, 1, 1, 0, 1, 0],  # 6
}


class Refs:
    """Reference ids by slug, looked up once per test."""

    def __init__(self, db):
        self.ids = {
            model: {row.slug: row.id for row in db.exec(select(model))} for model in (Service, Area, LifeDomain)
        }

    def service(self, slug):
        return self.ids[Service][slug]

    def area(self, slug):
        return self.ids[Area][slug] if slug else None

    def domain(self, slug):
        return self.ids[LifeDomain][slug]


def tell(db, refs, *, at, status="published", usefulness=None, listened=None, explained=None, area=None,
         services=("nav",), domains=(), answers=()):
    """Store a moderated experience directly (the figures read only these columns)."""
    experience = Experience(
        public_id=secrets.token_hex(16), created_at=at, status=status, usefulness=usefulness, listened=listened,
        services_explained=explained, area_id=refs.area(area), story="Test.", receipt_locator="TEST0000",
        receipt_hash="!", form_token=secrets.token_hex(16), consent_publish=status == "published",
    )
    db.add(experience)
    db.flush()
    db.add_all(ExperienceService(experience_id=experience.id, service_id=refs.service(s)) for s in services)
    db.add_all(ExperienceDomain(experience_id=experience.id, domain_id=refs.domain(d)) for d in domains)
    db.add_all(ServiceAnswer(experience_id=experience.id, service_id=refs.service(s), text="Svar.", change_status=c)
               for s, c in answers)
    db.flush()  # the experiences' write hook counts it in the tally
    return experience


def load_known(db) -> Refs:
    refs = Refs(db)
    for number, (status, useful, listened, explained, area, services, domains, answers) in enumerate(KNOWN, start=1):
        at = KNOWN_AT.get(number, datetime(2025, 1 + number % 3, 1 + number, 12, 0, tzinfo=UTC))
        tell(db, refs, at=at, status=status, usefulness=useful, listened=listened, explained=explained, area=area,
             services=services, domains=domains, answers=answers)
    # Never counted: not moderated (new, rejected), or outside the quarter in Oslo time.
    for status in ("new", "new", "new", "rejected", "rejected"):
        tell(db, refs, at=datetime(2025, 2, 10, tzinfo=UTC), status=status, usefulness=5, listened="yes", explained=0,
             area="kattem")
    tell(db, refs, at=datetime(2025, 3, 31, 22, 30, tzinfo=UTC), usefulness=5, area="kattem")  # 1 April in Oslo
    tell(db, refs, at=datetime(2025, 5, 5, tzinfo=UTC), usefulness=1, area="kattem")
    tell(db, refs, at=datetime(2024, 12, 31, 22, 30, tzinfo=UTC), usefulness=4, area="kattem")  # 31 Dec in Oslo
    db.commit()
    return refs


def as_records(client, query: str) -> list[dict]:
    response = client.get(f"/figures/download.json?{query}&lang=en")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["records"]


def pick(records, table, group, measure, category=""):
    found = [r for r in records if r["table"] == table and r["group"] == group and r["measure"] == measure
             and r["category"] == category]
    assert len(found) == 1, (table, group, measure, category, found)
    return found[0]


def shown(records, table, group, measure, category=""):
    record = pick(records, table, group, measure, category)
    assert record["status"] == "", record
    return record["value"]


def hidden(records, table, group, measure, category=""):
    record = pick(records, table, group, measure, category)
    assert record["status"] == ".." and record["value"] is None, record
    return record["reason"]


# --------------------------------------------------------------------------
# Periods in Oslo time
# --------------------------------------------------------------------------


def test_period_boundaries_are_oslo_midnight_in_utc():
    assert Period("month", 2025, 4).start_utc == datetime(2025, 3, 31, 22, 0, tzinfo=UTC)  # summer time
    assert Period("month", 2025, 11).start_utc == datetime(2025, 10, 31, 23, 0, tzinfo=UTC)  # winter time
    assert Period("quarter", 2025, 1).end_utc == datetime(2025, 3, 31, 22, 0, tzinfo=UTC)
    assert Period("year", 2025).start_utc == datetime(2024, 12, 31, 23, 0, tzinfo=UTC)
    assert Period.containing("month", datetime(2025, 1, 31, 23, 30, tzinfo=UTC)).key == "2025-02"
    assert Period.containing("quarter", datetime(2025, 3, 31, 21, 59, tzinfo=UTC)).key == "2025-Q1"
    assert Period.containing("quarter", datetime(2025, 3, 31, 22, 0, tzinfo=UTC)).key == "2025-Q2"
    assert Period.containing("year", datetime(2024, 12, 31, 23, 0, tzinfo=UTC)).key == "2025"


@pytest.mark.parametrize("kind,key", [("month", "2025-13"), ("month", "2025-1"), ("quarter", "2025-Q5"),
                                      ("quarter", "2025-03"), ("year", "25"), ("year", "x025"), ("month", "")])
def test_bad_period_keys_are_refused(kind, key):
    assert Period.parse(kind, key) is None


def test_period_keys_round_trip():
    for period in (Period("month", 2025, 3), Period("quarter", 2024, 4), Period("year", 2026)):
        assert Period.parse(period.kind, period.key) == period
    assert Period("month", 2025, 12).next() == Period("month", 2026, 1)
    assert Period("quarter", 2025, 1).previous() == Period("quarter", 2024, 4)


def test_median_of_counts():
    assert service.median_of_counts([0, 0, 0]) is None
    assert service.median_of_counts([1, 1]) == 0.5  # values 0 and 1
    assert service.median_of_counts([5, 7, 6, 1, 1, 1, 1]) == 1.0  # 22 values: the 11th and 12th are 1
    assert service.median_of_counts([0, 0, 0, 0, 0, 1, 1]) == 5.5  # a 5 and a 6 (six or more)


def test_month_buckets_follow_oslo_time_on_both_databases(app, db):
    refs = Refs(db)
    moments = [
        datetime(2025, 1, 31, 22, 59, tzinfo=UTC),  # 23:59 31 Jan in Oslo -> January
        datetime(2025, 1, 31, 23, 0, tzinfo=UTC),   # 00:00 1 Feb in Oslo -> February
        datetime(2025, 3, 31, 21, 59, tzinfo=UTC),  # 23:59 31 Mar (summer time) -> March
        datetime(2025, 3, 31, 22, 0, tzinfo=UTC),   # 00:00 1 Apr -> April
        datetime(2025, 10, 31, 22, 59, tzinfo=UTC),  # 23:59 31 Oct (winter time) -> October
        datetime(2025, 10, 31, 23, 0, tzinfo=UTC),  # 00:00 1 Nov -> November
    ]
    for moment in moments:
        tell(db, refs, at=moment, area="kattem")
    db.commit()
    periods = service.periods_between(Period("month", 2025, 1), Period("month", 2025, 11))
    tallies = service.tallies(session=db, periods=periods, by="area", filters=Filters())
    counts = {periods[index].key: tally.experiences for (index, _area), tally in tallies.items()}
    assert counts == {"2025-01": 1, "2025-02": 1, "2025-03": 1, "2025-04": 1, "2025-10": 1, "2025-11": 1}
    # The SQL rebuild puts them in the same months as the incremental count did.
    assert rollup.differences(db) == []


# --------------------------------------------------------------------------
# Raw tallies against hand counts
# --------------------------------------------------------------------------


def test_tallies_of_the_known_quarter(app, db):
    refs = load_known(db)
    period = Period("quarter", 2025, 1)
    areas = service.tallies(session=db, periods=[period], by="area", filters=Filters())
    by_area = {area: tally for (_i, area), tally in areas.items()}
    kattem, saupstad, nowhere = by_area[refs.area("kattem")], by_area[refs.area("saupstad")], by_area[None]
    assert set(by_area) == {refs.area("kattem"), refs.area("saupstad"), None}
    assert (kattem.experiences, saupstad.experiences, nowhere.experiences) == (13, 8, 3)
    # Kattem: usefulness given 10 times, 7 of them 4 or 5; listened given 12 times, 7 "yes".
    assert (kattem.useful_answers, kattem.useful, kattem.listened_answers, kattem.listened) == (10, 7, 12, 7)
    assert list(kattem.explained) == AREA_TABLE["kattem"][:7]
    assert list(nowhere.explained) == AREA_TABLE["none"][:7]
    total = kattem + saupstad + nowhere
    # All 24: usefulness given 20 times (14 useful), listened 19 times (11 yes), 17 published.
    assert (total.useful_answers, total.useful, total.listened_answers, total.listened, total.published) == (20, 14, 19, 11, 17)
    assert list(total.explained) == [5, 7, 6, 1, 1, 1, 1] and total.explained_median == 1.0

    services = service.tallies(session=db, periods=[period], by="service", filters=Filters())
    nav = services[(0, refs.service("nav"))]
    assert {key: t.experiences for (_i, key), t in services.items()} == {
        refs.service("nav"): 15, refs.service("school"): 7, refs.service("child-welfare"): 4}
    assert (nav.useful_answers, nav.useful, nav.listened_answers, nav.listened, nav.published) == (12, 11, 13, 10, 10)
    for slug, counts in SERVICE_TABLE.items():
        tally = services[(0, refs.service(slug))]
        assert [*tally.explained, tally.experiences - tally.explained_answers] == counts, slug
    domains = service.tallies(session=db, periods=[period], by="domain", filters=Filters())
    for slug, counts in DOMAIN_TABLE.items():
        tally = domains[(0, refs.domain(slug))]
        assert [*tally.explained, tally.experiences - tally.explained_answers] == counts, slug
    assert {key: t.experiences for (_i, key), t in domains.items()} == {refs.domain("economy"): 8, refs.domain("housing"): 6}

    # 11 answers to 10 published stories (story 10 has two); 3 "made" and 3 "planned".
    assert (total.answered, total.answers, total.changes) == (10, 11, 6)
    assert (nav.answered, nav.answers, nav.changes) == (7, 7, 4)  # made: 1, 9; planned: 2, 16

    with_nav = service.tallies(session=db, periods=[period], by="area", filters=Filters(service_id=refs.service("nav")))
    assert sum(t.experiences for t in with_nav.values()) == 15
    # The incremental tally (each story counted as it was stored) equals a rebuild from scratch.
    assert rollup.differences(db) == []
    rollup.rebuild(db)
    assert service.tallies(session=db, periods=[period], by="area", filters=Filters()) == areas


def test_first_moderated_experience_ignores_new_and_rejected(app, db):
    refs = Refs(db)
    tell(db, refs, at=datetime(2024, 6, 1, tzinfo=UTC), status="new")
    tell(db, refs, at=datetime(2024, 7, 1, tzinfo=UTC), status="rejected")
    tell(db, refs, at=datetime(2024, 8, 1, tzinfo=UTC), status="internal")
    db.commit()
    assert service.first_moderated_at(session=db) == datetime(2024, 8, 1, tzinfo=UTC)


# --------------------------------------------------------------------------
# Published figures (through the JSON download, the same figures as the page)
# --------------------------------------------------------------------------


def test_published_shares_and_median_are_the_hand_computed_ones(app, db, client):
    load_known(db)
    records = as_records(client, QUERY_Q1)
    # Whole per cent; a share only where neither the count behind it nor the rest is 1-4.
    assert shown(records, "summary", "all", "useful_percent") == 70  # 14 of 20 (6 not)
    assert shown(records, "summary", "all", "listened_percent") == 58  # 11 of 19 (8 not)
    assert shown(records, "summary", "all", "services_explained_median") == 1.0  # 22 answers
    assert shown(records, "summary", "all", "answered_percent") == 59  # 10 of 17 published (7 not)
    assert shown(records, "summary", "all", "change_percent") == 55  # 6 of 11 answers (5 not)
    assert hidden(records, "by_area", "kattem", "useful_percent") == "protected"  # 7 of 10: 3 did not
    assert shown(records, "by_area", "kattem", "listened_percent") == 58  # 7 of 12 (5 not)
    assert shown(records, "by_area", "kattem", "services_explained_median") == 1.0  # 13 answers
    assert hidden(records, "by_area", "saupstad", "useful_percent") == "protected"  # 7 answers
    assert hidden(records, "by_service", "nav", "useful_percent") == "protected"  # 11 of 12: 1 did not
    assert hidden(records, "by_service", "nav", "listened_percent") == "protected"  # 10 of 13: 3 did not
    assert hidden(records, "by_service", "nav", "answered_percent") == "protected"  # 7 of 10 published
    assert hidden(records, "by_service", "nav", "change_percent") == "protected"  # 7 answers
    assert hidden(records, "by_service", "school", "useful_percent") == "protected"
    assert hidden(records, "by_domain", "economy", "useful_percent") == "protected"


def test_counts_are_protected_with_the_total_held_fixed(app, db, client):
    load_known(db)
    records = as_records(client, QUERY_Q1)
    # Areas: Kattem 13, Saupstad 8, no area 3, the rest 0; total 24 published. The 3 is
    # "fewer than 5"; Saupstad, the next smallest, is hidden so the 3 cannot be worked out.
    assert shown(records, "summary", "all", "experiences") == 24
    assert shown(records, "by_area", "kattem", "experiences") == 13
    assert hidden(records, "by_area", "saupstad", "experiences") == "secondary"
    assert hidden(records, "by_area", "none", "experiences") == "small:<5"
    assert shown(records, "by_area", "ila-midtbyen", "experiences") == 0
    # Services explained to: 5, 7, 6, then 1, 1, 1, 1 and 2 with no answer (all "fewer than 5";
    # they hold each other: four 1s and a 2 in some order).
    distribution = [pick(records, "services_explained", key, "experiences") for key in tables.EXPLAINED_KEYS]
    assert [r["value"] for r in distribution[:3]] == [5, 7, 6]
    assert [r["reason"] for r in distribution[3:]] == ["small:<5"] * 5
    assert shown(records, "services_explained", "total", "experiences") == 24
    # Services: NAV 15, school 7, child welfare 4 ("fewer than 5"); school hidden to protect it.
    assert shown(records, "by_service", "nav", "experiences") == 15
    assert hidden(records, "by_service", "school", "experiences") == "secondary"
    assert hidden(records, "by_service", "child-welfare", "experiences") == "small:<5"
    # Life domains need no secondary suppression: economy 8, housing 6.
    assert shown(records, "by_domain", "economy", "experiences") == 8
    assert shown(records, "by_domain", "housing", "experiences") == 6
    # Per group, the distribution is published as shares only, where at least 5 answered each way:
    # Kattem's 13 answers are 4, 3, 4, 1, 0, 1, 0, so none shows.
    assert hidden(records, "services_explained_shares", "kattem", "answer_percent", "0") == "protected"  # 4 of 13
    assert hidden(records, "services_explained_shares", "kattem", "answer_percent", "4") == "protected"  # 0 of 13
    assert hidden(records, "services_explained_shares", "saupstad", "answer_percent", "0") == "protected"
    assert not [r for r in records if r["table"] == "services_explained_shares" and r["measure"] == "experiences"]


def test_new_and_rejected_stories_never_count(app, db, client):
    refs = Refs(db)
    for _ in range(12):
        tell(db, refs, at=datetime(2025, 2, 1, tzinfo=UTC), status="new", usefulness=5, area="kattem")
        tell(db, refs, at=datetime(2025, 2, 1, tzinfo=UTC), status="rejected", usefulness=5, area="kattem")
    experience, _code = make_experience(app, db, usefulness=5)  # through the real service: status "new"
    experience.created_at = datetime(2025, 2, 2, tzinfo=UTC)
    db.add(experience)
    db.commit()
    moderation.decide(session=db, now=utcnow(), experience=experience, moderator=make_user(app, db)[0], decision="internal",
                      published_story="")  # the moderator's decision makes it count
    db.commit()
    assert hidden(as_records(client, QUERY_Q1), "summary", "all", "experiences") == "small:<5"  # 1, never the 24 others


def test_a_published_quarter_never_changes(app, db, client):
    """Once published, later decisions, deletions and re-tags change nothing of what the
    quarter shows: no before/after difference can reveal one family."""
    load_known(db)
    before = as_records(client, QUERY_Q1)
    refs = Refs(db)
    tell(db, refs, at=datetime(2025, 2, 20, tzinfo=UTC), usefulness=1, area="kattem")  # decided later
    story = db.exec(select(Experience).where(Experience.status == "published")).first()
    experiences.delete_experience(session=db, experience=story)  # a family deletes its story
    db.commit()
    assert as_records(client, QUERY_Q1) == before


def test_trend_count_is_the_count_each_period_shows_on_its_own(app, db, client):
    load_known(db)
    records = as_records(client, "period_type=quarter&period=2025-Q2")
    trend = {r["group"]: r for r in records if r["table"] == "trend" and r["measure"] == "experiences"}
    assert list(trend) == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]  # published quarters
    for key, record in trend.items():
        own = pick(as_records(client, f"period_type=quarter&period={key}"), "summary", "all", "experiences")
        assert (record["value"], record["status"]) == (own["value"], own["status"])
    assert trend["2025-Q1"]["value"] == 24


def test_a_filtered_view_shows_the_count_of_the_unfiltered_table(app, db, client):
    load_known(db)
    full = as_records(client, QUERY_Q1)
    for dimension, group in (("area", "kattem"), ("service", "nav"), ("service", "child-welfare"), ("domain", "economy")):
        records = as_records(client, f"{QUERY_Q1}&{dimension}={group}")
        mine = pick(records, "summary", "all", "experiences")
        theirs = pick(full, f"by_{dimension}", group, "experiences")
        assert (mine["value"], mine["status"]) == (theirs["value"], theirs["status"])
        trend = [r for r in records if r["table"] == "trend" and r["measure"] == "experiences" and r["group"] == Q1]
        assert (trend[0]["value"], trend[0]["status"]) == (theirs["value"], theirs["status"])
    nav = as_records(client, f"{QUERY_Q1}&service=nav")
    mine, theirs = pick(nav, "summary", "all", "useful_percent"), pick(full, "by_service", "nav", "useful_percent")
    assert (mine["value"], mine["status"]) == (theirs["value"], theirs["status"])
    # Inside the filter, breakdowns by other dimensions give shares but no counts.
    assert not [r for r in nav if r["table"] == "by_area" and r["measure"] == "experiences"]
    assert [r for r in nav if r["table"] == "by_service" and r["measure"] == "experiences"]


def test_combined_filters_show_shares_but_no_counts(app, db, client):
    load_known(db)
    records = as_records(client, f"{QUERY_Q1}&area=kattem&service=nav")
    assert not [r for r in records if r["measure"] == "experiences"]
    # Kattem and NAV: 1, 2, 3, 6, 7, 17, 21, 24: usefulness given 6 times (<10).
    assert hidden(records, "summary", "all", "useful_percent") == "protected"
    page = client.get(f"/figures/?{QUERY_Q1}&area=kattem&service=nav&lang=en").get_data(as_text=True)
    assert "we show shares only" in page


def test_higher_thresholds_from_config(database_url, db, app):
    load_known(db)
    strict = create_app({**test_config(database_url), "DISCLOSURE_MIN_COUNT": 10, "DISCLOSURE_MIN_ANSWERS": 15})
    records = as_records(strict.test_client(), QUERY_Q1)
    assert hidden(records, "by_area", "saupstad", "experiences").startswith("small:<10")  # 8
    assert hidden(records, "by_area", "kattem", "useful_percent") == "protected"  # 10 answers < 15
    assert hidden(records, "summary", "all", "useful_percent") == "protected"  # 6 of 20 did not: fewer than 10
    assert shown(records, "summary", "all", "experiences") == 24


@pytest.mark.parametrize("setting", [{"DISCLOSURE_MIN_COUNT": 3}, {"DISCLOSURE_MIN_ANSWERS": 9}])
def test_thresholds_below_the_floor_refuse_to_start(database_url, setting):
    with pytest.raises(ValueError):
        create_app({**test_config(database_url), **setting})


# --------------------------------------------------------------------------
# The dashboard page
# --------------------------------------------------------------------------


NUMBER_CELL = re.compile(r'<(?:td|dd) class="num count">([^<]*)</(?:td|dd)>')  # counts (not shares or medians)


def test_dashboard_shows_figures_charts_tables_and_no_inline_styles(app, db, client):
    load_known(db)
    response = client.get(f"/figures/?{QUERY_Q1}&lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Figures for 1st quarter 2025" in page
    assert "70%" in page and "57.9%" not in page  # shares are whole per cents on the page
    assert "fewer than 5" in page and "too few answers" in page
    charts = re.findall(r'<svg class="chart"[^>]*>', page)
    assert len(charts) >= 6
    for tag in charts:
        assert 'role="img"' in tag
        labelled = re.search(r'aria-labelledby="([^"]+)"', tag).group(1)
        described = re.search(r'aria-describedby="([^"]+)"', tag).group(1)
        assert f'<title id="{labelled}">' in page and f'<desc id="{described}">' in page
    assert page.count("<figcaption>") == len(charts)
    assert "<table" in page and 'class="table-wrap"' in page
    assert "style=" not in page and "<style" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert 'data-hx-get="/figures/"' in page and 'data-hx-select="#figures"' in page and 'data-hx-push-url="true"' in page


def test_dashboard_never_shows_one_to_four(app, db, client):
    load_known(db)
    for query in (QUERY_Q1, f"{QUERY_Q1}&area=saupstad", f"{QUERY_Q1}&service=child-welfare", "period_type=month&period=2025-02"):
        page = client.get(f"/figures/?{query}&lang=en").get_data(as_text=True)
        numbers = NUMBER_CELL.findall(page)
        assert numbers
        assert not [n for n in numbers if n.strip() in {"1", "2", "3", "4"}], query
        values = re.findall(r'<text class="chart-value"[^>]*>(?:<tspan[^>]*>)([^<]*)<', page)
        assert not [v for v in values if v.strip() in {"1", "2", "3", "4"}]


@pytest.mark.parametrize("code", list(LOCALES))
def test_dashboard_in_every_language(app, db, client, code):
    load_known(db)
    page = client.get(f"/figures/?{QUERY_Q1}&lang={code}").get_data(as_text=True)
    info = LOCALES[code]
    assert f'<html lang="{info.tag}" dir="{info.direction}">' in page
    assert 'id="figures"' in page
    if info.is_rtl:  # labels of the bar charts are right-aligned and read right to left
        assert 'direction="rtl"' in page


def test_names_are_escaped_in_the_page_and_its_charts(app, db, client):
    load_known(db)
    row = db.exec(select(Area).where(Area.slug == "kattem")).one()
    row.name = '<svg onload=alert(1)>"><script>x</script>'
    db.add(row)
    db.commit()
    page = client.get(f"/figures/?{QUERY_Q1}&lang=en").get_data(as_text=True)
    assert "<svg onload" not in page and "<script>x" not in page
    assert "&lt;svg onload=alert(1)&gt;" in page
    document = client.get(f"/figures/download.json?{QUERY_Q1}").get_data(as_text=True)
    assert json.loads(document)["records"]  # JSON carries the name as data, served as application/json


def test_htmx_gets_the_figures_part_only(app, db, client):
    load_known(db)
    response = client.get(f"/figures/?{QUERY_Q1}&area=kattem", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="figures"' in page and "<html" not in page


def _links(page: str) -> dict[str, str]:
    """Link text -> address, for the links to other views of the figures."""
    found = re.findall(r'<a href="(/figures/\?[^"]*)" data-hx-get="\1"[^>]*>([^<]+)</a>', page)
    return {html.unescape(text.strip()): html.unescape(href) for href, text in found}


def test_links_lead_to_other_periods_and_groups(app, db, client):
    load_known(db)
    page = client.get(f"/figures/?{QUERY_Q1}&lang=en").get_data(as_text=True)
    links = _links(page)
    # Every group of a breakdown leads to the same view narrowed to it (not "area not given").
    assert links["Kattem"] == "/figures/?period_type=quarter&period=2025-Q1&area=kattem"
    assert links["NAV (labour and welfare)"] == "/figures/?period_type=quarter&period=2025-Q1&service=nav"
    assert "Area not given" not in links
    assert "Show all experiences" not in links
    # Earlier and later periods, within what can be chosen.
    assert links["Next: 2nd quarter 2025"] == "/figures/?period_type=quarter&period=2025-Q2"
    assert links["Previous: 4th quarter 2024"] == "/figures/?period_type=quarter&period=2024-Q4"  # one story, 31 Dec
    # Quarters are published from the start of the year of the first story told.
    earliest = _links(client.get("/figures/?period_type=quarter&period=2024-Q1&lang=en").get_data(as_text=True))
    assert not any(text.startswith("Previous:") for text in earliest)
    narrowed = client.get(links["Kattem"] + "&lang=en").get_data(as_text=True)
    assert "Only experiences about: Kattem." in narrowed
    links = _links(narrowed)
    assert links["Show all experiences"] == "/figures/?period_type=quarter&period=2025-Q1"
    assert "Kattem" not in links  # the chosen group is not a link to itself
    assert links["School"] == "/figures/?period_type=quarter&period=2025-Q1&area=kattem&service=school"


def test_no_link_to_a_period_not_published(app, db, client):
    load_known(db)
    page = client.get("/figures/?lang=en").get_data(as_text=True)  # the latest published quarter
    assert not any(text.startswith("Next:") for text in _links(page))


def test_changing_the_period_type_without_javascript_keeps_the_time(app, db, client):
    load_known(db)
    page = client.get("/figures/?period_type=year&period=2025-Q2&lang=en").get_data(as_text=True)
    assert "Figures for 2025" in page
    page = client.get("/figures/?period_type=quarter&period=2025&lang=en").get_data(as_text=True)
    assert "Figures for 1st quarter 2025" in page or "Figures for Q1 2025" in page
    # An old link to a month shows the quarter it is in: months are not published.
    page = client.get("/figures/?period_type=month&period=2025-02&lang=en").get_data(as_text=True)
    assert "1st quarter 2025" in page or "Q1 2025" in page


def test_the_current_quarter_shows_nothing_until_it_is_published(app, db, client):
    refs = Refs(db)
    for _ in range(12):
        tell(db, refs, at=utcnow(), usefulness=4, area="kattem")
    db.commit()
    current = Period.containing("quarter", utcnow())
    response = client.get(f"/figures/?period_type=quarter&period={current.key}&lang=en")
    page = response.get_data(as_text=True)
    assert "are published on" in page and not NUMBER_CELL.search(page)
    assert client.get(f"/figures/download.json?period_type=quarter&period={current.key}").status_code == 404


@pytest.mark.parametrize("query", ["period_type=week", "period=garbage", "service=no-such-service", "area=x" * 40,
                                   "period_type=month&period=2025-13", "domain=unknown"])
def test_bad_queries_are_refused(app, client, query):
    assert client.get(f"/figures/?{query}").status_code == 400
    assert client.get(f"/figures/download.json?{query}").status_code == 400


def test_future_periods_are_not_offered(app, client):
    page = client.get("/figures/?period_type=year&period=2099&lang=en").get_data(as_text=True)
    assert "Figures for 2099" not in page


# --------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------


def test_csv_download(app, db, client):
    load_known(db)
    service_row = db.exec(select(Service).where(Service.slug == "school")).one()
    service_row.name = '=HYPERLINK("http://evil.example","x")'
    db.add(service_row)
    db.commit()
    response = client.get(f"/figures/download.csv?{QUERY_Q1}&lang=en")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"] and "2025-Q1" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0].keys() >= {"table", "group", "measure", "value", "status"}
    useful = [r for r in rows if r["table"] == "summary" and r["measure"] == "useful_percent"]
    assert useful[0]["value"] == "70"
    assert not [r for r in rows if r["group_label"].startswith("=")]
    assert [r for r in rows if r["group_label"].startswith("'=HYPERLINK")]
    for row in rows:
        if row["status"] == "..":
            assert row["value"] == ""


def test_json_download(app, db, client):
    load_known(db)
    document = client.get(f"/figures/download.json?{QUERY_Q1}&service=nav").get_json()
    assert document["period"]["key"] == Q1 and document["period"]["time_zone"] == "Europe/Oslo"
    assert document["filters"] == {"area": None, "service": "nav", "domain": None}
    assert document["disclosure"] == {"min_count": 5, "min_answers": 10}
    assert document["notes"]


@pytest.mark.parametrize("table", ["experiences", "trend", "explained", "cocreation"])
def test_jsonstat_download(app, db, client, table):
    load_known(db)
    response = client.get(f"/figures/download.jsonstat?{QUERY_Q1}&table={table}&lang=en")
    assert response.status_code == 200
    data = json.loads(response.data)
    assert data["version"] == "2.0" and data["class"] == "dataset"
    assert len(data["id"]) == len(data["size"])
    cells = 1
    for name, size in zip(data["id"], data["size"]):
        category = data["dimension"][name]["category"]
        assert len(category["index"]) == size and set(category["label"]) == set(category["index"])
        cells *= size
    assert len(data["value"]) == cells
    # "status" holds only the marked cells, by index: every other cell has a value.
    assert set(data["status"].values()) <= {"..", "."}
    for index, value in enumerate(data["value"]):
        if str(index) in data["status"]:
            assert value is None
        else:
            assert value is not None
    assert data["note"]
    if table == "experiences":
        index = data["dimension"]
        position = ((0 * data["size"][1] + index["group"]["category"]["index"]["all"]) * data["size"][2]
                    + index["measure"]["category"]["index"]["useful_percent"])
        assert data["value"][position] == 70
        assert ".." in data["status"].values()
        assert data["dimension"]["measure"]["category"]["unit"]["useful_percent"]["decimals"] == 0


def test_download_formats_and_tables_are_checked(app, client):
    assert client.get("/figures/download.xml").status_code == 404
    assert client.get("/figures/download.jsonstat?table=secrets").status_code == 400


# --------------------------------------------------------------------------
# Monitoring feed
# --------------------------------------------------------------------------


@pytest.fixture
def metrics_app(database_url, app):
    return create_app({**test_config(database_url), "METRICS_TOKEN": "s3cret-token-for-tests"})


def test_metrics_is_hidden_without_a_token(app, client):
    assert client.get("/figures/metrics").status_code == 404


def test_metrics_needs_the_bearer_token(metrics_app):
    client = metrics_app.test_client()
    assert client.get("/figures/metrics").status_code == 401
    assert client.get("/figures/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/figures/metrics", headers={"Authorization": "Basic s3cret-token-for-tests"}).status_code == 401
    response = client.get("/figures/metrics", headers={"Authorization": "Bearer s3cret-token-for-tests"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")


def test_metrics_report_health_and_protected_figures(database_url, app, db):
    from voice.clock import FixedClock

    # The feed gives the latest published quarter: at this moment, the first of 2025.
    now = datetime(2025, 5, 1, 12, tzinfo=UTC)
    metrics_app = create_app({**test_config(database_url), "METRICS_TOKEN": "s3cret-token-for-tests",
                              "VOICE_CLOCK": FixedClock(now)})
    refs = Refs(db)
    at = datetime(2025, 3, 1, 12, tzinfo=UTC)
    for i in range(12):
        tell(db, refs, at=at - timedelta(minutes=i + 1), usefulness=4 if i < 7 else 2, listened="yes", explained=1,
             area="kattem")
    for i in range(3):  # "fewer than 5": left out of the feed
        tell(db, refs, at=at - timedelta(minutes=i + 1), usefulness=1, area="saupstad")
    for i in range(6):  # hidden as well, so that the 3 cannot be worked out from the total
        tell(db, refs, at=at - timedelta(minutes=i + 1), usefulness=5, area="lademoen-mollenberg")
    db.commit()

    @metrics_app.route("/boom-for-test")
    def _boom():
        raise RuntimeError("boom")

    client = metrics_app.test_client()
    client.get("/figures/?lang=en")
    client.get("/no-such-page")
    with pytest.raises(RuntimeError):
        client.get("/boom-for-test")
    text = client.get("/figures/metrics", headers={"Authorization": "Bearer s3cret-token-for-tests"}).get_data(as_text=True)
    assert 'voice_http_requests_total{endpoint="figures.dashboard",status_class="2xx"} 1.0' in text
    assert 'voice_http_requests_total{endpoint="unmatched",status_class="4xx"} 1.0' in text
    assert 'voice_http_exceptions_total{endpoint="_boom"} 1.0' in text
    assert 'voice_http_request_duration_seconds_bucket{endpoint="figures.dashboard",le="+Inf"} 1.0' in text
    quarter = "2025-Q1"
    assert f'voice_experiences{{dimension="area",group="kattem",period="{quarter}",period_type="quarter"}} 12.0' in text
    # 7 of 12 found it useful, 5 did not: both could be counts, so the share is given (whole per cent).
    assert f'voice_experience_useful_ratio{{dimension="area",group="kattem",period="{quarter}",period_type="quarter"}} 0.58' in text
    assert f'voice_experiences{{dimension="area",group="saupstad",period="{quarter}",period_type="quarter"}}' not in text
    assert 'group="lademoen-mollenberg",period="' + quarter + '",period_type="quarter"} 6.0' not in text
    assert f'voice_experiences{{dimension="all",group="all",period="{quarter}",period_type="quarter"}} 21.0' in text
    assert 'period_type="month"' not in text  # months are not published
    for line in text.splitlines():
        if line.startswith(("voice_experiences{", "voice_cocreation_signups{")):
            assert float(line.rsplit(" ", 1)[1]) not in (1.0, 2.0, 3.0, 4.0), line
    openmetrics = client.get("/figures/metrics?period_type=quarter", headers={
        "Authorization": "Bearer s3cret-token-for-tests", "Accept": "application/openmetrics-text; version=1.0.0"})
    assert openmetrics.content_type.startswith("application/openmetrics-text")
    assert openmetrics.get_data(as_text=True).rstrip().endswith("# EOF")
    assert 'period_type="year"' not in openmetrics.get_data(as_text=True)


def test_each_app_has_its_own_registry(metrics_app, database_url):
    other = create_app({**test_config(database_url), "METRICS_TOKEN": "another-token"})
    assert other.extensions["voice_metrics"].registry is not metrics_app.extensions["voice_metrics"].registry
    metrics_app.test_client().get("/figures/?lang=en")
    text = other.test_client().get("/figures/metrics", headers={"Authorization": "Bearer another-token"}).get_data(as_text=True)
    assert 'endpoint="figures.dashboard"' not in text


# --------------------------------------------------------------------------
# Sample figures
# --------------------------------------------------------------------------


def test_sample_figures(app, db, client):
    from voice.figures.sample import add_sample_figures

    assert add_sample_figures(session=db, now=utcnow(), count=400) == 400
    db.commit()
    rows = db.exec(select(Experience)).all()
    assert len(rows) == 400
    assert all(row.story.startswith("[SAMPLE]") for row in rows)
    assert {row.status for row in rows} == {"published", "internal"}
    oldest = min(row.created_at for row in rows)
    assert datetime.now(UTC) - oldest <= timedelta(days=460)
    assert len({row.area_id for row in rows}) > 5 and len({row.usefulness for row in rows}) == 6
    page = client.get("/figures/?period_type=year&lang=en").get_data(as_text=True)
    assert re.search(r'<dd class="num count">\d{2,}</dd>', page)  # a real count, not "fewer than 5"


# --------------------------------------------------------------------------
# Property: whatever the data, nothing from 1 to 4 and no share from fewer than 10
# --------------------------------------------------------------------------

AREAS = [None, "kattem", "saupstad"]
SERVICES = ["nav", "school", "child-welfare"]
experiences_strategy = st.lists(
    st.tuples(
        st.sampled_from(["published", "internal", "new"]),
        st.sampled_from([None, 1, 2, 3, 4, 5]),
        st.sampled_from([None, "yes", "no"]),
        st.sampled_from([None, 0, 1, 2, 6]),
        st.sampled_from(AREAS),
        st.sets(st.sampled_from(SERVICES), min_size=1, max_size=2),
        st.integers(min_value=1, max_value=3),  # month of 2025
    ),
    max_size=45,
)


def _truth(data, *, area=None, service_slug=None, answered=lambda item: True):
    return sum(1 for item in data if item[0] != "new" and (area is None or item[4] == area)
               and (service_slug is None or service_slug in item[5]) and answered(item))


QUESTIONS = {"useful_percent": lambda i: i[1] is not None, "listened_percent": lambda i: i[2] is not None,
             "services_explained_median": lambda i: i[3] is not None}
YES = {"useful_percent": lambda i: i[1] is not None and i[1] >= 4, "listened_percent": lambda i: i[2] == "yes",
       "services_explained_median": lambda i: False}


def _answers_behind(record, data, view_area, view_service, answered=None):
    """The true number of answers behind a published share or median (or of those of them
    for whom ``answered`` holds)."""
    question = answered or QUESTIONS[record["measure"]]
    area, service_slug = view_area, view_service
    if record["table"] == "by_area":
        area = None if record["group"] == "none" else record["group"]
        if record["group"] == "none":
            return sum(1 for i in data if i[0] != "new" and i[4] is None and question(i)
                       and (service_slug is None or service_slug in i[5]))
    if record["table"] == "by_service":
        service_slug = record["group"]
    return _truth(data, area=area, service_slug=service_slug, answered=question)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=experiences_strategy)
def test_no_view_ever_shows_one_to_four_or_a_share_from_few_answers(app, db, client, data):
    for table in (ServiceAnswer, ExperienceDomain, ExperienceService, Experience, ExperienceTally, PublishedQuarter,
                  TallySnapshot):
        db.connection().execute(delete(table))  # the whole slate, tally and published quarters included
    db.commit()
    limiter.reset()  # each example reads the downloads afresh
    db.expunge_all()
    refs = Refs(db)
    for status, useful, listened, explained, area, services, month in data:
        tell(db, refs, at=datetime(2025, month, 10, tzinfo=UTC), status=status, usefulness=useful, listened=listened,
             explained=explained, area=area, services=sorted(services))
    db.commit()
    if not any(item[0] != "new" for item in data):
        assert client.get(f"/figures/download.json?{QUERY_Q1}").status_code == 404  # nothing to publish
        return
    for view_area, view_service in ((None, None), ("kattem", None), (None, "nav"), ("saupstad", "school")):
        query = QUERY_Q1 + (f"&area={view_area}" if view_area else "") + (f"&service={view_service}" if view_service else "")
        for record in as_records(client, query):
            if record["status"] != "":
                assert record["value"] is None
                continue
            if record["measure"] in ("experiences", "sessions", "signups"):
                assert not 1 <= record["value"] <= 4, record
            elif record["measure"] in ("useful_percent", "listened_percent", "services_explained_median") \
                    and record["table"] in ("summary", "by_area", "by_service"):
                n = _answers_behind(record, data, view_area, view_service)
                assert n >= 10, record
                if record["measure"] != "services_explained_median":  # neither side of a share is 1-4
                    k = _answers_behind(record, data, view_area, view_service, answered=YES[record["measure"]])
                    assert not 1 <= k <= 4 and not 1 <= n - k <= 4, (record, k, n)
        page = client.get(f"/figures/?{query}&lang=en").get_data(as_text=True)
        assert not [n for n in NUMBER_CELL.findall(page) if n.strip() in {"1", "2", "3", "4"}]


def _alternative_exists(counts, cells, total, minimum):
    """Can a reader who knows the published cells, the labels, the rules and the total
    find a second table? With one equation (the total), a move of +1 on one hidden
    cell and -1 on another is enough to decide it."""
    hidden = [i for i, cell in enumerate(cells) if cell.suppressed]
    fallback = not any(cells[i].reason == REASON_SMALL for i in hidden)
    zeros_hidden = all(cell.suppressed for cell in cells)

    def bounds(i):
        if cells[i].reason == REASON_SMALL:
            return 1, minimum - 1
        if fallback:
            return (0 if zeros_hidden else 1), None
        return minimum, None

    exposed = []
    for i in hidden:
        ok = False
        for j in hidden:
            if i == j:
                continue
            for up, down in ((i, j), (j, i)):
                _lo_up, hi_up = bounds(up)
                lo_down, _hi = bounds(down)
                if (hi_up is None or counts[up] + 1 <= hi_up) and counts[down] - 1 >= lo_down:
                    ok = True
        if not ok:
            exposed.append(i)
    return exposed


@settings(max_examples=400, deadline=None)
@given(counts=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=7))
def test_breakdowns_of_a_published_total_give_nothing_away(counts):
    policy = DisclosurePolicy()
    total = suppress_count(sum(counts), policy)
    cells = tables.protect_with_total(counts, total, policy)
    for value, cell in zip(counts, cells):
        assert cell.suppressed or cell.value == value
        assert cell.suppressed or not 1 <= value <= 4
    if total.suppressed:
        assert all(cell.suppressed for cell in cells)
    else:
        assert _alternative_exists(counts, cells, sum(counts), policy.min_count) == []


@pytest.mark.parametrize("counts,expected", [
    ([4, 4], ["secondary", "secondary"]),       # the module would hide the 8: hide both, unlabelled
    ([1, 5, 5], ["secondary"] * 3),
    ([1, 1, 1, 1, 1, 0], ["secondary"] * 6),   # all ones: the zero is hidden too
    ([13, 8, 0, 3], [13, "secondary", 0, "small"]),
])
def test_protect_with_total_examples(counts, expected):
    policy = DisclosurePolicy()
    cells = tables.protect_with_total(counts, suppress_count(sum(counts), policy), policy)
    assert [cell.value if not cell.suppressed else cell.reason for cell in cells] == expected


def test_policy_is_built_from_the_config(app):
    assert app.extensions["voice_disclosure_policy"] == DisclosurePolicy(5, 10)
