"""Answer deadlines and criticality (issue 17, items 1 and 2), on SQLite and PostgreSQL: working
days without Norwegian public holidays (from the `holidays` library), the overdue list, the
digest, the admin's target per service, the answer-time figures checked against hand-computed
values, and the private criticality that orders the queue and goes only into the exports of
those who may read serious concerns."""
from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from voice.accounts.models import AuditEntry
from voice.clock import OSLO, FixedClock
from voice.experiences.models import Experience, ExperienceService, ServiceAnswer
from voice.mail.models import OutboxMessage
from voice.moderation import deadlines
from voice.reference.models import Service
from voice.workdays import due_date, is_working_day, working_days_between

from .factories import make_experience, make_user
from .test_export import run_export
from .test_figures import as_records, hidden, shown

UTC = timezone.utc


# --------------------------------------------------------------------------
# Working days (no database)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("day,working", [
    (date(2026, 4, 2), False),  # Maundy Thursday
    (date(2026, 4, 3), False),  # Good Friday
    (date(2026, 4, 6), False),  # Easter Monday
    (date(2026, 4, 7), True),
    (date(2026, 5, 1), False),  # 1 May
    (date(2026, 5, 14), False),  # Ascension Day
    (date(2026, 5, 25), False),  # Whit Monday
    (date(2026, 5, 18), True),  # the day after 17 May (a Sunday in 2026)
    (date(2026, 12, 24), True),  # Christmas Eve is not a public holiday
    (date(2026, 12, 25), False),
    (date(2026, 12, 26), False),
    (date(2027, 3, 25), False),  # Maundy Thursday 2027: the moving feasts come from the library
    (date(2026, 12, 5), False),  # a Saturday
])
def test_working_days_know_the_norwegian_holidays(day, working):
    assert is_working_day(day) is working


def test_deadlines_are_counted_in_working_days():
    # Published Wednesday 1 April 2026: Easter takes 2, 3 and 6 April, and the weekend 4-5.
    assert working_days_between(date(2026, 4, 1), date(2026, 4, 8)) == 2
    assert due_date(date(2026, 4, 1), 10) == date(2026, 4, 20)  # 7-10, 13-17, 20 April
    # Published Friday 11 December 2026: Christmas Day and Boxing Day fall on Friday and Saturday.
    assert due_date(date(2026, 12, 11), 10) == date(2026, 12, 28)  # 14-18, 21-24, 28
    assert working_days_between(date(2026, 12, 4), date(2026, 12, 4)) == 0
    assert working_days_between(date(2026, 12, 4), date(2026, 12, 7)) == 1  # Friday to Monday


# --------------------------------------------------------------------------
# The overdue list and the digest
# --------------------------------------------------------------------------


def _published(db, *, on: date, services=("nav",), answered: dict | None = None) -> Experience:
    """A published story decided at noon (Oslo) on ``on``; ``answered``: service -> day of the answer."""
    ids = {s.slug: s.id for s in db.exec(select(Service))}
    at = datetime.combine(on, datetime.min.time().replace(hour=12), OSLO)
    experience = Experience(public_id=secrets.token_hex(16), created_at=at - timedelta(days=1), status="published",
                            story="Test.", published_story="Test.", receipt_locator="TEST0000", receipt_hash="!",
                            form_token=secrets.token_hex(16), consent_publish=True, decided_at=at)
    db.add(experience)
    db.flush()
    db.add_all(ExperienceService(experience_id=experience.id, service_id=ids[s]) for s in services)
    for slug, day in (answered or {}).items():
        db.add(ServiceAnswer(experience_id=experience.id, service_id=ids[slug], text="Svar.",
                             created_at=datetime.combine(day, datetime.min.time().replace(hour=12), OSLO)))
    db.flush()
    return experience


