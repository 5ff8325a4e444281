"""A family never loses its code, its words or its place (issue 14), in Chromium at 360x740,
JavaScript on and off, in Norwegian and Arabic.

Its own live server, with the rate limits on (as in production), so that "three failed
sign-ups, then a good one" meets the real limiter. Screenshots for a person to look at:
tests/output/screenshots/keeps-*.png.
"""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.factories import make_session

from . import axe
from .conftest import PHONE, start_live_server
from .test_experience_flow import assert_fits_phone, fill_experience, form_for, receipt_groups, send_experience, submit

pytestmark = pytest.mark.browser

MODES = {"js": True, "nojs": False}
NATIONAL_ID = "02013299997"


@pytest.fixture(scope="module")
def live(request, tmp_path_factory) -> dict:
    def sessions(app, db):
        roomy = make_session(app, db, capacity=12, title="Familiekafé Saupstad",
                             venue="Saupstad senter, Krokstien 2, 7078 Saupstad")
        full = make_session(app, db, capacity=1, title="Leksehjelp Kattem", area_slug="kattem")
        full.seats_taken = 1  # its one place is taken
        db.add(full)
        request.config.cache_sessions = {"roomy": roomy.public_id, "full": full.public_id}

    server = start_live_server(request, tmp_path_factory, "keeps", prepare=sessions,
                               settings={"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})
    server["sessions"] = request.config.cache_sessions
    return server


def _code(page) -> str:
    return "".join(receipt_groups(page))


@pytest.mark.parametrize("lang", ["nb", "ar"])
@pytest.mark.parametrize("mode", list(MODES))
def test_the_receipt_code_survives_reload_and_back(new_context, screenshot_dir, mode, lang):
    page = new_context(javascript=MODES[mode])
    page.goto(f"/experiences/new?lang={lang}")
    fill_experience(page, "Vi ventet lenge på svar fra NAV.")
    send_experience(page)
    page.wait_for_url(re.compile(r"/experiences/receipt$"))
    code = _code(page)
    assert len(code) <= 16 and code not in page.url
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    assert_fits_phone(page, f"the receipt page ({lang})")
    tops = {round(box["y"]) for box in page.locator("p.receipt-code > span").evaluate_all(
        "spans => spans.map(s => s.getBoundingClientRect().toJSON())")}
    assert len(tops) == 1, "the code is split over two lines on a 360 px phone"
    page.screenshot(path=str(screenshot_dir / f"keeps-receipt-{lang}-{mode}.png"), full_page=True)

    page.reload()
    assert _code(page) == code, "a reload lost the code"
    page.goto(f"/?lang={lang}")
    page.go_back()
    page.wait_for_url(re.compile(r"/experiences/receipt$"))
    assert _code(page) == code, "Back lost the code"

    # Hidden on request: said plainly, and not shown again.
    with page.expect_navigation():
        page.locator('main form[action$="/experiences/receipt/hide"] button').click()
    expect(page.locator("p.receipt-code")).to_have_count(0)
    page.reload()
    expect(page.locator("p.receipt-code")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_a_language_switch_in_the_middle_keeps_the_draft(new_context, screenshot_dir):
    page = new_context(javascript=True)
    page.goto("/experiences/new?lang=nb")
    page.locator('input[name="services"][value="school"]').check()
    page.locator('input[name="usefulness"][value="2"]').check()
    page.locator("#story").fill("Skolen svarte aldri på meldingene våre.")
    page.locator(".language-menu summary").click()
    with page.expect_navigation():
        page.locator('.language-list a[hreflang="ar"]').click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#story")).to_have_value("Skolen svarte aldri på meldingene våre.")
    expect(page.locator('input[name="services"][value="school"]')).to_be_checked()
    expect(page.locator('input[name="usefulness"][value="2"]')).to_be_checked()
    notice = page.locator("[data-draft-notice]")
    expect(notice).to_be_visible()
    assert_fits_phone(page, "the form with the draft notice (ar)")
    page.screenshot(path=str(screenshot_dir / "keeps-draft-ar.png"))
    # A reload keeps it too; "clear" empties the form and forgets the draft.
    page.reload()
    expect(page.locator("#story")).to_have_value("Skolen svarte aldri på meldingene våre.")
    page.locator("[data-draft-clear]").click()
    expect(page.locator("#story")).to_have_value("")
    expect(page.locator('input[name="services"][value="school"]')).not_to_be_checked()
    page.reload()
    expect(page.locator("#story")).to_have_value("")
    expect(page.locator("[data-draft-notice]")).to_be_hidden()


def test_a_lost_connection_keeps_everything_and_says_so(new_context):
    page = new_context(javascript=True)
    page.goto("/experiences/new?lang=nb")
    fill_experience(page, "Ingen ringte oss tilbake.")
    page.context.set_offline(True)
    page.locator('main form[action$="/experiences/new"] button[type="submit"]').click()
    offline = page.locator("[data-offline-notice]")
    expect(offline).to_be_visible()
    expect(offline).to_be_focused()
    expect(page.locator("#story")).to_have_value("Ingen ringte oss tilbake.")
    page.context.set_offline(False)
    send_experience(page)
    assert len(_code(page)) == 16
    # Sent: the draft is gone, a new form starts empty.
    page.goto("/experiences/new?lang=nb")
    expect(page.locator("#story")).to_have_value("")


@pytest.mark.parametrize("mode", list(MODES))
def test_the_personal_details_warning_is_on_the_first_screen_and_leads_into_the_text(new_context, screenshot_dir, mode):
    page = new_context(javascript=MODES[mode])
    page.goto("/experiences/new?lang=ar")
    fill_experience(page, f"رقمي الشخصي هو {NATIONAL_ID} وقد انتظرنا طويلاً.")
    send_experience(page)
    warning = page.locator("main section.notice-warning[role=alert]")
    expect(warning).to_be_visible()
    box = warning.bounding_box()
    scroll = page.evaluate("window.scrollY")
    assert box["y"] - scroll < PHONE["height"] / 2, f"the warning starts at {box['y'] - scroll} px, below the first screen"
    page.screenshot(path=str(screenshot_dir / f"keeps-warning-ar-{mode}.png"))
    warning.locator("a[href='#story']").click()
    expect(page.locator("#story")).to_be_focused()


@pytest.mark.parametrize("mode", list(MODES))
def test_an_expired_form_keeps_every_answer_and_sends_again(live, new_context, screenshot_dir, mode):
    page = new_context(javascript=MODES[mode])
    page.goto("/experiences/new?lang=nb")
    fill_experience(page, "Vi fikk hjelp til slutt.")
    page.locator('input[name="domains"][value="housing"]').check()
    page.locator("#consent_publish").check()
    live["app"].config["WTF_CSRF_TIME_LIMIT"] = 1
    try:
        time.sleep(2.1)  # the form was left open too long
        response = send_experience(page)
    finally:
        live["app"].config["WTF_CSRF_TIME_LIMIT"] = 3600
    assert response.status == 400
    expect(page.locator("main")).to_contain_text("Vi fikk hjelp til slutt.")
    page.screenshot(path=str(screenshot_dir / f"keeps-expired-nb-{mode}.png"), full_page=True)
    kept = dict(page.locator("main form input[type=hidden]").evaluate_all(
        "inputs => inputs.map(i => [i.name + '=' + i.value, true])"))
    for answer in ("services=nav", "usefulness=4", "domains=housing", "consent_publish=y"):
        assert answer in kept, f"{answer} was lost: {sorted(kept)}"
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/experiences/receipt$"))
    assert len(_code(page)) == 16


def _sign_up(page, public_id: str, *, name: str, adults: str = "1", children: str = ""):
    page.goto(f"/sessions/{public_id}?lang=nb")
    form = form_for(page, "/signup")
    form.locator("#name").fill(name)
    form.locator("#adults").fill(adults)
    form.locator("#children").fill(children)
    return submit(page, form.locator('button[type="submit"]'), enhanced=False)  # a plain form


@pytest.mark.parametrize("mode", list(MODES))
def test_three_failed_sign_ups_then_a_good_one_succeeds(live, new_context, mode):
    page = new_context(javascript=MODES[mode])
    public_id = live["sessions"]["roomy"]
    for attempt in range(3):
        response = _sign_up(page, public_id, name="", adults="0")
        assert response.status == 400, attempt
        expect(page.locator(".error-summary")).to_be_visible()
    response = _sign_up(page, public_id, name=f"Familien Ali {mode}", adults="2", children="")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("Krokstien 2, 7078 Saupstad")
    expect(main).to_contain_text("kl. 17.00")
    expect(main.get_by_role("link", name=re.compile("kalender", re.I))).to_have_count(1)


@pytest.mark.parametrize("mode", list(MODES))
def test_a_waiting_place_shows_no_calendar_link(live, new_context, screenshot_dir, mode):
    page = new_context(javascript=MODES[mode])
    response = _sign_up(page, live["sessions"]["full"], name=f"Familien Hansen {mode}")
    assert response.status == 200
    expect(page.locator("main")).to_contain_text("venteliste")
    expect(page.locator("main a[href$='calendar.ics']")).to_have_count(0)
    assert_fits_phone(page, "the waiting-list page")
    page.screenshot(path=str(screenshot_dir / f"keeps-waiting-nb-{mode}.png"), full_page=True)


def test_axe_is_clean_on_the_pages_this_issue_touched(live, new_context):
    page = new_context(javascript=True, bypass_csp=True)
    problems = []

    def check(where):
        found = axe.run(page)
        if found:
            problems.append(f"{where}:\n{axe.describe(found)}")

    for lang in ("nb", "ar"):
        page.goto(f"/experiences/new?lang={lang}")
        fill_experience(page, f"Nummeret mitt er {NATIONAL_ID}.")
        send_experience(page)
        check(f"warning ({lang})")
        page.locator("#story").fill("Uten nummer nå.")
        send_experience(page)
        page.wait_for_url(re.compile(r"/experiences/receipt$"))
        check(f"receipt ({lang})")
        with page.expect_navigation():
            page.locator('main form[action$="/experiences/receipt/hide"] button').click()
        check(f"receipt hidden ({lang})")
        page.goto(f"/experiences/new?lang={lang}")
        page.locator("#story").fill("Et utkast.")
        page.reload()
        check(f"draft notice ({lang})")
        page.locator("[data-draft-clear]").click()
        page.goto(f"/sessions/{live['sessions']['full']}?lang={lang}")
        check(f"session page ({lang})")
    assert not problems, "\n".join(problems)
