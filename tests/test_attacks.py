"""The attacker's requests from the outside attack on a local copy (issue 12), each
sent again here and shown refused. Numbers are the items of that report; the
SECURITY.md map in test_security_checklist.py names these tests."""
from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import pyotp
import pytest
from sqlmodel import select

from voice.accounts.models import AuditEntry, LoginAttempt

from .conftest import CSRF_RE
from .factories import PASSWORD, make_user


def audit_actions(db) -> list[str]:
    db.expire_all()
    return [e.action for e in db.exec(select(AuditEntry).order_by(AuditEntry.id))]


def password_step(client, user) -> None:
    token = CSRF_RE.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    response = client.post("/staff/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/staff/login/code")


def code_step(client, code: str, **extra):
    token = CSRF_RE.search(client.get("/staff/login").get_data(as_text=True)).group(1)  # this browser's token
    return client.post("/staff/login/code?lang=en", data={"csrf_token": token, "code": code, **extra})


# -- 1. Guessing the authenticator code ------------------------------------------------------

def test_1_wrong_codes_lock_the_second_step_whatever_email_the_form_sends(app, client, db):
    user, secret = make_user(app, db, role="moderator")
    password_step(client, user)
    statuses = [code_step(client, f"{n:06d}", email=f"decoy{n}@example.no").status_code for n in range(1, 7)]
    # Five wrong codes, then the half-done login is gone: the page says so and sends back to the password.
    assert statuses[:4] == [400] * 4 and statuses[4] == 429
    assert code_step(client, pyotp.TOTP(secret).now()).status_code == 302  # back to the password step
    assert client.get("/moderation/").status_code == 302  # not logged in: the real code did not help
    assert db.exec(select(LoginAttempt)).all() == []
    actions = audit_actions(db)
    assert actions.count("login_failed") == 5 and "second_factor_locked" in actions


def test_1_the_code_step_is_throttled_per_account_held_server_side(app, db):
    """Each new password step starts a new attempt (five codes each); the throttle on the
    account still stops the tenth wrong code in 15 minutes, from any browser."""
    user, secret = make_user(app, db, role="moderator")
    statuses = []
    for _ in range(3):
        browser = app.test_client()
        password_step(browser, user)
        statuses += [code_step(browser, "000000", email=f"x{len(statuses)}@example.no").status_code for _ in range(4)]
    assert 429 in statuses and statuses.index(429) == 10  # the eleventh guess is refused


def test_1_the_code_step_is_throttled_per_address(app, db):
    users = [make_user(app, db, role="moderator")[0] for _ in range(8)]
    statuses = []
    for user in users:
        browser = app.test_client()
        password_step(browser, user)
        statuses += [code_step(browser, "000000").status_code for _ in range(4)]
    assert statuses[:30].count(429) == 0 and statuses[30] == 429


# -- 4. Open redirect after login ------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/%09/evil.example/phish", "/%0A/evil.example", "/%0D%0A/x", "/\\evil.example", "/%5Cevil.example",
    "//evil.example", "/%2F/evil.example", "https://evil.example/", "/\t/evil.example", " //evil.example",
    "javascript:alert(1)", "/%252F%252Fevil.example",
])
def test_4_next_goes_only_to_a_path_on_this_site(app, client, db, target):
    user, secret = make_user(app, db, role="moderator")
    page = client.get("/staff/login", query_string={"next": target})
    assert page.status_code == 200
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    client.post("/staff/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD, "next": target})
    response = code_step(client, pyotp.TOTP(secret).now())
    location = response.headers["Location"]
    assert response.status_code == 302
    # Where a browser goes: it drops tabs and line breaks and reads a backslash as a slash.
    as_browser = location.translate(str.maketrans("", "", "\t\n\r")).replace("\\", "/")
    assert urlsplit(urljoin("https://voice.example.no/staff/login/code", as_browser)).hostname == "voice.example.no"


def test_4_a_path_on_this_site_is_kept(app, client, db):
    user, secret = make_user(app, db, role="moderator")
    token = CSRF_RE.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    client.post("/staff/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD,
                                      "next": "/moderation/export"})
    assert code_step(client, pyotp.TOTP(secret).now()).headers["Location"] == "/moderation/export"


# -- 8. Partners and the contact details of families --------------------------------------------

