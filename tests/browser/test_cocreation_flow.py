"""Families find a co-creation session, sign up, cancel, and move up from the waiting list (issue 5).

Real Chromium at 360x740, JavaScript on (the area filter updates the list with
htmx) and off (the same filter is a plain GET form with a Show button). The
sessions are stored by the fixture on the shared staff server
(test_staff_flow.live_app): one in Saupstad with two places, one in Kattem that
the area filter must hide.
"""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests.factories import make_session

from . import axe
from .conftest import PHONE
from .test_staff_flow import live_app

pytestmark = pytest.mark.browser

JS_MODES = {"js": True, "nojs": False}


@pytest.fixture(scope="session")
def live(request, tmp_path_factory) -> dict:
    return live_app(request, tmp_path_factory)


@pytest.fixture
def sessions(live):
    """A Saupstad session with 2 places and a Kattem one, with unique titles: {"saupstad": row, "kattem": row}."""
    marker = uuid.uuid4().hex[:6]
    with Session(live["app"].extensions["voice_engine"]) as db:
        saupstad = make_session(live["app"], db, capacity=2, area_slug="saupstad", title=f"Familiekafé {marker}")
        kattem = make_session(live["app"], db, capacity=2, area_slug="kattem", title=f"Leksehjelp {marker}")
        return {
            "saupstad": {"title": saupstad.title, "public_id": saupstad.public_id},
            "kattem": {"title": kattem.title, "public_id": kattem.public_id},
        }


# ---------------------------------------------------------------- helpers


def assert_fits_phone(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where} scrolls sideways at {PHONE['width']} px: scrollWidth is {width}"


def session_link(page, title: str):
    return page.locator("#session-list").get_by_role("link", name=title, exact=True)


def session_item(page, title: str):
    return page.locator("#session-list article").filter(has=page.get_by_role("link", name=title, exact=True))


def filter_by_area(page, area: str) -> None:
    """Choose an area: with JavaScript the list follows the choice (htmx); without, the Show button sends it."""
    filters = page.locator("main form.filters")
    if page.javascript:
        with page.expect_response(lambda r: "/sessions/" in r.url and r.request.headers.get("hx-request") == "true") as info:
            filters.locator("#area").select_option(area)
        assert info.value.status == 200
        expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    else:
        filters.locator("#area").select_option(area)
        with page.expect_navigation():
            filters.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"/sessions/\?(.*&)?area={area}(&|$)"))
    expect(page.locator("#area")).to_have_value(area)


def sign_up(page, name: str, *, adults: int = 1, children: int = 1):
    form = page.locator('main form[action$="/signup"]')
    form.locator("#name").fill(name)
    form.locator("#adults").fill(str(adults))
    form.locator("#children").fill(str(children))
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        form.get_by_role("button", name="Sign up").click()
    page.wait_for_load_state()
    assert info.value.status == 200, f"sign-up answered {info.value.status}"


def private_link(page) -> str:
    link = page.locator("main p.code-block a")
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    assert re.search(r"/sessions/signup/[\w-]{20,}$", href), href
    expect(link).to_have_text(href)  # the link is written out, so it can be copied or photographed
    return href


# ---------------------------------------------------------------- the flow


@pytest.mark.parametrize("javascript", list(JS_MODES.values()), ids=list(JS_MODES))
def test_find_sign_up_cancel_and_move_up_from_waiting_list(new_context, sessions, javascript):
    saupstad, kattem = sessions["saupstad"], sessions["kattem"]

    # The first family finds the session by area.
    first = new_context(javascript=javascript)
    first.goto("/sessions/?lang=en")
    expect(first.get_by_role("heading", level=1)).to_have_text("Meet and create together")
    expect(session_link(first, saupstad["title"])).to_be_visible()
    expect(session_link(first, kattem["title"])).to_be_visible()
    filter_by_area(first, "saupstad")
    expect(session_link(first, saupstad["title"])).to_be_visible()
    expect(session_link(first, kattem["title"])).to_have_count(0)
    item = session_item(first, saupstad["title"])
    expect(item).to_contain_text("Saupstad")
    expect(item).to_contain_text("2 places left")
    assert_fits_phone(first, "the filtered list of sessions")

    session_link(first, saupstad["title"]).click()
    expect(first).to_have_url(re.compile(rf"/sessions/{saupstad['public_id']}$"))
    expect(first.get_by_role("heading", level=1)).to_have_text(saupstad["title"])
    expect(first.locator("main")).to_contain_text("2 places left.")
    assert_fits_phone(first, "the session page")

    # Signs up: one adult and one child take both places.
    sign_up(first, "Familien Ali")
    expect(first.get_by_role("heading", level=1)).to_have_text("You are signed up")
    expect(first.locator("main .panel-success[role=status]")).to_be_visible()
    first_link = private_link(first)
    assert_fits_phone(first, "the signed-up page")

    # A second family finds the session full and lands on the waiting list.
    second = new_context(javascript=javascript)
    second.goto("/sessions/?lang=en&area=saupstad")
    item = session_item(second, saupstad["title"])
    expect(item).to_contain_text("Full – you can join the waiting list")
    session_link(second, saupstad["title"]).click()
    expect(second.locator("main")).to_contain_text("The session is full. Sign up to join the waiting list")
    sign_up(second, "Familien Hansen")
    expect(second.get_by_role("heading", level=1)).to_have_text("You are on the waiting list")
    second_link = private_link(second)
    assert second_link != first_link
    second.goto(second_link)
    expect(second.locator("main")).to_contain_text("You are on the waiting list.")

    # The first family opens its private link and cancels.
    first.goto(first_link)
    expect(first.get_by_role("heading", level=1)).to_have_text("Your place")
    expect(first.locator("main")).to_contain_text("You have a place.")
    with first.expect_response(lambda r: r.request.method == "POST") as info:
        first.get_by_role("button", name="Cancel my place").click()
    first.wait_for_load_state()
    assert info.value.status == 200
    expect(first.get_by_role("heading", level=1)).to_have_text("Your place is cancelled")
    first.goto(first_link)
    expect(first.locator("main")).to_contain_text("You have cancelled.")
    expect(first.get_by_role("button", name="Cancel my place")).to_have_count(0)

    # The second family's private link now shows the place.
    second.goto(second_link)
    expect(second.locator("main")).to_contain_text("You have a place.")
    expect(second.get_by_role("button", name="Cancel my place")).to_be_visible()
    assert_fits_phone(second, "the manage page")


def test_session_pages_have_no_axe_violations(new_context, sessions):
    saupstad = sessions["saupstad"]
    page = new_context(javascript=True, bypass_csp=True)
    found: dict[str, str] = {}

    def check(where: str) -> None:
        violations = axe.run(page)
        if violations:
            found[where] = axe.describe(violations)

    page.goto("/sessions/?lang=en")
    check("/sessions/")
    page.goto("/sessions/?area=saupstad")
    check("/sessions/?area=saupstad")
    page.goto(f"/sessions/{saupstad['public_id']}")
    check("a session page")
    sign_up(page, "Familien Axe")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are signed up")
    check("the signed-up page")
    page.goto(private_link(page))
    expect(page.get_by_role("button", name="Cancel my place")).to_be_visible()
    check("the manage page")

    assert not found, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(
        f"{where}:\n{text}" for where, text in found.items()
    )
