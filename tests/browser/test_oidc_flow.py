"""A staff member signs in with the municipal login in a real browser (issue 19): Voice's login
page, the local OpenID provider's own login form (npm's oidc-provider, tests/oidc/), back to
Voice as a moderator, then out of both. With JavaScript on and off: nothing here needs it."""
from __future__ import annotations

import socket

import pytest
from playwright.sync_api import expect

from ..oidc_provider import oidc_provider_factory  # noqa: F401
from .conftest import JS_MODES, _new_page, start_live_server

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def oidc_live(request, tmp_path_factory, oidc_provider_factory):  # noqa: F811
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    provider = oidc_provider_factory([f"{base}/staff/login/municipal/callback"], [f"{base}/staff/login"],
                                     backchannel_uri=f"{base}/staff/login/municipal/backchannel-logout")
    live = start_live_server(request, tmp_path_factory, "oidc", port=port, settings={
        "OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": provider.client_id,
        "OIDC_CLIENT_SECRET": provider.client_secret,
        "OIDC_ROLE_MAP": '{"voice-admins": "admin", "voice-moderators": "moderator"}'})
    return live, provider


def _sign_in(page, live, provider, email, password):
    """From Voice's login page through the provider's own form, back to Voice's staff home."""
    page.goto("/staff/login?lang=en")
    page.get_by_role("link", name="Log in with your municipal account").click()
    page.wait_for_url(f"{provider.issuer}/**")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live['url']}/moderation/**")


@pytest.mark.parametrize("mode", list(JS_MODES))
def test_a_moderator_signs_in_with_the_municipal_login_and_out_of_both(browser, oidc_live, mode):
    live, provider = oidc_live
    context, page = _new_page(browser, live["url"], javascript=JS_MODES[mode])
    try:
        _sign_in(page, live, provider, "bob@trondheim.kommune.no", "bob-pass")
        expect(page.locator("h1")).to_have_text("Stories to read")

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{provider.issuer}/**")
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_url(f"{live['url']}/staff/login**")
        expect(page.get_by_role("link", name="Log in with your municipal account")).to_be_visible()
        page.goto("/moderation/")
        assert "/staff/login" in page.url  # Voice's session is over
    finally:
        context.close()


def test_signing_out_at_the_provider_ends_the_voice_session_too(browser, oidc_live):
    """Back-channel logout: the provider tells Voice, server to server, and the moderator's next
    page in Voice asks them to log in again."""
    import requests

    live, provider = oidc_live
    context, page = _new_page(browser, live["url"], javascript=True)
    try:
        _sign_in(page, live, provider, "alice@trondheim.kommune.no", "alice-pass")
        end_session = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=5).json()["end_session_endpoint"]
        page.goto(end_session)  # at the provider, not through Voice
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_load_state()
        for _ in range(20):
            page.goto("/moderation/")
            if "/staff/login" in page.url:
                break
            page.wait_for_timeout(250)
        assert "/staff/login" in page.url, page.url
        with live["app"].app_context():
            from sqlmodel import Session, select

            from voice.accounts.models import AuditEntry

            with Session(live["app"].extensions["voice_engine"]) as db:
                assert db.exec(select(AuditEntry).where(AuditEntry.action == "oidc_backchannel_logout")).all()
    finally:
        context.close()


@pytest.mark.parametrize("lang,button,refused,back", [
    ("nb", "Logg inn med kommunekontoen din", "Du ble ikke logget inn", "Tilbake til innloggingssiden"),
    ("ar", "سجّل الدخول بحساب البلدية الخاص بك", "لم يتم تسجيل دخولك", "العودة إلى صفحة تسجيل الدخول"),
])
def test_the_municipal_login_speaks_the_staff_members_language(browser, oidc_live, lang, button, refused, back):
    """The login page's button and a refused sign-in (a callback whose state Voice never gave)
    in Norwegian and in Arabic, right to left; screenshots at phone size."""
    from .conftest import SCREENSHOT_DIR

    live, _provider = oidc_live
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    context, page = _new_page(browser, live["url"], javascript=True)
    try:
        page.goto(f"/staff/login?lang={lang}")
        expect(page.get_by_role("link", name=button)).to_be_visible()
        page.screenshot(path=str(SCREENSHOT_DIR / f"municipal-login-{lang}.png"), full_page=True)
        answer = page.goto("/staff/login/municipal/callback?state=never-given&code=x")
        assert answer.status == 400
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        expect(page.locator("main h1")).to_have_text(refused)
        expect(page.get_by_role("link", name=back)).to_be_visible()  # and a way to try again
        page.screenshot(path=str(SCREENSHOT_DIR / f"municipal-login-refused-{lang}.png"), full_page=True)
    finally:
        context.close()
