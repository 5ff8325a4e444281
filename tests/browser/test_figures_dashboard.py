"""The figures dashboard on a 360 px phone, in Norwegian and Arabic (issue 6).

Its own live server holds 400 sample experiences (the same as `make run` loads),
so the page has real counts, charts and tables. With JavaScript on and off:
the page must fit the phone, declare its language and direction, show charts
that name themselves (role="img" with a title in the page's language) each with
its plain sentence and data table, and the area filter, the names in the tables and the
link to the period before must lead to those figures (by htmx with JavaScript,
by a plain GET without). axe-core checks the page with
JavaScript on. Full-page screenshots go to
tests/output/screenshots/figures-{nb,ar}-{js,nojs}.png for a person to look at.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from . import axe
from .conftest import JS_MODES, PHONE, start_live_server

pytestmark = pytest.mark.browser

LANGS = {"nb": ("ltr", "Kattem"), "ar": ("rtl", None)}
ARABIC = re.compile(r"[\u0600-\u06FF]")


# The sample stories are told in the 15 months before this moment, so the year shown
# is 2025 whatever day the suite runs (and never the current, incomplete year).
SAMPLE_NOW = datetime(2025, 12, 15, 12, 0, tzinfo=timezone.utc)
YEAR = "2025"


def _with_sample_figures(app, db):
    from voice.figures.sample import add_sample_figures

    add_sample_figures(session=db, now=SAMPLE_NOW, count=400)


@pytest.fixture(scope="module")
def figures_live(request, tmp_path_factory) -> dict:
    return start_live_server(request, tmp_path_factory, "figures", prepare=_with_sample_figures)


@pytest.mark.parametrize("mode", list(JS_MODES))
@pytest.mark.parametrize("lang", list(LANGS))
def test_dashboard_reads_well_on_a_phone(browser, figures_live, screenshot_dir, lang, mode):
    from .conftest import _new_page

    javascript = JS_MODES[mode]
    context, page = _new_page(browser, figures_live["url"], javascript=javascript, bypass_csp=javascript)
    try:
        response = page.goto(f"/figures/?period_type=year&period={YEAR}&lang={lang}")
        assert response.status == 200
        direction, _ = LANGS[lang]
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("dir", direction)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # The key count is a real number (400 sample stories over 15 months: 2025 has most of them).
        count = page.locator(".key-figures dd.count").first.inner_text()
        assert re.fullmatch(r"[\d\s\u00a0\u202f.,]+", count) and int(re.sub(r"\D", "", count)) >= 10, count

        # Each chart names itself in the page's language and has its sentence and data table beside it.
        charts = page.locator("figure.chart-figure")
        assert charts.count() >= 3
        for index in range(charts.count()):
            figure = charts.nth(index)
            svg = figure.locator("svg[role=img]")
            expect(svg).to_have_count(1)
            title = svg.locator(":scope > title").text_content().strip()
            assert title, f"chart {index} has no title"
            if lang == "ar":
                assert ARABIC.search(title), title
            assert figure.locator("figcaption").inner_text().strip()
        assert page.locator("table.figures-table caption").count() >= charts.count()

        page.screenshot(path=str(screenshot_dir / f"figures-{lang}-{mode}.png"), full_page=True)
        if javascript:
            violations = axe.run(page)
            assert not violations, axe.describe(violations)

        # Narrow to one area: the figures say so, and the address can be shared.
        page.select_option("#filter-area", "kattem")
        page.get_by_role("button", name=page.locator("form.figure-filters button").inner_text()).click()
        expect(page).to_have_url(re.compile(r"area=kattem"))
        line = page.locator(".figures-filter-line")
        expect(line).to_be_visible()
        if LANGS[lang][1]:
            expect(line).to_contain_text(LANGS[lang][1])
        expect(page.locator("#filter-area")).to_have_value("kattem")
        if javascript:  # htmx swapped the results and moved focus to their heading
            expect(page.locator("#figures-heading")).to_be_focused()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # Links: back to all experiences, a group chosen from a table, the period before.
        page.locator(".figures-filter-line a").click()
        expect(page).not_to_have_url(re.compile(r"area="))
        expect(line).to_have_count(0)
        page.locator("section[aria-labelledby=services-heading] table a[href*='service=school']").click()
        expect(page).to_have_url(re.compile(r"service=school"))
        expect(page.locator("#filter-service")).to_have_value("school")
        year = page.locator("#filter-period").input_value()
        assert year == YEAR
        page.locator(".period-nav a").first.click()
        expect(page).to_have_url(re.compile(rf"period={int(year) - 1}"))
        expect(page.locator("#filter-period")).to_have_value(str(int(year) - 1))
    finally:
        context.close()
