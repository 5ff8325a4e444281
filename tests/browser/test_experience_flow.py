"""A family tells its experience, comes back with its code, adds to it and deletes it.

Real Chromium at 360x740 (a small phone), with JavaScript on (htmx enhances the
forms) and off (plain HTML forms must do everything). Pages are found the way a
person finds them: by role, by the link they tap. The wording is checked where
the catalog is known; see WORDING.
"""
from __future__ import annotations

import random
import re
import string
from contextlib import ExitStack

import pytest
from playwright.sync_api import expect

from . import axe
from .conftest import PHONE

pytestmark = pytest.mark.browser

# What <html lang dir> must say for each language the tests visit.
LANGUAGE_ATTRIBUTES = {"nb": ("nb", "ltr"), "en": ("en", "ltr"), "ar": ("ar", "rtl"), "ti": ("ti", "ltr")}

# Visible wording per language: English is the source text, Norwegian is
# pinned from the nb catalog as the translators wrote it. A key a language
# does not list is not checked.
WORDING = {
    "en": {
        "error_prefix": "Error:",
        "start": "Tell us about your experience",
        "problem": "There is a problem",
        "thanks": "Thank you. Your story was sent.",
        "status": "Your story",
        "confirm_delete": "Delete your story?",
        "deleted": "Your story is deleted",
        "pii_warning": "Check your story before you send it",
        "send_anyway": "Send my story",
    },
    "nb": {
        "error_prefix": "Feil:",
        "start": "Fortell oss om opplevelsen din",
        "problem": "Det er et problem",
        "thanks": "Takk. Historien din er sendt.",
        "status": "Historien din",
        "confirm_delete": "Vil du slette historien din?",
        "deleted": "Historien din er slettet",
        "pii_warning": "Se over historien din før du sender den",
        "send_anyway": "Send historien min",
    },
}

# Crockford base32 without I, L, O, U; five groups of four.
CODE_GROUP = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}$")
# A valid fødselsnummer (DOMAIN.md): the form must flag it.
NATIONAL_ID = "02013299997"


class Wording:
    """Checks of translated text, reported together when the test ends.

    Collected rather than raised, so that a string the translators have not
    done yet does not hide whether the flow itself works.
    """

    def __init__(self, lang: str):
        self.lang = lang
        self.expected = WORDING.get(lang, {})
        self.problems: list[str] = []

    def _record(self, what: str, key: str, actual: str, ok: bool, how: str) -> None:
        if not ok:
            self.problems.append(f"{what}: expected {how} {self.expected[key]!r} ({self.lang}), got {actual!r}")

    def title_has_error_prefix(self, page, what: str) -> None:
        if "error_prefix" in self.expected:
            title = page.title()
            self._record(what, "error_prefix", title, title.startswith(self.expected["error_prefix"] + " "), "title to start with")

    def text(self, locator, key: str, what: str) -> None:
        if key in self.expected:
            actual = " ".join(locator.inner_text().split())
            self._record(what, key, actual, actual == self.expected[key], "text")

    def link_name(self, locator, key: str, what: str) -> None:
        if key in self.expected:
            actual = " ".join(locator.inner_text().split())
            self._record(what, key, actual, actual == self.expected[key], "link text")

    def verify(self) -> None:
        assert not self.problems, f"wording in {self.lang!r} is not as expected:\n" + "\n".join(self.problems)


# ---------------------------------------------------------------- helpers


def main_link(page, path: str):
    """The link in <main> to `path`, found by its role, in any language."""
    return page.get_by_role("main").get_by_role("link").and_(page.locator(f'[href="{path}"]'))


def form_for(page, action: str):
    return page.locator(f'main form[action$="{action}"]')


def follow(page, link, path: str) -> None:
    """Tap a link and wait until the new page has loaded (htmx included)."""
    link.click()
    page.wait_for_url(re.compile(re.escape(path) + r"(\?.*)?$"), wait_until="load")