def test_the_overdue_list_is_per_service_and_oldest_first(app, db, client, staff, monkeypatch):
    today = date(2026, 4, 21)
    staff("moderator")  # before the clock stops: the authenticator code is of the real time
    monkeypatch.setitem(app.extensions, "voice_clock", FixedClock(datetime(2026, 4, 21, 10, tzinfo=UTC)))
    old = _published(db, on=date(2026, 3, 2), services=("nav", "school"))  # both late
    late = _published(db, on=date(2026, 4, 1))  # due 20 April: late on the 21st
    _published(db, on=date(2026, 4, 7))  # due 21 April: still in time today
    _published(db, on=date(2026, 3, 2), answered={"nav": date(2026, 3, 20)})  # answered late, but answered
    db.commit()
    found = deadlines.overdue(session=db, today=today)
    assert [(item.experience.id, item.service.slug) for item in found] == [
        (old.id, "nav"), (old.id, "school"), (late.id, "nav")]
    assert found[2].working_days == 11 and found[2].due == date(2026, 4, 20)
    assert [(s.slug, n) for s, n in deadlines.overdue_by_service(found)] == [("nav", 2), ("school", 1)]

    page = client.get("/moderation/overdue?lang=en").get_data(as_text=True)
    assert "Published stories past the answer deadline" in page
    assert page.index(old.public_id) < page.index(late.public_id)
    assert "11 working days without an answer" in page


def test_the_digest_names_the_late_services_and_the_very_serious_stories(app, db, monkeypatch):
    monkeypatch.setitem(app.extensions, "voice_clock", FixedClock(datetime(2026, 4, 21, 10, tzinfo=UTC)))
    make_user(app, db, role="moderator", wants_digest=True)
    _published(db, on=date(2026, 3, 2), services=("nav",))
    serious, _ = make_experience(app, db, story="Very hard words")
    serious.criticality = 5
    db.add(serious)
    db.commit()
    result = app.test_cli_runner().invoke(args=["voice", "digest"])
    assert "Digest queued for 1" in result.output, result.output
    message = db.exec(select(OutboxMessage)).one()
    body = message.text_body
    assert "1 av dem er merket som svært alvorlig" in body or "very serious" in body, body
    assert "NAV: 1" in body or "Nav: 1" in body, body
    assert "/moderation/overdue" in body
    assert "Very hard words" not in body + message.html_body


# --------------------------------------------------------------------------
# The admin sets the target
# --------------------------------------------------------------------------


def test_an_admin_sets_a_services_answer_target(app, db, client, post, staff):
    staff("admin")
    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    path = f"/admin/reference/service/{nav.id}?lang=en"
    page = client.get(path).get_data(as_text=True)
    assert "Answer published stories within (working days)" in page
    form = {"slug": "nav", "name": nav.name, "position": "0", "is_active": "y", "answer_days": "0"}
    refused = post(path, form)
    assert refused.status_code == 400
    assert "Give a number from 1 to 60." in refused.get_data(as_text=True)
    assert 'value="0"' in refused.get_data(as_text=True)  # what was typed stays
    assert post(path, {**form, "answer_days": "15"}).status_code == 302
    db.expire_all()
    assert db.get(Service, nav.id).answer_days == 15


# --------------------------------------------------------------------------
# The answer-time figures, hand-computed
# --------------------------------------------------------------------------


def test_answer_times_in_the_figures_match_a_hand_count(app, db, client):
    # Published in 2026-Q2 (all answered by nav, target 10 working days):
    #   12 stories published Wed 1 April, answered on 8 April (2 working days: Easter) -> in time
    #   6 stories published Mon 4 May, answered on 26 May: 5-8, 11-13, 15, 18-22, 26 = 14 working
    #     days (14 May Ascension, 25 May Whit Monday and the weekends not counted) -> late
    #   3 stories published Mon 4 May, never answered -> late
    # In all: 21 due, 12 in time: 57%. Median of the 18 answered: 2 working days.
    for _ in range(12):
        _published(db, on=date(2026, 4, 1), answered={"nav": date(2026, 4, 8)})
    for _ in range(6):
        _published(db, on=date(2026, 5, 4), answered={"nav": date(2026, 5, 26)})
    for _ in range(3):
        _published(db, on=date(2026, 5, 4))
    # A median above 6 is a number of days, not the "6 or more" of the services families explained to:
    # 10 stories published Wed 1 July 2026, answered Wed 22 July = 15 working days (in 2026-Q3).
    for _ in range(10):
        _published(db, on=date(2026, 7, 1), answered={"nav": date(2026, 7, 22)})
    db.commit()
    records = as_records(client, "period_type=quarter&period=2026-Q2")
    assert shown(records, "summary", "all", "answered_in_time_percent") == 57
    assert shown(records, "by_service", "nav", "answered_in_time_percent") == 57
    assert shown(records, "summary", "all", "answer_days_median") == 2
    assert hidden(records, "by_service", "school", "answered_in_time_percent") == "protected"  # none
    from voice.figures.answer_times import live
    from voice.figures.periods import Period

    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    assert live(session=db, quarter=Period("quarter", 2026, 2), now=datetime(2026, 7, 20, tzinfo=UTC))[(nav.id, 14)] == (6, 0)
    page = client.get("/figures/?period_type=quarter&period=2026-Q2&lang=en").get_data(as_text=True)
    assert "Published stories answered within the target" in page

    page = client.get("/figures/?period_type=quarter&period=2026-Q3&lang=en").get_data(as_text=True)
    key = page.index("Working days to an answer (median)</dt>")
    assert '<dd class="num">15</dd>' in page[key:key + 200], page[key:key + 200]


