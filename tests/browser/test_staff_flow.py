"""Staff read, clean, publish and answer a story; the family reads the answer (issue 4).

A family tells its story on a phone (with consent to publish and a phone number
in the text), a moderator logs in with password and authenticator code, removes
the number from the publishable version, publishes it and answers it as the
service concerned, and the family - back with its receipt code, JavaScript on
and off - reads the answer and that a change is planned. axe-core then checks
every staff page.

These tests need accounts, so they run against their own live server (same
recipe as tests/browser/conftest.py, own SQLite file) whose `app` they keep:
`live_app()` below starts it once per test session and the co-creation and
locale tests share it.
"""
from __future__ import annotations

import random
import re
import string
import uuid

import pyotp
import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.factories import PASSWORD, make_experience, make_user

from . import axe
from .conftest import PHONE, start_live_server

pytestmark = pytest.mark.browser

_LIVE: dict = {}


def live_app(request, tmp_path_factory) -> dict:
    """One live server with its app object: {"url", "app"}; started on first use."""
    if not _LIVE:
        _LIVE.update(start_live_server(request, tmp_path_factory, "staff"))
        request.session.config.add_cleanup(_LIVE.clear)
    return _LIVE


@pytest.fixture(scope="session")
def live(request, tmp_path_factory) -> dict:
    return live_app(request, tmp_path_factory)


@pytest.fixture
def db(live):
    with Session(live["app"].extensions["voice_engine"]) as session:
        session.info["app"] = live["app"]
        yield session


@pytest.fixture
def moderator(live, db):
    """A moderator with an enrolled authenticator: (email, totp secret)."""
    user, secret = make_user(live["app"], db, role="moderator", email=f"moderator-{uuid.uuid4().hex[:6]}@trondheim.kommune.no")
    return user.email, secret


@pytest.fixture
def admin(live, db):
    user, secret = make_user(live["app"], db, role="admin", email=f"admin-{uuid.uuid4().hex[:6]}@trondheim.kommune.no")
    return user.email, secret


# ---------------------------------------------------------------- helpers

PHONE_NUMBER = "912 34 567"


def assert_fits_phone(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where} scrolls sideways at {PHONE['width']} px: scrollWidth is {width}"


def main_form(page, action: str):
    return page.locator(f'main form[action$="{action}"]')


def post(page, button):
    """Press a submit button; wait for the POST's answer and for the page to settle."""
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        button.click()
    if page.javascript:
        expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    page.wait_for_load_state()
    return info.value


def log_in_password(page, email: str) -> None:
    page.goto("/staff/login?lang=en")
    form = main_form(page, "/staff/login")
    form.locator("#email").fill(email)
    form.locator("#password").fill(PASSWORD)
    post(page, form.get_by_role("button", name="Log in"))
    expect(page).to_have_url(re.compile(r"/staff/login/code$"))


def enter_code(page, secret: str) -> None:
    form = main_form(page, "/staff/login/code")
    form.locator("#code").fill(pyotp.TOTP(secret).now())
    post(page, form.get_by_role("button", name="Continue"))


def log_in(page, email: str, secret: str) -> None:
    log_in_password(page, email)
    enter_code(page, secret)
    expect(page).to_have_url(re.compile(r"/moderation/$"))
    expect(page.get_by_role("navigation", name="Staff menu")).to_be_visible()


def family_tells(page, story: str) -> str:
    """Send the story with consent to publish; keep it past the personal-data check. Return the code."""
    page.goto("/experiences/new?lang=en")
    form = main_form(page, "/experiences/new")
    form.locator('input[name="services"][value="nav"]').check()
    form.locator('input[name="usefulness"][value="4"]').check()
    form.locator("#story").fill(story)
    form.locator("#consent_publish").check()
    post(page, form.locator('button[type="submit"]'))
    # The phone number is shown to the family first; it sends the story as it is.
    warning = page.locator("main .notice-warning[role=alert]")
    expect(warning).to_be_visible()
    expect(warning.locator("mark")).to_have_text([PHONE_NUMBER])
    expect(page.locator("#consent_publish")).to_be_checked()
    post(page, main_form(page, "/experiences/new").get_by_role("button", name="Send my story"))
    expect(page.locator("main .panel-success[role=status]")).to_be_visible()
    groups = page.locator("p.receipt-code > span:not(.sep)")
    expect(groups).to_have_count(4)
    return "".join(groups.all_inner_texts())