def submit(page, button, *, enhanced: bool = True):
    """Press a submit button and wait for the result to be on screen.

    With JavaScript on, an enhanced form must be sent by htmx (and the page
    must not reload); without it, or for a plain form, it is a normal POST
    that loads a new page.
    """
    by_htmx_expected = page.javascript and enhanced
    with ExitStack() as waiting:
        if not by_htmx_expected:
            waiting.enter_context(page.expect_navigation(wait_until="load"))
        info = waiting.enter_context(page.expect_response(lambda r: r.request.method == "POST"))
        button.click()
    response = info.value
    by_htmx = response.request.headers.get("hx-request") == "true"
    assert by_htmx == by_htmx_expected, (
        f"POST {response.url} {'was' if by_htmx else 'was not'} sent by htmx (JavaScript {'on' if page.javascript else 'off'})"
    )
    if by_htmx:
        # The old form carries .htmx-request until it is swapped out; the new
        # #main carries .htmx-settling until htmx has settled it.
        # (A locator, not wait_for_function: the site's CSP forbids eval.)
        expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    return response


def expect_language(page, lang: str) -> None:
    tag, direction = LANGUAGE_ATTRIBUTES[lang]
    html = page.locator("html")
    expect(html).to_have_attribute("lang", tag)
    expect(html).to_have_attribute("dir", direction)


def assert_fits_phone(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where} scrolls sideways at {PHONE['width']} px: scrollWidth is {width}"


def fill_experience(page, story: str) -> None:
    """Answer the required questions and write a story (any page language)."""
    page.locator('input[name="services"][value="nav"]').check()
    page.locator('input[name="usefulness"][value="4"]').check()
    page.locator("#story").fill(story)


def send_experience(page):
    return submit(page, form_for(page, "/experiences/new").locator('button[type="submit"]'))


def receipt_groups(page) -> list[str]:
    expect(page.locator("main .panel-success[role=status]")).to_be_visible()
    groups = page.locator("p.receipt-code > span:not(.sep)")
    expect(groups).to_have_count(4)
    return groups.all_inner_texts()


def tell_story(page, lang: str, story: str) -> str:
    """Send a story from the form; return its receipt code (16 characters)."""
    page.goto(f"/experiences/new?lang={lang}")
    fill_experience(page, story)
    send_experience(page)
    return "".join(receipt_groups(page))


def open_status(page, code: str):
    page.goto("/experiences/mine")
    page.locator("#code").fill(code)
    return submit(page, form_for(page, "/experiences/mine").locator('button[type="submit"]'))


def unique_story(prefix: str = "Saksbehandleren hørte på oss og ringte tilbake.") -> str:
    # Letters only: a random run of digits could be a valid phone number and trigger the PII check.
    return f"{prefix} ({''.join(random.choices(string.ascii_lowercase, k=8))})"


