"""Co-creation sessions: organising, signing up, waiting lists, calendars, reminders, purge."""
from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlmodel import select

from voice.cocreation.models import CoSession, Signup
from voice.mail.models import OutboxMessage

from .conftest import CSRF_RE
from .factories import make_session, make_user

XSS = '<svg onload=alert(1)>"><script>alert(2)</script>'


def signup_form(**overrides):
    data = {"name": "Amina", "adults": "1", "children": "2", "interpreter_lang": "ar", "form_token": "f" * 30}
    data.update(overrides)
    return data


def sign_up(post, cosession, **overrides):
    return post(f"/sessions/{cosession.public_id}/signup?lang=en", signup_form(**overrides), token_from=f"/sessions/{cosession.public_id}")


def manage_link(response) -> str:
    match = re.search(r'href="http://localhost(/sessions/signup/[^"]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_a_family_finds_a_session_in_its_area(app, client, db):
    make_session(app, db, title="Saupstad family café", area_slug="saupstad")
    make_session(app, db, title="Kattem homework help", area_slug="kattem", kind="family-activity")
    page = client.get("/sessions/?area=saupstad&lang=en").get_data(as_text=True)
    assert "Saupstad family café" in page and "Kattem homework help" not in page
    page = client.get("/sessions/?kind=family-activity&lang=en").get_data(as_text=True)
    assert "Kattem homework help" in page and "Saupstad family café" not in page
    assert client.get("/sessions/?area=<svg>").status_code == 200  # an unknown area shows all
    assert client.get("/sessions/?from_day=notadate").status_code == 400


def test_sign_up_without_an_account_and_cancel_by_private_link(app, client, post, db):
    cosession = make_session(app, db, capacity=5)
    response = sign_up(post, cosession, email="amina@example.no")
    assert response.status_code == 200
    assert "You are signed up" in response.get_data(as_text=True)
    signup = db.exec(select(Signup)).one()
    assert (signup.status, signup.adults, signup.children, signup.interpreter_lang) == ("confirmed", 1, 2, "ar")
    db.refresh(cosession)
    assert cosession.seats_taken == 3
    mail = db.exec(select(OutboxMessage)).one()
    assert mail.to_address == "amina@example.no" and mail.attachment_type == "text/calendar"

    link = manage_link(response)
    assert "Cancel my place" in client.get(link + "?lang=en", follow_redirects=True).get_data(as_text=True)
    assert app.test_client().get(link.replace("signup/", "signup/x"), follow_redirects=True).status_code == 404
    assert client.post("/sessions/signup/cancel").status_code == 400  # no CSRF token
    done = post("/sessions/signup/cancel?lang=en", {}, token_from="/sessions/signup")
    assert "Your place is cancelled" in done.get_data(as_text=True)
    db.expire_all()
    assert db.get(Signup, signup.id).status == "cancelled" and db.get(CoSession, cosession.id).seats_taken == 0


def test_capacity_waiting_list_and_promotion_in_order(app, client, post, db):
    cosession = make_session(app, db, capacity=4)
    first = sign_up(post, cosession, form_token="a" * 30, adults="2", children="1", email="first@example.no")
    second = sign_up(post, cosession, form_token="b" * 30, adults="1", children="1", email="second@example.no")
    sign_up(post, cosession, form_token="c" * 30, adults="1", children="0", email="third@example.no")
    assert "You are signed up" in first.get_data(as_text=True)
    assert "You are on the waiting list" in second.get_data(as_text=True)
    statuses = {s.email: s.status for s in db.exec(select(Signup))}
    # The smaller family fits into the last seat even though it came later.
    assert statuses == {"first@example.no": "confirmed", "second@example.no": "waiting", "third@example.no": "confirmed"}

    client.get(manage_link(first))  # the private link, opened in this browser
    post("/sessions/signup/cancel", {}, token_from="/sessions/signup")
    db.expire_all()
    statuses = {s.email: s.status for s in db.exec(select(Signup))}
    assert statuses["second@example.no"] == "confirmed"
    assert db.get(CoSession, cosession.id).seats_taken == 3
    promoted_mail = [m for m in db.exec(select(OutboxMessage)) if m.to_address == "second@example.no"]
    assert any("free" in m.subject.lower() or "ledig" in m.subject.lower() for m in promoted_mail)


def test_no_double_sign_up(app, client, post, db):
    cosession = make_session(app, db)
    assert sign_up(post, cosession, email="amina@example.no").status_code == 200
    again = sign_up(post, cosession, form_token="z" * 30, email="AMINA@example.no")
    assert again.status_code == 409 and "already signed up" in again.get_data(as_text=True)
    same_form = sign_up(post, cosession)
    assert same_form.status_code == 409
    assert len(db.exec(select(Signup)).all()) == 1


def test_concurrent_sign_ups_never_over_book(app, db):
    cosession = make_session(app, db, capacity=5)
    clients, tokens = [], []
    for n in range(16):
        c = app.test_client()
        tokens.append(CSRF_RE.search(c.get(f"/sessions/{cosession.public_id}").get_data(as_text=True)).group(1))
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    results = [None] * len(clients)

    def go(n):
        barrier.wait()
        results[n] = clients[n].post(
            f"/sessions/{cosession.public_id}/signup",
            data={"csrf_token": tokens[n], **signup_form(form_token=f"race-{n:02d}-" + "x" * 20, adults="1", children="0")},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"},
        ).status_code

    threads = [threading.Thread(target=go, args=(n,)) for n in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acknowledged = [n for n, status in enumerate(results) if status == 200]
    assert set(results) <= {200, 503}, results
    db.expire_all()
    stored = db.exec(select(Signup)).all()
    assert sorted(s.form_token for s in stored) == sorted(f"race-{n:02d}-" + "x" * 20 for n in acknowledged)
    confirmed = [s for s in stored if s.status == "confirmed"]
    assert len(confirmed) == min(5, len(acknowledged))
    assert db.get(CoSession, cosession.id).seats_taken == len(confirmed) <= 5


def test_the_database_refuses_over_booking(app, db):
    from sqlalchemy.exc import IntegrityError

    cosession = make_session(app, db, capacity=2)
    cosession.seats_taken = 3
    db.add(cosession)
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


@pytest.mark.parametrize("day, start, expected_utc", [
    (date(2027, 3, 27), "18:00", datetime(2027, 3, 27, 17, 0, tzinfo=timezone.utc)),   # winter time, UTC+1
    (date(2027, 3, 28), "18:00", datetime(2027, 3, 28, 16, 0, tzinfo=timezone.utc)),   # summer time from 02:00
    (date(2027, 10, 30), "18:00", datetime(2027, 10, 30, 16, 0, tzinfo=timezone.utc)),
    (date(2027, 10, 31), "18:00", datetime(2027, 10, 31, 17, 0, tzinfo=timezone.utc)),
])
def test_times_are_correct_across_daylight_saving_changes(day, start, expected_utc):
    from voice.cocreation.service import oslo_to_utc

    assert oslo_to_utc(day, start) == expected_utc


def test_a_weekly_series_keeps_its_wall_clock_time_across_dst(app, db):
    rows = make_session(app, db, day=date(2027, 3, 20), start="17:30", end="19:00", repeat_weeks=3)
    assert len(rows) == 3 and len({r.series_id for r in rows}) == 1
    # 20 and 27 March are winter time (UTC+1); 3 April is summer time (UTC+2): 17:30 in Trondheim each week.
    assert [(r.starts_at.hour, r.starts_at.minute) for r in rows] == [(16, 30), (16, 30), (15, 30)]


def test_icalendar_output_parses_back(app, client, db):
    cosession = make_session(app, db, title="Språkkafé <b>æøå</b>", description="<p>Kom!</p><script>x()</script>")
    single = Calendar.from_ical(client.get(f"/sessions/{cosession.public_id}/calendar.ics").data)
    events = list(single.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == "Språkkafé <b>æøå</b>"
    assert event.decoded("DTSTART") == cosession.starts_at
    assert event.decoded("DTEND") == cosession.ends_at
    assert "script" not in str(event["DESCRIPTION"]) and "Kom!" in str(event["DESCRIPTION"])
    assert str(event["UID"]).startswith(cosession.public_id)
    feed = Calendar.from_ical(client.get("/sessions/calendar.ics?area=saupstad").data)
    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [str(event["UID"])]


def test_a_partners_session_is_published_only_after_approval(app, client, post, staff, db, login):
    staff("partner", organisation_kind="nonprofit")
    response = post("/organise/new?lang=en", {
        "title": "Homework help", "description": "<p>Help <strong>with</strong> homework</p><img src=x onerror=alert(1)>",
        "text_lang": "nb", "kind": "family-activity", "area": "kattem", "venue": "Kattem bibliotek",
        "day": (date.today() + timedelta(days=5)).isoformat(), "start_time": "17.00", "end_time": "18:30",
        "repeat_weeks": "1", "capacity": "20", "languages": ["nb", "so"],
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    cosession = db.exec(select(CoSession)).one()
    assert cosession.status == "pending" and cosession.organiser_kind == "nonprofit"
    assert "onerror" not in cosession.description and "<strong>with</strong>" in cosession.description
    anonymous = app.test_client()
    assert anonymous.get(f"/sessions/{cosession.public_id}").status_code == 404
    assert "Homework help" not in anonymous.get("/sessions/").get_data(as_text=True)
    assert client.post(f"/organise/{cosession.public_id}/approve", data={"csrf_token": CSRF_RE.search(client.get("/organise/").get_data(as_text=True)).group(1)}).status_code == 403

    staff("moderator")
    post(f"/organise/{cosession.public_id}/approve", {}, token_from="/organise/")
    db.expire_all()
    assert db.get(CoSession, cosession.id).status == "published"
    assert "Homework help" in anonymous.get("/sessions/").get_data(as_text=True)


def test_session_form_errors_are_shown_next_to_the_fields(app, post, staff):
    staff("partner")
    page = post("/organise/new?lang=en", {"title": "", "start_time": "25:00", "end_time": "10:00", "day": "2000-01-01", "capacity": "0", "repeat_weeks": "1"}).get_data(as_text=True)
    for message in ("Write a title.", "Enter the start time, for example 17:30.", "The date has passed", "Enter a number from 1 to 1000.", "Choose at least one language."):
        assert message in page
    assert "<title>Error:" in page


def test_only_organisers_and_staff_see_the_sign_up_list(app, client, post, staff, db):
    owner, _ = make_user(app, db, role="partner")
    cosession = make_session(app, db, organiser=owner)
    sign_up(post, cosession, name="Secret Family")
    staff("partner")  # another partner
    assert client.get(f"/organise/{cosession.public_id}").status_code == 403
    assert client.get(f"/organise/{cosession.public_id}/signups.csv").status_code == 403


def test_staff_cancel_a_session_and_everyone_is_told(app, client, post, staff, db):
    cosession = make_session(app, db, capacity=1)
    sign_up(post, cosession, form_token="a" * 30, adults="1", children="0", email="one@example.no")
    sign_up(post, cosession, form_token="b" * 30, adults="1", children="0", email="two@example.no")
    staff("moderator")
    response = post(f"/organise/{cosession.public_id}/cancel?lang=en", {"reason": "The venue is flooded"}, token_from="/organise/")
    assert response.status_code == 302
    told = {m.to_address for m in db.exec(select(OutboxMessage)) if "ancel" in m.subject or "vlyst" in m.subject}
    assert told == {"one@example.no", "two@example.no"}
    page = client.get(f"/sessions/{cosession.public_id}?lang=en").get_data(as_text=True)
    assert "This session is cancelled" in page and "The venue is flooded" in page


def test_attendance_outcome_and_rating_after_the_session(app, client, post, staff, db):
    cosession = make_session(app, db)
    response = sign_up(post, cosession)
    link = manage_link(response)
    signup = db.exec(select(Signup)).one()
    staff("moderator")
    post(f"/organise/{cosession.public_id}/attendance", {"attended": [str(signup.id)]}, token_from="/organise/")
    post(f"/organise/{cosession.public_id}/outcome", {"outcome": "<p>We will open the library on Sundays.</p>" + XSS}, token_from="/organise/")
    page = client.get(f"/sessions/{cosession.public_id}?lang=en").get_data(as_text=True)
    assert "We will open the library on Sundays." in page and "<svg onload" not in page and "<script>alert" not in page
    # Rating only after the session has ended.
    family = app.test_client()  # the family's own phone, with the private link
    family.get(link)
    from .conftest import CSRF_RE

    def rate(value, lang="en"):
        token = CSRF_RE.search(family.get("/sessions/signup").get_data(as_text=True)).group(1)
        return family.post(f"/sessions/signup/rate?lang={lang}", data={"csrf_token": token, "usefulness": value})

    assert rate("5").status_code == 409
    cosession.starts_at -= timedelta(days=20)
    cosession.ends_at -= timedelta(days=20)
    db.add(cosession)
    db.commit()
    assert "Thank you for your answer" in rate("4").get_data(as_text=True)
    db.expire_all()
    stored = db.get(Signup, signup.id)
    assert stored.attended is True and stored.usefulness == 4


def test_reminders_carry_the_calendar_file(app, db, post):
    cosession = make_session(app, db, day=date.today() + timedelta(days=2))
    cosession.starts_at = datetime.now(timezone.utc) + timedelta(hours=30)
    cosession.ends_at = cosession.starts_at + timedelta(hours=2)
    db.add(cosession)
    db.commit()
    sign_up(post, cosession, email="remind@example.no")
    result = app.test_cli_runner().invoke(args=["voice", "remind"])
    assert "Reminders queued: 1" in result.output
    again = app.test_cli_runner().invoke(args=["voice", "remind"])
    assert "Reminders queued: 0" in again.output
    reminder = [m for m in db.exec(select(OutboxMessage)) if m.to_address == "remind@example.no"][-1]
    assert Calendar.from_ical(reminder.attachment_body).walk("VEVENT")


def test_personal_details_are_purged_a_week_after_leaving_counts(app, db, post):
    from voice.clock import utcnow
    from voice.cocreation.service import purge_personal_data

    cosession = make_session(app, db)
    sign_up(post, cosession, email="gone@example.no", phone="912 34 567", accessibility="Wheelchair")
    cosession.ends_at = utcnow() - timedelta(days=8)
    cosession.starts_at = cosession.ends_at - timedelta(hours=2)
    db.add(cosession)
    db.commit()
    assert purge_personal_data(session=db, now=utcnow()) == 1
    db.commit()
    signup = db.exec(select(Signup)).one()
    assert (signup.name, signup.email, signup.phone, signup.accessibility) == ("", None, None, "")
    assert (signup.adults, signup.children, signup.status) == (1, 2, "confirmed")


@pytest.mark.parametrize("field", ["name", "accessibility"])
def test_hostile_text_in_sign_up_fields_is_escaped(app, client, post, staff, db, field):
    cosession = make_session(app, db)
    sign_up(post, cosession, **{field: XSS})
    staff("moderator")
    page = client.get(f"/organise/{cosession.public_id}").get_data(as_text=True)
    assert "<svg onload" not in page and "&lt;svg onload=alert(1)&gt;" in page


def test_hostile_text_in_session_fields_is_escaped(app, client, db):
    cosession = make_session(app, db, title=XSS, venue=XSS, cost=XSS, description=XSS)
    for url in (f"/sessions/{cosession.public_id}", "/sessions/"):
        page = client.get(url).get_data(as_text=True)
        assert "<svg onload" not in page and "<script>alert" not in page


def test_an_overlong_hidden_form_token_is_refused_not_a_crash(app, post, db):
    cosession = make_session(app, db)
    assert sign_up(post, cosession, form_token="t" * 65).status_code == 400
    assert db.exec(select(Signup)).all() == []