def test_8_partners_need_the_authenticator_app_too(app, client, db):
    partner, _ = make_user(app, db, role="partner", totp=False)
    token = CSRF_RE.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    response = client.post("/staff/login", data={"csrf_token": token, "email": partner.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/staff/enrol")
    assert client.get("/organise/").status_code == 302  # the password alone opens nothing


# -- 11. A password typed into the e-mail field --------------------------------------------------

def test_11_what_was_typed_as_an_email_is_never_stored_or_logged(app, client, db, caplog):
    secret_typed = "Sommerfugl-i-vinterland-77"
    token = CSRF_RE.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    with caplog.at_level(logging.INFO):
        for _ in range(11):  # past the throttle, so the rate limiter logs too
            client.post("/staff/login", data={"csrf_token": token, "email": secret_typed, "password": "x" * 8})
    db.expire_all()
    labels = [e.actor_label for e in db.exec(select(AuditEntry))]
    assert labels and all(secret_typed.lower() not in label.lower() for label in labels)
    assert all(label.startswith("unknown:") for label in labels)
    assert secret_typed.lower() not in caplog.text.lower()
    assert secret_typed.lower() not in "".join(e.detail for e in db.exec(select(AuditEntry))).lower()


def test_11_a_known_account_is_named_in_the_audit_log(app, client, db):
    user, _ = make_user(app, db)
    token = CSRF_RE.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    client.post("/staff/login", data={"csrf_token": token, "email": user.email, "password": "not it at all"})
    db.expire_all()
    assert db.exec(select(AuditEntry.actor_label).where(AuditEntry.action == "login_failed")).one() == user.email


# -- 12. Guessing the current password when changing it ------------------------------------------

def test_12_the_current_password_check_is_throttled_and_audited(app, client, staff, db):
    staff("partner")
    statuses = []
    for n in range(11):
        token = CSRF_RE.search(client.get("/staff/password").get_data(as_text=True)).group(1)
        statuses.append(client.post("/staff/password", data={
            "csrf_token": token, "current": f"guess number {n}", "password": "a long new passphrase", "confirm": "a long new passphrase",
        }).status_code)
    assert statuses[:10] == [400] * 10 and statuses[10] == 429
    assert audit_actions(db).count("password_change_failed") == 10


# -- 9. Host header injection -------------------------------------------------------------------

def test_9_an_unknown_host_header_is_refused(client):
    response = client.get("/sessions/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)


def test_9_links_in_mail_and_calendar_files_come_from_the_public_address(database_url, tmp_path):
    """Even a request through another name the site answers to (here: localhost) gives
    links to PUBLIC_BASE_URL only."""
    from datetime import date, timedelta

    from sqlmodel import Session

    from voice import create_app
    from voice.mail.models import OutboxMessage
    from voice.reference.service import seed_reference_data

    from .conftest import empty_database, test_config
    from .factories import make_session

    app = create_app({**test_config(database_url), "PUBLIC_BASE_URL": "https://voice.example.no",
                      "TRUSTED_HOSTS": ["voice.example.no", "localhost"]})
    engine = app.extensions["voice_engine"]
    try:
        with Session(engine, expire_on_commit=False) as db:
            seed_reference_data(session=db)
            db.commit()
            cosession = make_session(app, db, day=date.today() + timedelta(days=3))
            client = app.test_client()
            page = client.get(f"/sessions/{cosession.public_id}")
            token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
            response = client.post(f"/sessions/{cosession.public_id}/signup", data={
                "csrf_token": token, "name": "Amina", "adults": "1", "children": "0", "email": "amina@example.no",
                "role": "participant", "form_token": "h" * 30})
            assert response.status_code == 200
            assert "https://voice.example.no/sessions/signup/" in response.get_data(as_text=True)
            calendar = client.get(f"/sessions/{cosession.public_id}/calendar.ics").get_data(as_text=True)
            mail = db.exec(select(OutboxMessage)).one()
            for text in (calendar, mail.text_body, mail.html_body, mail.attachment_body):
                assert "localhost" not in text
            assert f"https://voice.example.no/sessions/{cosession.public_id}" in calendar.replace("\r\n ", "")
    finally:
        empty_database(engine)


# -- 10. Control characters in one-line fields ---------------------------------------------------

def test_10_a_line_break_in_a_session_title_is_refused_next_to_the_field(app, client, staff, csrf, db):
    from datetime import date, timedelta

    from voice.cocreation.models import CoSession

    staff("moderator")
    token = csrf("/organise/new")
    response = client.post("/organise/new?lang=en", data={
        "csrf_token": token, "title": "Family café\r\nBCC: everyone@example.no", "description": "Coffee", "text_lang": "nb",
        "kind": "workshop", "venue": "Saupstad", "day": (date.today() + timedelta(days=5)).isoformat(),
        "start_time": "17:00", "end_time": "19:00", "repeat_weeks": "1", "capacity": "10", "languages": ["nb"]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Write this on one line, without line breaks or hidden characters." in page
    assert 'id="title-error"' in page and "Family café" in page  # next to the field, nothing typed lost
    assert db.exec(select(CoSession)).all() == []


@pytest.mark.parametrize("value", ["Amina\nBCC: x@y.no", "Amina\x00", "Amina\u2028Jones", "Ami\x85na", "Ami\x1bna"])
def test_10_a_sign_up_name_with_hidden_characters_is_refused(app, client, csrf, db, value):
    from .factories import make_session

    cosession = make_session(app, db)
    token = csrf(f"/sessions/{cosession.public_id}")
    response = client.post(f"/sessions/{cosession.public_id}/signup?lang=en", data={
        "csrf_token": token, "name": value, "adults": "1", "children": "0", "email": "a@example.no",
        "role": "participant", "form_token": "c" * 30})
    assert response.status_code == 400
    assert "Write this on one line" in response.get_data(as_text=True)


# -- 13. Bad input never gives a 500 ------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [
    ("/sessions/?from_day=0001-01-01", 400), ("/sessions/?from_day=9999-12-31", 400),
    ("/sessions/calendar.ics?from_day=0001-01-01", 400), ("/stories/?page=12345678901234567890123", 400),
    ("/stories/?page=0", 400), ("/admin/accounts/12345678901234567890123/disable", 404),
    ("/admin/reference/service/12345678901234567890123", 404), ("/moderation/export/12345678901234567890123", 404),
    ("/moderation/export/99999999999/download", 404), ("/admin/audit?page=12345678901234567890123", 400),
    ("/staff/login?next=/%0D%0A/x", 200),
])
def test_13_bad_shapes_in_addresses_answer_400_or_404_never_500(app, client, staff, path, expected):
    staff("admin")
    response = client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert response.status_code == expected
    assert "Traceback" not in response.get_data(as_text=True)


# -- 14. Audit gaps ------------------------------------------------------------------------------

def test_14_a_family_deleting_its_story_is_audited_without_its_words(app, client, csrf, db):
    from .factories import make_experience

    experience, code = make_experience(app, db, story="We waited for a year for an answer.")
    public_id = experience.public_id
    token = csrf("/experiences/mine")
    client.post("/experiences/mine/delete", data={"csrf_token": token, "code": code, "confirm": "yes"})
    db.expire_all()
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "story_deleted_by_family")).one()
    assert (entry.actor_label, entry.target_id) == ("family", public_id)
    assert "waited" not in entry.detail and code not in entry.detail


def test_14_the_organisers_list_needs_a_stated_purpose(app, client, staff, csrf, db):
    from .factories import make_session

    cosession = make_session(app, db)
    staff("moderator")
    form = client.get(f"/organise/{cosession.public_id}/signups.csv?lang=en")
    assert form.status_code == 200 and form.mimetype == "text/html"  # a form, not the file
    token = csrf(f"/organise/{cosession.public_id}/signups.csv")
    refused = client.post(f"/organise/{cosession.public_id}/signups.csv", data={"csrf_token": token, "purpose": ""})
    assert refused.status_code == 400
    response = client.post(f"/organise/{cosession.public_id}/signups.csv",
                           data={"csrf_token": token, "purpose": "Planning food and interpreters"})
    assert response.mimetype == "text/csv"
    db.expire_all()
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "signups_exported")).one()
    assert "Planning food and interpreters" in entry.detail


