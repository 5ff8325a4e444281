"""Figures in Arabic on a 360 px phone (issue 14, item 14), with other languages beside it.

Its own live server holds the 400 sample experiences `make run` loads. Asserted in Chromium:
the x-axis labels of each over-time chart never overlap (their boxes as the browser draws them),
each label is no wider than voice/figures/charts.py estimated, every column names its period in
full (<title>), and a wide table, scrolled sideways to its end, keeps its first column inside
the visible box of its wrapper and says that it scrolls. Screenshots for a person to look at go
to tests/output/screenshots/figures-{lang}-360.png (the whole page) and
figures-{lang}-360-{trend,table}.png (the charts, and a table scrolled to its end).
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from voice.figures.charts import text_width

from .conftest import PHONE, start_live_server

pytestmark = pytest.mark.browser

# The sample stories are told in the 15 months before this moment (as in test_figures_dashboard.py).
SAMPLE_NOW = datetime(2025, 12, 15, 12, 0, tzinfo=timezone.utc)
QUARTERS = "/figures/?period_type=quarter&period=2025-Q4"
YEARS = "/figures/?period_type=year&period=2025"
TREND_CHARTS = ("chart-trend", "chart-trend-useful")
SERVICES_TABLE = "section[aria-labelledby=services-heading] .table-wrap"

# Boxes of elements, in CSS pixels of the page.
BOXES = """elements => elements.map(e => { const r = e.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, text: e.textContent}; })"""


def _with_sample_figures(app, db):
    from voice.figures.sample import add_sample_figures

    add_sample_figures(session=db, now=SAMPLE_NOW, count=400)


@pytest.fixture(scope="module")
def live(request, tmp_path_factory) -> dict:
    return start_live_server(request, tmp_path_factory, "figures-rtl", prepare=_with_sample_figures)


def _overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def _inside(cell: dict, box: dict) -> bool:
    """Horizontally inside ``box``, give or take a pixel (scroll positions are whole pixels, widths not)."""
    return box["left"] - 1 <= cell["left"] and cell["right"] <= box["right"] + 1


def _open(page, path: str, lang: str):
    response = page.goto(f"{path}&lang={lang}")
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("path", [QUARTERS, YEARS], ids=["quarters", "years"])
@pytest.mark.parametrize("lang", ["ar", "fa", "nb", "uk", "ti", "so"])
def test_axis_labels_of_the_over_time_charts_never_overlap(new_context, screenshot_dir, lang, path):
    page = new_context()
    _open(page, path, lang)
    periods = page.locator("section[aria-labelledby=trend-heading] table tbody th").all_inner_texts()
    assert len(periods) >= 4 if path == QUARTERS else len(periods) >= 2
    for chart_id in TREND_CHARTS:
        svg = page.locator(f"svg[aria-labelledby={chart_id}-title]")
        expect(svg).to_have_count(1)
        labels = svg.locator("text.chart-label")
        assert labels.count() >= 2, chart_id
        boxes = labels.evaluate_all(BOXES)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not _overlap(a, b), f"{chart_id} in {lang}: {a['text']!r} runs into {b['text']!r}"
        # Inside the chart's width (the chart itself fits the phone: checked above).
        frame = svg.evaluate("e => e.getBoundingClientRect().toJSON()")
        assert all(frame["left"] - 0.5 <= box["left"] and box["right"] <= frame["right"] + 0.5 for box in boxes)
        # The server's estimate is never short of what the browser draws (both in viewBox units).
        for text, drawn in svg.locator("text.chart-label tspan").evaluate_all(
                "spans => spans.map(s => [s.textContent, s.getComputedTextLength()])"):
            assert drawn <= text_width(text), (text, drawn, text_width(text))
        # Each column names its period in full, as the table below the chart does.
        assert svg.locator("g.chart-column > title").all_text_contents() == periods
    if path == QUARTERS and lang in ("ar", "nb"):
        page.screenshot(path=str(screenshot_dir / f"figures-{lang}-360.png"), full_page=True)
        page.locator("section[aria-labelledby=trend-heading]").screenshot(
            path=str(screenshot_dir / f"figures-{lang}-360-trend.png"))


@pytest.mark.parametrize("lang", ["ar", "nb"])
def test_a_wide_table_says_it_scrolls_and_keeps_its_first_column_in_view(new_context, screenshot_dir, lang):
    page = new_context()
    _open(page, QUARTERS, lang)
    rtl = page.evaluate("document.documentElement.dir") == "rtl"
    assert rtl == (lang == "ar")
    wrap = page.locator(SERVICES_TABLE)
    expect(wrap).to_have_attribute("role", "region")
    expect(wrap).to_have_attribute("tabindex", "0")
    assert wrap.get_attribute("aria-label")
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth"), "the services table should be wider than a phone"
    expect(wrap.locator(".table-scroll-hint")).to_be_visible()
    # A table that fits says nothing (the one of how many services families explained to has two columns).
    fitting = page.locator(".table-wrap").evaluate_all(
        "wraps => wraps.filter(w => w.scrollWidth <= w.clientWidth).map(w => getComputedStyle(w.querySelector('.table-scroll-hint')).display)")
    assert fitting and set(fitting) == {"none"}

    first_cells = wrap.locator("tr > :first-child")
    last_cells = wrap.locator("tr > :last-child")
    before = last_cells.evaluate_all(BOXES)
    # Scroll to the end: to the left in a right-to-left page (scrollLeft is negative there).
    wrap.evaluate("(e, rtl) => { e.scrollLeft = (rtl ? -1 : 1) * e.scrollWidth; }", rtl)
    page.wait_for_function("e => Math.abs(e.scrollLeft) > 0", arg=wrap.element_handle())
    box = wrap.evaluate("e => e.getBoundingClientRect().toJSON()")
    after = last_cells.evaluate_all(BOXES)
    assert all(abs(a["left"] - b["left"]) > 20 for a, b in zip(before, after)), "the table did not scroll"
    assert all(_inside(cell, box) for cell in after), "the end of the table is not in view"
    cells = first_cells.evaluate_all(BOXES)
    assert len(cells) >= 3
    for cell in cells:
        assert _inside(cell, box), (cell, box)
    # The first column sits at the start edge: the right one in Arabic.
    edge = [cell["right"] for cell in cells] if rtl else [cell["left"] for cell in cells]
    assert all(abs(x - (box["right"] if rtl else box["left"])) <= 1 for x in edge), (edge, box)
    wrap.scroll_into_view_if_needed()
    wrap.screenshot(path=str(screenshot_dir / f"figures-{lang}-360-table.png"))
