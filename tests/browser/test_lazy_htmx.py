"""htmx comes only when the visitor starts to use a page (issue 18, item 5): a family that reads
the stories never downloads its 17 KB; one who touches the filter gets it, and the filter then
swaps the list in place, as on any page that loads htmx at once."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HTMX = "/static/js/htmx-"


def test_a_reader_never_downloads_htmx_and_a_filter_user_gets_it(js_page):
    page = js_page
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto("/stories/?lang=en")
    page.mouse.wheel(0, 600)  # reading: scrolling is not a sign of using the page's controls
    page.wait_for_timeout(500)
    assert not [url for url in fetched if HTMX in url]
    assert page.locator("html[data-htmx-ready]").count() == 0

    page.evaluate("window.voiceSamePage = true")  # gone if the page is loaded again
    page.select_option("select[name=service]", "nav")  # focus, then change at once
    expect(page.locator("html[data-htmx-ready]")).to_have_count(1)
    page.wait_for_function("location.search.indexOf('service=nav') >= 0")
    assert [url for url in fetched if HTMX in url], "htmx was fetched at the first use"
    assert page.evaluate("window.voiceSamePage === true"), "the list was swapped in place, not a new page"


def test_the_home_page_has_no_htmx_at_all(js_page):
    page = js_page
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto("/?lang=en")
    page.keyboard.press("Tab")
    page.wait_for_timeout(300)
    assert not [url for url in fetched if HTMX in url]