def test_14_an_admin_downloading_someone_elses_export_states_their_own_purpose(app, db):
    import json

    from voice.moderation.models import ExportJob

    from .conftest import CSRF_RE
    from .factories import make_user

    moderator, _ = make_user(app, db, role="moderator")
    db.add(ExportJob(user_id=moderator.id, status="done", file_format="csv", purpose="Quarterly report", content=b"id\n"))
    db.commit()
    job = db.exec(select(ExportJob)).one()
    admin, secret = make_user(app, db, role="admin")
    client = app.test_client()
    password_step(client, admin)
    code_step(client, pyotp.TOTP(secret).now())
    page = client.get(f"/moderation/export/{job.id}/download?lang=en")
    assert page.mimetype == "text/html" and "Say why you need it too" in page.get_data(as_text=True)
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    response = client.post(f"/moderation/export/{job.id}/download", data={"csrf_token": token, "purpose": "Checking an answer time"})
    assert response.mimetype == "text/csv"
    db.expire_all()
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "export_downloaded")).one()
    detail = json.loads(entry.detail)
    assert (entry.actor_id, detail["purpose"], detail["requested_for"]) == (admin.id, "Checking an answer time", "Quarterly report")


# -- 15. Secrets in addresses, logs and the outbox -------------------------------------------------

