"""A family tells its experience, rates the help, and comes back with its code."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from voice.clock import oslo_date, utcnow
from voice.experiences.models import Experience, ExperienceContact, ExperienceDomain, ExperienceService, FollowUp, ServiceAnswer
from voice.reference.models import Service

from .factories import make_experience

XSS = '<svg onload=alert(1)>"><script>alert(2)</script>'
FORM = "/experiences/new"
MINE = "/experiences/mine"
CODE_RE = re.compile(r'<p class="receipt-code"[^>]*>(.*?)</p>', re.S)


def valid_form(**overrides) -> dict:
    data = {
        "services": ["nav", "school"],
        "usefulness": "4",
        "listened": "partly",
        "services_explained": "3",
        "story": "NAV helped us with the rent, but we waited a long time.",
        "story_lang": "en",
        "area": "kattem",
        "domains": ["economy", "housing"],
        "consent_publish": "y",
        "form_token": "token-" + "a" * 20,
    }
    data.update(overrides)
    return data


def receipt_code(html: str) -> str:
    match = CODE_RE.search(html)
    assert match, "no receipt code on the page"
    return "".join(re.findall(r"<span>([0-9A-Z]{4})</span>", match.group(1)))


def count(db, model) -> int:
    db.expire_all()
    return len(db.exec(select(model)).all())


def test_home_leads_to_the_form_in_one_tap(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert f'href="{FORM}"' in page
    assert "Tell us about your experience" in page


def test_form_explains_what_happens_before_writing(client):
    page = client.get(FORM + "?lang=en").get_data(as_text=True)
    statement = page.index("Before you write")
    assert statement < page.index('name="story"')
    assert "not put in any case file" in page
    assert "child is in serious danger" in page


def test_a_family_tells_its_experience_and_gets_a_receipt_code(client, post, db):
    response = post(FORM + "?lang=en", valid_form(phone="912 34 567"), follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Your story was sent" in page
    code = receipt_code(page)
    assert len(code) == 16

    experience = db.exec(select(Experience)).one()
    assert experience.usefulness == 4
    assert experience.listened == "partly"
    assert experience.services_explained == 3
    assert experience.story == "NAV helped us with the rent, but we waited a long time."
    assert experience.story_lang == "en"
    assert experience.page_lang == "en"
    assert experience.consent_publish is True
    assert experience.status == "new"
    services = db.exec(
        select(Service.slug).join(ExperienceService).where(ExperienceService.experience_id == experience.id)
    ).all()
    assert sorted(services) == ["nav", "school"]
    assert count(db, ExperienceDomain) == 2
    contact = db.exec(select(ExperienceContact)).one()
    assert contact.phone == "+4791234567"
    assert contact.delete_after == oslo_date(utcnow()) + timedelta(days=90)  # the day in Trondheim, not on the server
    # The code is stored only as a salted Argon2id hash of its secret part.
    assert experience.receipt_hash.startswith("$argon2id$")
    stored = " ".join(str(v) for v in experience.model_dump().values())
    assert code not in stored and code[4:] not in stored


def test_dont_know_is_a_valid_answer_and_stored_as_no_rating(client, post, db):
    response = post(FORM, valid_form(usefulness="dont-know", listened="", services_explained="", story=""), follow_redirects=True)
    assert response.status_code == 200
    experience = db.exec(select(Experience)).one()
    assert experience.usefulness is None
    assert experience.listened is None
    assert experience.services_explained is None


def test_missing_answers_show_errors_and_keep_what_was_typed(client, post, db):
    response = post(FORM + "?lang=en", valid_form(services=[], usefulness="", story="We waited <b>six</b> weeks."), follow_redirects=True)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<title>Error: Tell us about your experience" in page
    summary = page[page.index('class="error-summary"') : page.index("</div>", page.index('class="error-summary"'))]
    assert 'href="#services-0"' in summary and "Choose at least one service." in summary
    assert 'href="#usefulness-0"' in summary
    assert 'id="services-error"' in page and 'aria-invalid="true"' in page
    assert "We waited &lt;b&gt;six&lt;/b&gt; weeks." in page
    assert 'value="kattem" selected' in page
    assert count(db, Experience) == 0


def test_errors_are_in_the_page_language(client, post):
    page = post(FORM + "?lang=nb", valid_form(services=[]), follow_redirects=True).get_data(as_text=True)
    assert "<title>Feil:" in page
    assert "Velg minst én tjeneste." in page


@pytest.mark.parametrize(
    "field, value",
    [
        ("services", ["nav", "mars"]),
        ("usefulness", "9"),
        ("listened", "maybe"),
        ("services_explained", "7"),
        ("area", "atlantis"),
        ("domains", ["economy", "; DROP TABLE experience"]),
        ("story_lang", "xx"),
    ],
)
def test_choices_are_checked_against_the_servers_lists(client, post, db, field, value):
    response = post(FORM, valid_form(**{field: value}), follow_redirects=True)
    assert response.status_code == 400
    assert count(db, Experience) == 0


def test_an_overlong_story_is_refused_with_the_text_kept(app, client, post, db):
    limit = app.config["STORY_MAX_LENGTH"]
    story = "å" * (limit + 1)
    response = post(FORM + "?lang=en", valid_form(story=story), follow_redirects=True)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"at most {limit} characters" in page
    assert story in page
    assert count(db, Experience) == 0


def test_an_oversized_body_is_refused_early(client, post, db):
    response = post(FORM, valid_form(story="x" * 200_000), follow_redirects=True)
    assert response.status_code == 413
    assert count(db, Experience) == 0


def test_a_story_with_personal_data_is_shown_back_before_saving(client, post, db):
    story = "My number is 02013299997, call 912 34 567 or write to ola@example.no"
    response = post(FORM + "?lang=en", valid_form(story=story), follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Check your story before you send it" in page
    assert "<mark>02013299997</mark>" in page
    assert "<mark>912 34 567</mark>" in page
    assert "<mark>ola@example.no</mark>" in page
    assert 'name="pii_checked" type="hidden" value="1"' in page
    assert count(db, Experience) == 0

    # The family removes the e-mail and sends again: what remains is flagged.
    kept = "My number is 02013299997, call 912 34 567"
    response = post(FORM + "?lang=en", valid_form(story=kept, pii_checked="1"), follow_redirects=True)
    assert response.status_code == 200
    experience = db.exec(select(Experience)).one()
    assert experience.story == kept
    assert experience.pii_kinds == "national_id,phone"


def test_a_number_with_a_wrong_check_digit_is_not_flagged(client, post, db):
    response = post(FORM, valid_form(story="Reference 02013299998 on the letter"), follow_redirects=True)
    assert "receipt-code" in response.get_data(as_text=True)
    assert db.exec(select(Experience)).one().pii_kinds == ""


def test_a_filled_honeypot_is_refused(client, post, db):
    response = post(FORM, valid_form(website="http://spam.example"), follow_redirects=True)
    assert response.status_code == 400
    assert count(db, Experience) == 0


def test_a_post_without_csrf_token_is_refused(client, db):
    response = client.post(FORM, data=valid_form(), follow_redirects=True)
    assert response.status_code == 400
    assert count(db, Experience) == 0


def test_a_resubmitted_form_is_stored_once(client, post, db):
    first = post(FORM + "?lang=en", valid_form(), follow_redirects=True)
    second = post(FORM + "?lang=en", valid_form(), follow_redirects=True)
    code = receipt_code(first.get_data(as_text=True))
    # Sent twice from the same browser (a double tap, Back and Send): the same code again.
    assert receipt_code(second.get_data(as_text=True)) == code
    # From a browser that no longer shows the code: said plainly, nothing stored twice.
    client.delete_cookie("voice_receipt", path="/experiences")
    third = post(FORM + "?lang=en", valid_form(), follow_redirects=True)
    assert "already sent" in third.get_data(as_text=True)
    assert count(db, Experience) == 1


@pytest.mark.parametrize(
    "phone, email, message",
    [
        ("12", "", "Enter a phone number like 912 34 567"),
        ("", "not-an-address", "Enter an e-mail address like name@example.no"),
        (XSS, "", "Enter a phone number like 912 34 567"),
    ],
)
def test_contact_details_are_checked(client, post, db, phone, email, message):
    response = post(FORM + "?lang=en", valid_form(phone=phone, email=email), follow_redirects=True)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(db, Experience) == 0


@pytest.mark.parametrize("phone", ["+47 412 34 567", "0047 91234567", "91 23 45 67"])
def test_phone_numbers_are_accepted_with_spaces_and_prefixes(client, post, db, phone):
    assert post(FORM, valid_form(phone=phone), follow_redirects=True).status_code == 200
    assert db.exec(select(ExperienceContact)).one().phone.startswith("+47")


def test_hostile_input_is_escaped_everywhere(client, post, db):
    page = post(FORM + "?lang=en", valid_form(story=XSS, email=XSS, services=[]), follow_redirects=True).get_data(as_text=True)
    assert "<svg onload" not in page and "<script>alert" not in page
    assert "&lt;svg onload=alert(1)&gt;" in page

    response = post(FORM + "?lang=en", valid_form(story=XSS), follow_redirects=True)
    code = receipt_code(response.get_data(as_text=True))
    status_page = post(MINE + "?lang=en", {"code": code}).get_data(as_text=True)
    assert "&lt;svg onload=alert(1)&gt;&#34;&gt;&lt;script&gt;" in status_page
    assert "<svg onload" not in status_page


def test_receipt_code_shows_status_story_and_answer(app, client, post, db):
    experience, code = make_experience(app, db, story="We got help quickly.", story_lang="ar")
    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    db.add(ServiceAnswer(experience_id=experience.id, service_id=nav.id, text="Thank you.", change_status="planned"))
    db.commit()

    typed = " ".join(code[i : i + 4] for i in range(0, 20, 4)).lower()
    response = post(MINE + "?lang=en", {"code": typed})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Waiting to be read by the municipality" in page
    assert '<div class="user-text" lang="ar" dir="rtl">We got help quickly.</div>' in page
    assert "Thank you." in page and "Change planned" in page
    # The code never travels in a URL.
    assert code not in response.request.url and code.lower() not in page.split("<form")[0]


@pytest.mark.parametrize("typed", ["AAAA-BBBB-CCCC-DDDD-EEEE", "short", "<svg onload=alert(1)>", "Ø" * 20])
def test_a_wrong_code_gets_one_generic_answer(app, client, post, db, typed):
    make_experience(app, db)
    response = post(MINE + "?lang=en", {"code": typed})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "We could not find a story with this code." in page
    assert "<svg onload" not in page


def test_a_code_from_another_story_does_not_open_this_one(app, client, post, db):
    make_experience(app, db, story="First family")
    _other, other_code = make_experience(app, db, story="Second family")
    page = post(MINE + "?lang=en", {"code": other_code}).get_data(as_text=True)
    assert "Second family" in page and "First family" not in page


def test_a_family_adds_a_follow_up(app, client, post, db):
    experience, code = make_experience(app, db)
    response = post("/experiences/mine/follow-up?lang=en", {"code": code, "text": "It got better later.", "lang": "en"}, token_from=MINE)
    assert response.status_code == 200
    assert "What you added was saved." in response.get_data(as_text=True)
    follow_up = db.exec(select(FollowUp)).one()
    assert follow_up.experience_id == experience.id and follow_up.text == "It got better later."


def test_a_follow_up_needs_the_right_code(app, client, post, db):
    make_experience(app, db)
    response = post("/experiences/mine/follow-up", {"code": "0" * 20, "text": "Hijack", "lang": "en"}, token_from=MINE)
    assert response.status_code == 400
    assert count(db, FollowUp) == 0


def test_a_family_deletes_its_story_for_good(app, client, post, db):
    experience, code = make_experience(app, db, phone="+4791234567")
    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    db.add(ServiceAnswer(experience_id=experience.id, service_id=nav.id, text="Answer"))
    db.add(FollowUp(experience_id=experience.id, text="More"))
    db.commit()

    confirm = post("/experiences/mine/delete?lang=en", {"code": code}, token_from=MINE)
    assert "Delete your story?" in confirm.get_data(as_text=True)
    assert count(db, Experience) == 1

    done = post("/experiences/mine/delete?lang=en", {"code": code, "confirm": "yes"}, token_from=MINE)
    assert "Your story is deleted" in done.get_data(as_text=True)
    for model in (Experience, ExperienceService, ExperienceContact, FollowUp, ServiceAnswer):
        assert count(db, model) == 0, model
    again = post(MINE + "?lang=en", {"code": code})
    assert "We could not find a story with this code." in again.get_data(as_text=True)


def test_receipt_look_ups_are_rate_limited_per_address(app, client, post):
    app.config["RATELIMIT_ENABLED"] = True
    statuses = [post(MINE, {"code": "A" * 20}).status_code for _ in range(10)]
    assert statuses == [400] * 10
    assert post(MINE, {"code": "A" * 20}).status_code == 429
    other = client.post(MINE, data={"code": "A" * 20}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code != 429


def test_mistakes_do_not_count_towards_the_limit_and_a_limited_family_keeps_its_words(app, client, post, db):
    # Ten forms sent back to fix cost nothing: the eleventh, complete, is stored.
    for _ in range(10):
        assert post(FORM + "?lang=en", valid_form(services=[])).status_code == 400
    for n in range(3):  # three stories in a minute from one browser are fine...
        response = post(FORM + "?lang=en", valid_form(form_token=f"token-{n:021d}"))
        assert response.status_code == 303, n
    # ...the fourth is held, with everything typed kept and the time to try again.
    held = post(FORM + "?lang=en", valid_form(form_token="token-" + "9" * 21, story="Our words, kept.",
                                              domains=["housing"], consent_publish="y"))
    assert held.status_code == 429
    page = held.get_data(as_text=True)
    assert "Our words, kept." in page
    assert "You can send again from" in page
    assert re.search(r'name="domains"[^>]*value="housing"|value="housing"[^>]*name="domains"', page)
    assert count(db, Experience) == 3


def test_the_limit_is_per_browser_so_a_shared_connection_is_not_blocked(app, post, db):
    first = app.test_client()
    for n in range(3):
        token = first.get(FORM).get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', token).group(1)
        assert first.post(FORM, data={**valid_form(form_token=f"token-{n:021d}"), "csrf_token": csrf}).status_code == 303
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', first.get(FORM).get_data(as_text=True)).group(1)
    assert first.post(FORM, data={**valid_form(form_token="token-" + "8" * 21), "csrf_token": csrf}).status_code == 429
    # A second family on the same Wi-Fi (same address, its own browser) sends at once.
    assert post(FORM, valid_form(form_token="token-" + "7" * 21)).status_code == 303
    assert count(db, Experience) == 4


def test_the_story_counter_and_limit_are_visible(app, client):
    page = client.get(FORM + "?lang=en").get_data(as_text=True)
    assert f'data-max="{app.config["STORY_MAX_LENGTH"]}"' in page
    assert f"You can write up to {app.config['STORY_MAX_LENGTH']} characters." in page


def test_contact_details_are_purged_on_schedule(app, db):
    from voice.experiences.service import purge_expired_contacts

    make_experience(app, db, phone="+4791234567")
    contact = db.exec(select(ExperienceContact)).one()
    assert purge_expired_contacts(session=db, today=contact.delete_after - timedelta(days=1)) == 0
    assert purge_expired_contacts(session=db, today=contact.delete_after) == 1
    db.commit()
    assert count(db, ExperienceContact) == 0
    assert count(db, Experience) == 1


def test_an_overlong_hidden_form_token_is_refused_not_a_crash(client, post, db):
    response = post(FORM, valid_form(form_token="t" * 65), follow_redirects=True)
    assert response.status_code == 400
    assert count(db, Experience) == 0