# --------------------------------------------------------------------------
# Criticality
# --------------------------------------------------------------------------


def test_criticality_orders_the_queue_is_audited_and_stays_private(app, db, client, post, staff):
    staff("moderator")
    calm, _ = make_experience(app, db, story="Calm words")
    grave, _ = make_experience(app, db, story="Grave words")
    path = f"/moderation/experiences/{grave.public_id}/criticality"
    refused = post(path, {"criticality": "9"}, token_from=f"/moderation/experiences/{grave.public_id}")
    assert refused.status_code == 400
    assert 'id="criticality"' in refused.get_data(as_text=True)  # the page again, with the error at the field
    assert post(path, {"criticality": "4"}, token_from=f"/moderation/experiences/{grave.public_id}").status_code == 302
    db.expire_all()
    assert db.get(Experience, grave.id).criticality == 4
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "story_criticality")).one()
    assert json.loads(entry.detail) == {"from": 0, "to": 4}
    queue = client.get("/moderation/?lang=en").get_data(as_text=True)
    assert queue.index(grave.public_id) < queue.index(calm.public_id)  # the newest (calm) would come first
    assert "How serious: 4 of 5" in queue
    grave.status, grave.published_story, grave.decided_at = "published", "Grave words", grave.created_at
    grave.consent_publish = True
    db.add(grave)
    db.commit()
    public = client.get("/stories/?lang=en").get_data(as_text=True)
    assert "Grave words" in public and "How serious" not in public


@pytest.mark.parametrize("concerns,column", [(True, True), (False, False)])
def test_criticality_is_exported_only_to_those_who_may_read_concerns(app, db, client, post, staff, jobs, concerns, column):
    staff("moderator", handles_concerns=concerns)
    story, _ = make_experience(app, db, story="Words")
    story.status, story.published_story, story.criticality = "internal", "Words", 3
    db.add(story)
    db.commit()
    rows = list(csv.reader(io.StringIO(run_export(client, post, jobs).data.decode("utf-8-sig"))))
    assert ("How serious (0-5, staff only)" in rows[0]) is column
    if column:
        assert rows[1][rows[0].index("How serious (0-5, staff only)")] == "3"


def test_the_staff_home_shows_the_work_per_service(app, db, client, staff, monkeypatch):
    staff("moderator")
    monkeypatch.setitem(app.extensions, "voice_clock", FixedClock(datetime(2026, 4, 21, 10, tzinfo=UTC)))
    _published(db, on=date(2026, 3, 2), services=("nav", "school"))  # overdue for both
    # Decided 1 (the overdue one, told the day before), 1, 2 and 5 days after being told: median 1.5 for nav.
    for hours in (24, 48, 120):
        story = _published(db, on=date(2026, 4, 10), services=("nav",))
        story.created_at = story.decided_at - timedelta(hours=hours)
        db.add(story)
    make_experience(app, db, story="Waiting", service_slugs=["nav"])
    db.commit()
    from voice.moderation.service import workload

    rows = {(r.service.slug if r.service else "all"): r
            for r in workload(session=db, user=make_user(app, db, role="admin")[0], today=date(2026, 4, 21),
                              now=datetime(2026, 4, 21, 10, tzinfo=UTC))}
    assert (rows["nav"].waiting, rows["nav"].overdue, rows["nav"].decision_days) == (1, 1, 1.5)
    assert (rows["school"].waiting, rows["school"].overdue, rows["school"].decision_days) == (0, 1, 1.0)
    assert (rows["all"].waiting, rows["all"].overdue) == (1, 2)
    page = client.get("/moderation/?lang=en").get_data(as_text=True)
    assert "Work per service" in page and "Days from story to decision (median, last 90 days)" in page