# ---------------------------------------------------------------- the whole flow


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_tell_look_up_add_and_delete(page, lang):
    words = Wording(lang)

    # Home: the next step is one obvious link.
    page.goto(f"/?lang={lang}")
    expect_language(page, lang)
    start = main_link(page, "/experiences/new")
    expect(start).to_have_count(1)
    words.link_name(start, "start", "home page call to action")
    follow(page, start, "/experiences/new")
    expect_language(page, lang)

    # Sending the empty form: an error summary that links to each field in error.
    response = send_experience(page)
    assert response.status == 400
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    if page.javascript:
        expect(summary).to_be_focused()
    words.text(summary.get_by_role("heading"), "problem", "error summary heading")
    words.title_has_error_prefix(page, "title of the form with errors")
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    assert links.evaluate_all("els => els.map(e => e.getAttribute('href'))") == ["#services-0", "#usefulness-0"]
    for name in ("services", "usefulness"):
        item = summary.locator(f'a[href="#{name}-0"]').inner_text().strip()
        inline = page.locator(f"#{name}-error")
        expect(inline).to_contain_text(item)  # worded like the inline error
        words.text(inline.locator(".visually-hidden"), "error_prefix", f"hidden prefix of the {name} error")
        expect(page.locator(f"#{name}-0")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"fieldset:has(#{name}-0)")).to_have_attribute("aria-describedby", re.compile(rf"\b{name}-error\b"))
    links.first.click()
    expect(page.locator("#services-0")).to_be_focused()
    assert_fits_phone(page, "the form with errors")

    # Filling it in properly gives a receipt code: 20 characters in 5 groups.
    story = unique_story()
    fill_experience(page, story)
    send_experience(page)
    thanks = page.locator(".panel-success[role=status]")
    expect(thanks).to_be_visible()
    words.text(page.get_by_role("heading", level=1), "thanks", "thanks heading")
    groups = receipt_groups(page)
    assert all(CODE_GROUP.match(group) for group in groups), groups
    assert len("".join(groups)) == 16
    copy_button = page.locator("button[data-copy]")
    if page.javascript:
        expect(copy_button).to_be_visible()
        expect(copy_button).to_have_attribute("data-copy", "-".join(groups))
    else:
        expect(copy_button).to_be_hidden()  # it cannot work without JavaScript
    assert_fits_phone(page, "the thanks page")

    # Coming back: the code typed in small letters with spaces still works.
    follow(page, main_link(page, "/experiences/mine"), "/experiences/mine")
    typed = " ".join(groups).lower()
    page.locator("#code").fill(typed)
    response = submit(page, form_for(page, "/experiences/mine").locator('button[type="submit"]'))
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    words.text(page.get_by_role("heading", level=1), "status", "status page heading")
    expect(page.locator(".user-text").first).to_have_text(story)
    assert_fits_phone(page, "the status page")

    # Adding something.
    addition = unique_story("Vi fikk også hjelp fra helsestasjonen.")
    follow_up = form_for(page, "/mine/follow-up")
    follow_up.locator("#text").fill(addition)
    submit(page, follow_up.get_by_role("button"))
    saved = page.locator(".panel-success[role=status]")
    expect(saved).to_be_visible()
    if page.javascript:
        expect(saved).to_be_focused()
    expect(page.locator(".user-text").first).to_have_text(story)
    expect(page.locator(".user-text").filter(has_text=addition)).to_have_count(1)

    # Deleting asks first, then deletes for good.
    submit(page, form_for(page, "/mine/delete").get_by_role("button"), enhanced=False)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    words.text(page.get_by_role("heading", level=1), "confirm_delete", "confirm-delete heading")
    expect(page.locator(".user-text")).to_have_count(0)
    confirm = page.locator('main form:has(input[name="confirm"][value="yes"])')
    submit(page, confirm.get_by_role("button"), enhanced=False)
    deleted = page.locator(".panel-success[role=status]")
    expect(deleted).to_be_visible()
    words.text(deleted.get_by_role("heading", level=1), "deleted", "deleted heading")

    # The code no longer works.
    page.goto("/experiences/mine")
    page.locator("#code").fill(typed)
    response = submit(page, form_for(page, "/experiences/mine").locator('button[type="submit"]'))
    assert response.status == 400
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".user-text")).to_have_count(0)
    words.title_has_error_prefix(page, "title of the look-up with a dead code")

    words.verify()


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_national_id_in_story_is_shown_before_sending(page, lang):
    words = Wording(lang)
    story = f"Jeg måtte oppgi fødselsnummeret {NATIONAL_ID} før noen ville hjelpe oss."
    page.goto(f"/experiences/new?lang={lang}")
    fill_experience(page, story)
    response = send_experience(page)
    assert response.status == 200

    warning = page.locator("main .notice-warning[role=alert]")
    expect(warning).to_be_visible()
    if page.javascript:
        expect(warning).to_be_focused()
    words.text(warning.get_by_role("heading"), "pii_warning", "personal-data warning heading")
    expect(warning.locator("mark")).to_have_text([NATIONAL_ID])
    # Nothing the family typed or chose is lost.
    expect(page.locator("#story")).to_have_value(story)
    expect(page.locator('input[name="services"][value="nav"]')).to_be_checked()
    expect(page.locator('input[name="usefulness"][value="4"]')).to_be_checked()
    assert_fits_phone(page, "the form with the personal-data warning")

    # Sending it again as it is keeps it (a moderator removes the number).
    send_again = form_for(page, "/experiences/new").locator('button[type="submit"]')
    words.text(send_again, "send_anyway", "send button under the warning")
    submit(page, send_again)
    expect(page.locator(".panel-success[role=status]")).to_be_visible()
    groups = receipt_groups(page)
    assert all(CODE_GROUP.match(group) for group in groups), groups
    words.verify()


# ---------------------------------------------------------------- layout and language


