"""Every public page in every language fits a phone, declares its language and passes axe-core (issue 3).

One browser context per language (JavaScript on, CSP bypassed so axe can be
injected) visits every public page with `?lang=`: the page must not scroll
sideways at 360 px, `<html lang dir>` must name the language and its direction,
and axe-core must find no WCAG 2.1 A/AA violation. Problems are collected and
reported together per language. Full-page screenshots of the home page and the
form in Arabic, Tigrinya and Bokmål go to tests/output/screenshots/locales-*.png
for a person to look at (Ethiopic glyphs, right to left).
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests.factories import make_session

from . import axe
from .conftest import PHONE, _new_page
from .test_staff_flow import live_app

pytestmark = pytest.mark.browser

# code -> (<html lang>, dir); the nine languages of DOMAIN.md.
LOCALES = {
    "nb": ("nb", "ltr"),
    "nn": ("nn", "ltr"),
    "en": ("en", "ltr"),
    "ar": ("ar", "rtl"),
    "fa": ("fa", "rtl"),
    "so": ("so", "ltr"),
    "ti": ("ti", "ltr"),
    "uk": ("uk", "ltr"),
    "pl": ("pl", "ltr"),
}
PUBLIC_PAGES = {
    "home": "/",
    "form": "/experiences/new",
    "lookup": "/experiences/mine",
    "stories": "/stories/",
    "sessions": "/sessions/",
    "session": "/sessions/{session_id}",
    "figures": "/figures/",
    "privacy": "/privacy",
    "accessibility": "/accessibility",
}
# The English source of the home page's heading: a page that says lang="ar" but
# shows this is served from a missing or stale catalog (run `make compile`).
ENGLISH_HOME_HEADING = "Did the help from the municipality work for your family?"
SCREENSHOTS = {"lang": ("ar", "ti", "nb"), "pages": ("home", "form")}
# axe-core reads every page in one language per script and direction: Latin (nb), Arabic
# right to left (ar), Ge'ez (ti) and Cyrillic (uk). What differs between languages of one
# script (the lang and dir attributes, the width, the catalog in use) is checked in all nine.
# Each axe run costs some half a second of the test suite's two cores.
AXE_LANGS = ("nb", "ar", "ti", "uk")


@pytest.fixture(scope="session")
def live(request, tmp_path_factory) -> dict:
    return live_app(request, tmp_path_factory)


@pytest.fixture(scope="module")
def session_id(live) -> str:
    with Session(live["app"].extensions["voice_engine"]) as db:
        row = make_session(live["app"], db, capacity=12, area_slug="saupstad", title="Familiekafé på Saupstad",
                           interpreter=True, childcare=True, languages=["nb", "ar", "ti"])
        return row.public_id


@pytest.mark.parametrize("lang", list(LOCALES))
def test_public_pages_in_every_language(browser, live, session_id, screenshot_dir, lang):
    tag, direction = LOCALES[lang]
    context, page = _new_page(browser, live["url"], javascript=True, bypass_csp=lang in AXE_LANGS)
    if axe.AXE_JS.is_file() and lang in AXE_LANGS:  # axe loads with every page, so axe.run need not inject it each time
        context.add_init_script(path=str(axe.AXE_JS))
    problems: list[str] = []
    try:
        for name, path in PUBLIC_PAGES.items():
            url = path.format(session_id=session_id)
            response = page.goto(f"{url}?lang={lang}")
            if response.status != 200:
                problems.append(f"{url}: answered {response.status}")
                continue

            html = page.locator("html")
            expect(html).to_have_attribute("lang", tag)
            expect(html).to_have_attribute("dir", direction)

            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide = page.evaluate(
                    """limit => [...document.querySelectorAll('body *')]
                        .filter(el => { const r = el.getBoundingClientRect(); return r.right > limit + 1 || r.left < -1; })
                        .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                                         + ' ' + Math.round(el.getBoundingClientRect().left) + '..' + Math.round(el.getBoundingClientRect().right))""",
                    PHONE["width"],
                )
                problems.append(f"{url}: scrolls sideways, scrollWidth {width} > {PHONE['width']} ({'; '.join(wide)})")

            if name == "home" and lang != "en":
                heading = " ".join(page.get_by_role("heading", level=1).inner_text().split())
                if heading == ENGLISH_HOME_HEADING:
                    problems.append(f"{url}: declared lang={tag!r} but shows the English source text {heading!r}"
                                    " (catalog missing or stale: run `make compile`)")

            if lang in SCREENSHOTS["lang"] and name in SCREENSHOTS["pages"]:
                page.screenshot(path=str(screenshot_dir / f"locales-{name}-{lang}.png"), full_page=True)

            violations = axe.run(page) if lang in AXE_LANGS else []
            if violations:
                problems.append(f"{url}: axe-core found {len(violations)} violation(s)\n{axe.describe(violations)}")
    finally:
        context.close()

    assert not problems, f"public pages in {lang!r}:\n" + "\n".join(problems)
