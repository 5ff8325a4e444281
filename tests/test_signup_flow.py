"""Signing up as a family would (issue 14, items 6-11): children optional, a labelled "no
interpreter" choice, what was asked for repeated back, no calendar for a waiting place until
one is given, a most-persons-per-sign-up rule, mistakes that do not count towards the limit,
and a language menu that works on the session page and its error page."""
from __future__ import annotations

import re
from email import message_from_string

from sqlmodel import select

from voice.cocreation.models import Signup
from voice.mail.models import OutboxMessage

from .factories import make_session
from .test_cocreation import sign_up, signup_form


def _mails(db, to):
    db.expire_all()
    return db.exec(select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id)).all()


def test_a_parent_who_comes_alone_leaves_children_empty_and_can_say_no_interpreter(app, client, post, db):
    cosession = make_session(app, db, capacity=5)
    page = client.get(f"/sessions/{cosession.public_id}?lang=en").get_data(as_text=True)
    assert re.search(r'<option[^>]*value=""[^>]*>No, I do not need an interpreter</option>', page)
    assert "Children (optional)" in page
    # Language options carry their own language, so a screen reader says them right.
    assert re.search(r'<option[^>]*value="ar"[^>]*lang="ar"', page)
    data = signup_form(children="", interpreter_lang="")
    response = sign_up(post, cosession, **data)
    assert response.status_code == 200, response.get_data(as_text=True)
    signup = db.exec(select(Signup)).one()
    assert (signup.adults, signup.children, signup.interpreter_lang) == (1, 0, "")


def test_the_confirmation_page_and_mail_repeat_what_was_asked_for(app, client, post, db):
    cosession = make_session(app, db, capacity=5, venue="Saupstad senter, Krokstien 2, 7078 Saupstad",
                             start="17:00", end="19:30")
    response = sign_up(post, cosession, email="amina@example.no", needs_childcare="y",
                       accessibility="A ramp for a wheelchair <svg onload=alert(1)>")
    page = response.get_data(as_text=True)
    for shown in ("العربية", "Yes, during the session", "A ramp for a wheelchair &lt;svg onload=alert(1)&gt;",
                  "Krokstien 2, 7078 Saupstad", "17:00", "19:30", "1 adult", "2 children"):
        assert shown in page, shown
    assert "<svg onload" not in page
    assert "Add to my calendar" in page  # a place was given
    mail = _mails(db, "amina@example.no")[0]
    for shown in ("You have a place at", "Interpreter: العربية", "Childcare: Yes, during the session",
                  "Krokstien 2, 7078 Saupstad", "17:00", "19:30"):
        assert shown in mail.text_body, shown
    assert mail.attachment_type == "text/calendar"
    # The private page says the same.
    link = re.search(r'href="http://localhost(/sessions/signup/[^"]+)"', page).group(1)
    private = client.get(link + "?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "العربية" in private and "Yes, during the session" in private and "19:30" in private


def test_a_waiting_place_is_never_shown_as_a_place_until_one_is_given(app, client, post, db):
    cosession = make_session(app, db, capacity=3)
    first = sign_up(post, cosession, form_token="a" * 30, adults="1", children="2", email="first@example.no")
    waiting = sign_up(post, cosession, form_token="b" * 30, adults="1", children="0", email="second@example.no")
    page = waiting.get_data(as_text=True)
    assert "You are on the waiting list" in page and "You do not have a place yet." in page
    assert "Add to my calendar" not in page and "calendar.ics" not in page
    mail = _mails(db, "second@example.no")[0]
    assert mail.attachment_type is None and "You do not have a place yet." in mail.text_body
    assert "You have a place" not in mail.text_body
    private = re.search(r'href="http://localhost(/sessions/signup/[^"]+)"', page).group(1)
    other = app.test_client()
    assert "calendar.ics" not in other.get(private + "?lang=en", follow_redirects=True).get_data(as_text=True)

    # The first family cancels: the place is given, and the message brings the calendar file.
    first_link = re.search(r'href="http://localhost(/sessions/signup/[^"]+)"', first.get_data(as_text=True)).group(1)
    client.get(first_link, follow_redirects=True)
    post("/sessions/signup/cancel?lang=en", {}, token_from="/sessions/signup")
    promoted = _mails(db, "second@example.no")[-1]
    assert promoted.attachment_type == "text/calendar"
    parsed = message_from_string("Subject: x\n\n" + promoted.text_body)
    assert "calendar" in parsed.get_payload().lower()
    assert "calendar.ics" in other.get(private + "?lang=en", follow_redirects=True).get_data(as_text=True)


def test_one_sign_up_cannot_take_every_place(app, client, post, db):
    cosession = make_session(app, db, capacity=12)
    assert cosession.max_per_signup == 6
    response = sign_up(post, cosession, name="Big <b>family</b>", adults="4", children="8", accessibility="A quiet room")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "One sign-up can bring at most 6 persons. For more, contact the organiser." in page
    assert 'id="adults-error"' in page
    assert "Big &lt;b&gt;family&lt;/b&gt;" in page and "A quiet room" in page  # nothing typed is lost
    assert db.exec(select(Signup)).all() == []
    assert sign_up(post, cosession, adults="2", children="4").status_code == 200


def test_an_organiser_sets_the_most_per_sign_up_and_is_told_a_bad_number_in_their_language(app, db, client, login, post):
    from .factories import make_user

    user, secret = make_user(app, db, role="moderator")
    login(user, secret)
    form = {"title": "Homework help", "description": "Bring your homework.", "kind": "family-activity",
            "venue": "Kattem library", "day": "2030-03-01", "start_time": "16:00", "end_time": "18:00",
            "capacity": "10", "area": "kattem", "text_lang": "nb", "repeat_weeks": "1", "languages": ["nb", "ar"]}
    bad = post("/organise/new?lang=nn", {**form, "max_per_signup": "many"}, token_from="/organise/new")
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Not a valid integer value." not in html
    assert "Bring your homework." in html
    done = post("/organise/new?lang=en", {**form, "max_per_signup": "3"}, token_from="/organise/new")
    assert done.status_code in (200, 302, 303)
    from voice.cocreation.models import CoSession

    db.expire_all()
    assert db.exec(select(CoSession.max_per_signup).where(CoSession.title == "Homework help")).one() == 3


def test_three_failed_sign_ups_then_a_good_one_is_taken(app, client, post, db):
    cosession = make_session(app, db, capacity=10)
    for _ in range(3):
        bad = sign_up(post, cosession, name="", adults="x", accessibility="Step-free entrance")
        assert bad.status_code == 400
        assert "Step-free entrance" in bad.get_data(as_text=True)
    assert sign_up(post, cosession).status_code == 200
    assert len(db.exec(select(Signup)).all()) == 1


def test_the_language_menu_works_on_the_session_page_and_its_error_page(app, client, post, db):
    cosession = make_session(app, db, capacity=5)
    pages = [client.get(f"/sessions/{cosession.public_id}?lang=en").get_data(as_text=True),
             sign_up(post, cosession, name="").get_data(as_text=True)]
    for page in pages:
        links = re.findall(r'<a href="([^"]+)\?lang=(\w+)"[^>]*hreflang="[^"]+"[^>]*>([^<]+)</a>', page)
        assert len(links) == 9
        assert all(path == f"/sessions/{cosession.public_id}" for path, _, _ in links)
        assert {name.strip() for _, _, name in links} >= {"Norsk bokmål", "العربية", "Soomaali", "ትግርኛ"}
        for path, code, _ in links:
            assert client.get(f"{path}?lang={code}").status_code == 200