def public_id_of(db, story: str) -> str:
    from voice.experiences.models import Experience

    db.expire_all()
    found = db.exec(select(Experience).where(Experience.story == story)).one()
    return found.public_id


# ---------------------------------------------------------------- the flow


def _second_moderator_checks(db, public_id: str) -> None:
    from voice.clock import utcnow
    from voice.experiences.models import Experience, ServiceAnswer
    from voice.moderation import service as moderation

    experience = db.exec(select(Experience).where(Experience.public_id == public_id)).one()
    answer = db.exec(select(ServiceAnswer).where(ServiceAnswer.experience_id == experience.id)).one()
    checker, _ = make_user(db.info["app"], db, role="moderator", email=f"checker-{uuid.uuid4().hex[:6]}@trondheim.kommune.no")
    moderation.check_answer(session=db, answer=answer, moderator=checker, decision="approve", now=utcnow())
    db.commit()


@pytest.mark.parametrize("family_js", [True, False], ids=["family-js", "family-nojs"])
def test_moderator_cleans_publishes_and_answers_family_reads_answer(new_context, db, moderator, family_js):
    # Letters only: a random run of digits could be a valid phone number and trigger the PII check.
    marker = "".join(random.choices(string.ascii_lowercase, k=8))
    clean = f"Saksbehandleren på Nav hørte på oss og hjalp med søknaden ({marker})."
    story = f"{clean} Ring meg gjerne på {PHONE_NUMBER} hvis dere lurer på noe."
    answer_text = f"Takk for at dere fortalte. Vi endrer rutinen for tilbakemelding ({marker})."

    # The family tells its story on its phone.
    family = new_context(javascript=family_js)
    code = family_tells(family, story)
    assert len(code) == 16

    # A moderator logs in with password and authenticator code and opens the queue.
    staff = new_context(javascript=True)
    log_in(staff, *moderator)
    public_id = public_id_of(db, story)
    item = staff.locator("main article.story").filter(has=staff.locator(f'a[href="/moderation/experiences/{public_id}"]'))
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Personal details found")
    expect(item).to_contain_text("May be published")
    assert_fits_phone(staff, "the moderation queue")
    item.get_by_role("link").click()
    expect(staff).to_have_url(re.compile(rf"/moderation/experiences/{public_id}$"))
    expect(staff.get_by_role("heading", level=1)).to_have_text("Read and decide")

    # The phone number is marked in the original; the moderator removes it from the
    # publishable version, chooses Publish and saves.
    expect(staff.locator("main .user-text mark")).to_have_text([PHONE_NUMBER])
    decide = main_form(staff, f"/experiences/{public_id}/decide")
    expect(decide.locator("#published_story")).to_have_value(story)
    decide.locator("#published_story").fill(clean)
    expect(decide.locator('input[name="services"][value="nav"]')).to_be_checked()
    decide.get_by_label("Publish (only with the family's consent)").check()
    post(staff, decide.get_by_role("button", name="Save decision"))
    expect(staff).to_have_url(re.compile(r"/moderation/$"))
    expect(staff.locator(".error-summary")).to_have_count(0)

    # Then answers it in the name of the service, with a change planned.
    staff.goto(f"/moderation/experiences/{public_id}")
    expect(staff.locator("main dl.summary")).to_contain_text("Read, and published without your name")
    answer = main_form(staff, f"/experiences/{public_id}/answer")
    service = answer.locator("#service")
    expect(service.locator("option")).to_have_count(1)  # only the services the story is about
    service.select_option(label="NAV (labour and welfare)")
    answer.locator("#text").fill(answer_text)
    answer.get_by_label("Change planned").check()
    post(staff, answer.get_by_role("button", name="Publish answer"))
    expect(staff).to_have_url(re.compile(rf"/moderation/experiences/{public_id}#answers$"))
    staff_answer = staff.locator("main article.answer")
    expect(staff_answer).to_have_count(1)
    expect(staff_answer.locator(".tag")).to_have_text("Change planned")
    expect(staff_answer.locator(".user-text")).to_have_text(answer_text)
    assert_fits_phone(staff, "the story page with an answer")
    expect(staff.locator("main")).to_contain_text("Waiting for another moderator to check the change")

    # A second moderator checks the change claim (its buttons are tested in tests/test_moderation.py);
    # until then the public and the family see no answer.
    waiting = new_context(javascript=family_js)
    waiting.goto("/stories/?lang=en")
    expect(waiting.locator("main")).not_to_contain_text(answer_text)
    _second_moderator_checks(db, public_id)

    # The public list shows the cleaned version and the answer, never the number.
    public = new_context(javascript=family_js)
    public.goto("/stories/?lang=en")
    published = public.locator("main article.story").filter(has_text=marker).filter(has=public.locator(".user-text", has_text=clean))
    expect(published).to_have_count(1)
    expect(published.locator(".answer .tag")).to_have_text("Change planned")
    expect(public.locator("main")).not_to_contain_text(PHONE_NUMBER)

    # The family, in a fresh phone context, comes back with its receipt code.
    again = new_context(javascript=family_js)
    again.goto("/experiences/mine?lang=en")
    lookup = main_form(again, "/experiences/mine")
    lookup.locator("#code").fill(code)
    response = post(again, lookup.locator('button[type="submit"]'))
    assert response.status == 200
    expect(again.get_by_role("heading", level=1)).to_have_text("Your story")
    expect(again.locator("main dl.summary")).to_contain_text("Read, and published without your name")
    expect(again.get_by_role("heading", name="The published version")).to_be_visible()
    expect(again.get_by_role("heading", name="Answer from the municipality")).to_be_visible()
    family_answer = again.locator("main article.answer")
    expect(family_answer).to_have_count(1)
    expect(family_answer.get_by_role("heading", level=3)).to_have_text("From NAV (labour and welfare)")
    expect(family_answer.locator(".tag")).to_have_text("Change planned")
    expect(family_answer.locator(".user-text")).to_have_text(answer_text)
    assert_fits_phone(again, "the family's status page with an answer")


