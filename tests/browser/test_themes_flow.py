"""Themes on a phone (issue 16, items 2 and 3), Chromium at 360x740, JavaScript on and off,
in Norwegian and Arabic: the list filtered by service, a theme page with what families told
(the count as the disclosure rules allow), its stories and its meeting, and the session page
that says why we meet. axe-core checks the pages. Screenshots: themes-*.png."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from . import axe
from .conftest import start_live_server
from .test_experience_flow import assert_fits_phone

pytestmark = pytest.mark.browser
MODES = {"js": True, "nojs": False}


@pytest.fixture(scope="module")
def live(request, tmp_path_factory) -> dict:
    def prepare(app, db):
        from voice.clock import utcnow
        from voice.sample import load_sample_data

        load_sample_data(session=db, now=utcnow(), hasher=app.extensions["voice_hasher"])

    return start_live_server(request, tmp_path_factory, "themes", prepare=prepare)


@pytest.mark.parametrize("lang", ["nb", "ar"])
@pytest.mark.parametrize("mode", list(MODES))
def test_a_family_finds_a_theme_its_meeting_and_back(new_context, screenshot_dir, mode, lang):
    page = new_context(javascript=MODES[mode])
    page.goto(f"/themes/?lang={lang}")
    items = page.locator("#theme-list article")
    expect(items).to_have_count(2)
    # Filter by a service: the list follows (htmx with JavaScript, the Show button without).
    if page.javascript:
        with page.expect_response(lambda r: "/themes/" in r.url and r.request.headers.get("hx-request") == "true"):
            page.locator("#filter-service").select_option("trondheimshjelpa")
        expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    else:
        page.locator("#filter-service").select_option("trondheimshjelpa")
        with page.expect_navigation():
            page.locator("main form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"service=trondheimshjelpa"))
    expect(items).to_have_count(1)
    assert_fits_phone(page, f"the theme list ({lang})")
    page.screenshot(path=str(screenshot_dir / f"themes-list-{lang}-{mode}.png"), full_page=True)

    with page.expect_navigation():
        items.first.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("[SAMPLE]")
    main = page.locator("main")
    expect(main).to_contain_text("[SAMPLE] Trondheimshjelpa helped us with winter clothes")
    assert not re.search(r"\b[1-4]\b", page.locator("dl.summary dd").nth(1).inner_text())  # never 1-4 families
    assert_fits_phone(page, f"the theme page ({lang})")
    page.screenshot(path=str(screenshot_dir / f"themes-page-{lang}-{mode}.png"), full_page=True)

    meeting = main.locator("a[href^='/sessions/']").first
    with page.expect_navigation():
        meeting.click()
    why = page.locator("section[aria-labelledby=why-heading]")
    expect(why).to_be_visible()
    with page.expect_navigation():
        why.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/themes/"))


def test_axe_is_clean_on_the_theme_pages(new_context, live):
    page = new_context(javascript=True, bypass_csp=True)
    problems = []
    for lang in ("nb", "ar"):
        page.goto(f"/themes/?lang={lang}")
        found = axe.run(page)
        if found:
            problems.append(f"list ({lang}):\n{axe.describe(found)}")
        page.locator("#theme-list article a").first.click()
        page.wait_for_load_state()
        found = axe.run(page)
        if found:
            problems.append(f"theme ({lang}):\n{axe.describe(found)}")
    assert not problems, "\n".join(problems)