@pytest.mark.parametrize("lang", ["nb", "en", "ar"])
def test_pages_fit_a_phone_and_declare_their_language(page, lang):
    page.goto(f"/?lang={lang}")
    expect_language(page, lang)
    assert_fits_phone(page, f"home ({lang})")

    # The language menu opens inside the screen, also right to left.
    page.locator(".language-menu summary").click()
    menu = page.locator(".language-list")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"language menu is off screen: {box}"
    assert_fits_phone(page, f"home with the language menu open ({lang})")

    page.goto("/experiences/new")
    expect_language(page, lang)  # remembered by the cookie
    send_experience(page)
    expect(page.locator(".error-summary")).to_be_visible()
    expect_language(page, lang)
    assert_fits_phone(page, f"the form with errors ({lang})")

    fill_experience(page, unique_story())
    send_experience(page)
    groups = receipt_groups(page)
    expect_language(page, lang)
    assert_fits_phone(page, f"the thanks page ({lang})")
    # The code reads left to right in every language.
    expect(page.locator("p.receipt-code")).to_have_attribute("dir", "ltr")
    first, last = (page.locator("p.receipt-code > span:not(.sep)").nth(i).bounding_box() for i in (0, 3))
    assert (first["y"], first["x"]) < (last["y"], last["x"]), f"receipt code does not read left to right: {first} {last}"

    response = open_status(page, "".join(groups))
    assert response.status == 200
    expect(page.locator(".user-text").first).to_be_visible()
    expect_language(page, lang)
    assert_fits_phone(page, f"the status page ({lang})")


# ---------------------------------------------------------------- axe-core


def _reach_form_errors(page, lang):
    page.goto(f"/experiences/new?lang={lang}")
    send_experience(page)
    expect(page.locator(".error-summary")).to_be_visible()


def _reach_form_pii(page, lang):
    page.goto(f"/experiences/new?lang={lang}")
    fill_experience(page, f"Fødselsnummer {NATIONAL_ID}")
    send_experience(page)
    expect(page.locator(".notice-warning mark")).to_be_visible()


def _reach_thanks(page, lang):
    tell_story(page, lang, unique_story())


def _reach_status(page, lang):
    code = tell_story(page, lang, unique_story())
    open_status(page, code)
    expect(page.locator(".user-text").first).to_be_visible()


def _reach_confirm_delete(page, lang):
    _reach_status(page, lang)
    submit(page, form_for(page, "/mine/delete").get_by_role("button"), enhanced=False)
    expect(page.locator('form:has(input[name="confirm"][value="yes"])')).to_be_visible()


# The states of the family's pages that only a flow reaches. The pages a plain GET reaches (home,
# form, lookup, privacy, accessibility) are read by axe-core in nb and ar by
# tests/browser/test_locales.py already.
AXE_PAGES = {
    "form-errors": _reach_form_errors,
    "form-pii": _reach_form_pii,
    "thanks": _reach_thanks,
    "status": _reach_status,
    "confirm-delete": _reach_confirm_delete,
}


@pytest.mark.parametrize("where", list(AXE_PAGES))
@pytest.mark.parametrize("lang", ["nb", "ar"])
def test_axe_finds_no_wcag_violations(axe_page, lang, where):
    AXE_PAGES[where](axe_page, lang)
    expect_language(axe_page, lang)
    axe.assert_accessible(axe_page, f"{where} ({lang})")


def test_axe_check_catches_a_real_violation(axe_page):
    """The helper must not pass vacuously: an image without alt text is reported."""
    axe_page.goto("/?lang=nb")
    axe_page.evaluate(
        """() => { const img = document.createElement('img');
                   img.src = '/static/img/favicon.svg'; img.width = 32; img.height = 32;
                   document.querySelector('main').append(img); }"""
    )
    violations = axe.run(axe_page)
    assert "image-alt" in [v["id"] for v in violations], axe.describe(violations)
    assert "image-alt" in axe.describe(violations)


# ---------------------------------------------------------------- screenshots


@pytest.mark.parametrize("where", ["form-errors"])
@pytest.mark.parametrize("lang", ["nb", "ar", "ti"])
def test_screenshot(js_page, screenshot_dir, lang, where):
    """Full-page pictures at 360x740 for a person to look at (tests/output/screenshots); the home
    page and the form in these languages are taken by tests/browser/test_locales.py."""
    page = js_page
    _reach_form_errors(page, lang)
    expect_language(page, lang)
    page.evaluate("document.fonts.ready")
    path = screenshot_dir / f"{where}-{lang}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    assert path.stat().st_size > 0