# ---------------------------------------------------------------- axe-core

STAFF_PAGES = [
    "/moderation/",
    "/moderation/experiences/{public_id}",
    "/moderation/export",
    "/admin/accounts",
    "/admin/audit",
    "/admin/reference",
    "/organise/",
    "/organise/new",
    "/stories/",
]


def test_staff_pages_have_no_axe_violations(new_context, live, db, admin):
    experience, _code = make_experience(
        live["app"], db, story=f"Ring meg på {PHONE_NUMBER}, eller skriv til ola@example.no.", consent_publish=True,
    )
    public_id = experience.public_id
    page = new_context(javascript=True, bypass_csp=True)
    found: dict[str, str] = {}

    def check(where: str) -> None:
        violations = axe.run(page)
        if violations:
            found[where] = axe.describe(violations)

    page.goto("/staff/login?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    check("/staff/login")
    log_in_password(page, admin[0])
    check("/staff/login/code")
    enter_code(page, admin[1])
    expect(page).to_have_url(re.compile(r"/moderation/$"))

    for path in STAFF_PAGES:
        url = path.format(public_id=public_id)
        response = page.goto(url)
        assert response.status == 200, f"{url} answered {response.status}"
        check(url)
    page.goto(f"/moderation/experiences/{public_id}")
    expect(page.locator("main .user-text mark")).to_have_count(2)  # phone and e-mail are marked

    assert not found, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(
        f"{where}:\n{text}" for where, text in found.items()
    )