def test_15_a_private_link_leaves_the_address_at_once(app, client, db):
    from .factories import make_session
    from .test_cocreation import manage_link, sign_up, signup_form  # noqa: F401

    cosession = make_session(app, db)
    token = CSRF_RE.search(client.get(f"/sessions/{cosession.public_id}").get_data(as_text=True)).group(1)
    response = client.post(f"/sessions/{cosession.public_id}/signup?lang=en",
                           data={**signup_form(email="amina@example.no"), "csrf_token": token})
    link = manage_link(response)
    opened = client.get(link)
    assert opened.status_code == 302 and opened.headers["Location"] == "/sessions/signup"
    page = client.get("/sessions/signup?lang=en").get_data(as_text=True)
    assert "You have a place" in page and link.rsplit("/", 1)[1] not in page


def test_15_the_access_log_never_holds_a_private_token():
    from voice.web.accesslog import redact

    for line in ('GET /sessions/signup/AbC-123_xyz HTTP/1.1', 'GET /staff/invitation/tOkEn?lang=ar HTTP/1.1',
                 'GET /staff/reset/s3cr3t HTTP/1.1'):
        assert "[token]" in redact(line)
        assert not any(secret in redact(line) for secret in ("AbC-123_xyz", "tOkEn", "s3cr3t"))
    assert redact("POST /sessions/signup/cancel HTTP/1.1") == "POST /sessions/signup/cancel HTTP/1.1"


def test_15_sent_mail_keeps_no_link(app, db):
    from voice.clock import utcnow
    from voice.mail.models import OutboxMessage
    from voice.mail.service import MailPass, SmtpSettings, queue_mail, send_due

    from .smtp import start_smtp

    queue_mail(session=db, to="nora@example.no", template="password_reset", locale="nb",
               context={"name": "Nora", "link": "https://voice.example.no/staff/reset/SECRET-TOKEN"})
    db.commit()
    inbox, controller, port = start_smtp()
    try:
        assert send_due(engine=app.extensions["voice_engine"], smtp=SmtpSettings(port=port), now=utcnow()) == MailPass(sent=1)
    finally:
        controller.stop()
    db.expire_all()
    stored = db.exec(select(OutboxMessage)).one()
    assert "SECRET-TOKEN" not in stored.text_body + stored.html_body and stored.sent_at
    assert "SECRET-TOKEN" in inbox.messages[0].get_body(("plain",)).get_content()


def test_15_the_authenticator_secret_never_travels_in_the_cookie(app, client, db):
    import base64
    import zlib

    user, _ = make_user(app, db, role="admin", totp=False)
    token = CSRF_RE.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    response = client.post("/staff/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/staff/enrol")
    secret = db.exec(select(LoginAttempt.enrol_secret)).one()
    cookie = client.get_cookie("voice_session").value
    payload = cookie.lstrip(".").split(".")[0]  # itsdangerous: [.]payload.timestamp.signature
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(data) if cookie.startswith(".") else data).decode()
    assert secret not in text


# -- 5. One person hiding a published story -----------------------------------------------------

def _published(app, db):
    from voice.clock import utcnow
    from voice.moderation.service import decide

    from .factories import make_experience

    experience, _ = make_experience(app, db, consent_publish=True, story="The help came late.")
    decide(session=db, experience=experience, moderator=make_user(app, db)[0], decision="published",
           published_story="The help came late.", now=utcnow())
    db.commit()
    return experience


def _report(app, experience, *, address: str, browser=None):
    reader = browser or app.test_client()
    reader.environ_base["REMOTE_ADDR"] = address
    url = f"/stories/{experience.public_id}/report"
    token = CSRF_RE.search(reader.get(url).get_data(as_text=True)).group(1)
    assert reader.post(url, data={"csrf_token": token, "reason": "untrue"}).status_code == 200
    return reader


def _visible(app, experience) -> bool:
    return "The help came late." in app.test_client().get("/stories/").get_data(as_text=True)


def test_5_three_reports_from_one_browser_do_not_hide_a_story(app, db):
    experience = _published(app, db)
    browser = _report(app, experience, address="10.1.1.1")
    for address in ("10.1.1.2", "10.1.1.3", "10.1.1.4"):  # even from other networks
        _report(app, experience, address=address, browser=browser)
    assert _visible(app, experience)


def test_5_three_browsers_on_one_address_do_not_hide_a_story(app, db):
    experience = _published(app, db)
    for _ in range(4):
        _report(app, experience, address="10.2.2.2")
    assert _visible(app, experience)


def test_5_three_different_people_hide_it_and_the_moderators_are_told_at_once(app, db):
    from voice.mail.models import OutboxMessage

    moderator, _ = make_user(app, db, role="moderator", email="reader@trondheim.kommune.no")
    experience = _published(app, db)
    for n in range(3):
        _report(app, experience, address=f"10.3.3.{n + 1}")
    assert not _visible(app, experience)
    told = [m for m in db.exec(select(OutboxMessage)) if m.to_address == "reader@trondheim.kommune.no"]
    assert len(told) == 1 and f"/moderation/experiences/{experience.public_id}" in told[0].text_body
