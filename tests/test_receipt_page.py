"""The receipt code survives a reload and Back for 30 minutes in the browser that sent the
story, then says plainly that it can no longer be shown; it can be sent by e-mail (issue 14,
items 1-3). The code is never stored in clear, never in a URL and never in a log."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlmodel import select

from voice.clock import FixedClock
from voice.experiences import receipt
from voice.experiences.models import Experience, ShownCode
from voice.mail.models import OutboxMessage

from .test_experiences import FORM, receipt_code, valid_form

RECEIPT = "/experiences/receipt"


def _send(post, **overrides):
    return post(FORM + "?lang=en", valid_form(**overrides))


def test_sending_redirects_to_a_receipt_page_that_shows_the_code_again_on_reload(app, client, post, db, caplog):
    caplog.set_level(logging.DEBUG)
    response = _send(post)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(RECEIPT)  # no code in the address
    cookie = response.headers["Set-Cookie"]
    assert "voice_receipt=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/experiences" in cookie and "Max-Age=1800" in cookie

    first = client.get(RECEIPT + "?lang=en")
    assert first.headers["Cache-Control"] == "no-store"
    code = receipt_code(first.get_data(as_text=True))
    assert len(code) == 16
    assert "30 more minutes" in first.get_data(as_text=True)
    for _ in range(3):  # reload, Back, reload
        assert receipt_code(client.get(RECEIPT + "?lang=en").get_data(as_text=True)) == code

    # Neither the database nor the log holds the code, in any form a family types it.
    stored = " ".join(str(v) for row in db.exec(select(ShownCode)).all() for v in row.model_dump().values())
    stored += " ".join(str(v) for row in db.exec(select(Experience)).all() for v in row.model_dump().values())
    for form in (code, receipt.display(code), code.lower()):
        assert form not in stored
        assert form not in caplog.text
    # The code still finds the story.
    page = client.post("/experiences/mine?lang=en", data={"code": receipt.display(code).lower(), "csrf_token": _csrf(client)})
    assert page.status_code == 200 and "NAV helped us with the rent" in page.get_data(as_text=True)


def _csrf(client) -> str:
    html = client.get("/experiences/mine").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_only_the_browser_that_sent_it_sees_the_code(app, client, post):
    _send(post)
    other = app.test_client()
    page = other.get(RECEIPT + "?lang=en").get_data(as_text=True)
    assert "receipt-code" not in page
    assert "The code can no longer be shown" in page
    # A cookie with another pad gives nothing either.
    value = client.get_cookie("voice_receipt", path="/experiences").value
    row_id = value.partition(".")[0]
    other.set_cookie("voice_receipt", row_id + "." + "00" * 16, path="/experiences")
    assert "receipt-code" not in other.get(RECEIPT + "?lang=en").get_data(as_text=True)


def test_after_thirty_minutes_the_page_says_it_can_no_longer_be_shown(app, client, post, db, monkeypatch):
    _send(post)
    now = app.extensions["voice_clock"].now()
    # The app is shared by the tests of this worker: monkeypatch puts its clock back afterwards.
    monkeypatch.setitem(app.extensions, "voice_clock", FixedClock(now + timedelta(minutes=29)))
    assert "1 more minute," in client.get(RECEIPT + "?lang=en").get_data(as_text=True)
    monkeypatch.setitem(app.extensions, "voice_clock", FixedClock(now + timedelta(minutes=31)))
    page = client.get(RECEIPT + "?lang=en").get_data(as_text=True)
    assert "receipt-code" not in page
    assert "That time has passed, so it cannot be shown again." in page
    # The nightly purge deletes the masked row.
    from voice.experiences.shown_code import purge_expired

    assert purge_expired(session=db, now=now + timedelta(minutes=31)) == 1


def test_hide_now_forgets_the_code_at_once(client, post, db):
    _send(post)
    page = client.get(RECEIPT + "?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(RECEIPT + "/hide?lang=en", data={"csrf_token": token}, follow_redirects=True)
    assert "The code is hidden now, as you asked." in response.get_data(as_text=True)
    db.expire_all()
    assert db.exec(select(ShownCode)).all() == []


def test_the_code_is_sent_by_email_with_a_warning_and_the_address_is_checked(app, client, post, db):
    _send(post)
    page = client.get(RECEIPT + "?lang=en").get_data(as_text=True)
    code = receipt_code(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    bad = client.post(RECEIPT + "/send?lang=en", data={"csrf_token": token, "email": "<svg onload=alert(1)>"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Enter an e-mail address like name@example.no" in html
    assert "&lt;svg onload=alert(1)&gt;" in html and "<svg onload" not in html
    assert receipt_code(html) == code  # the code stays on the page
    sent = client.post(RECEIPT + "/send?lang=en", data={"csrf_token": token, "email": "family@example.no"},
                       follow_redirects=True)
    assert "The code is on its way" in sent.get_data(as_text=True)
    db.expire_all()
    message = db.exec(select(OutboxMessage)).one()
    assert message.to_address == "family@example.no"
    assert receipt.display(code) in message.text_body
    assert "Anyone who has this code can read your story." in message.text_body
    # The address is not kept with the story.
    experience = db.exec(select(Experience)).one()
    assert "family@example.no" not in " ".join(str(v) for v in experience.model_dump().values())


def test_the_email_form_answers_in_the_page_language(client, post):
    post(FORM + "?lang=nb", valid_form())
    page = client.get(RECEIPT + "?lang=nb").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    bad = client.post(RECEIPT + "/send?lang=nb", data={"csrf_token": token, "email": "nope"})
    assert "Skriv en e-postadresse som navn@eksempel.no" in bad.get_data(as_text=True)


def test_old_twenty_character_codes_still_work(app, db):
    code = receipt.new_code()
    assert len(code) == 16 and len(receipt.display(code)) == 19
    assert receipt.normalise(" " + receipt.display(code).lower().replace("0", "o") + " ") == code
    assert receipt.normalise("A" * 20) == "A" * 20 and receipt.is_old("A" * 20)
    assert receipt.normalise("A" * 17) is None
