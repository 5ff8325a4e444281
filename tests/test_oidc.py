"""Staff sign in with the municipality's own login (issue 19), against a real OpenID provider
running locally (npm's certified oidc-provider, tests/oidc/), on SQLite and PostgreSQL. The
provider's pages are used over plain HTTP, as a browser would (tests/browser/test_oidc_flow.py
does it with Chromium): no mock of the provider anywhere."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from sqlmodel import Session, select

from voice import create_app
from voice.accounts.models import AuditEntry, User, UserSession
from voice.reference.models import Service
from voice.reference.service import seed_reference_data

from .conftest import empty_database, test_config
from .oidc_provider import oidc_provider, oidc_provider_factory  # noqa: F401

ROLE_MAP = '{"voice-admins": "admin", "voice-moderators": "moderator"}'
ALICE, BOB = "alice@trondheim.kommune.no", "bob@trondheim.kommune.no"
CALLBACK = "http://localhost/staff/login/municipal/callback"


def make_app(database_url, provider, **extra):
    config = test_config(database_url) | {
        "OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": provider.client_id,
        "OIDC_CLIENT_SECRET": provider.client_secret, "OIDC_ROLE_MAP": ROLE_MAP, **extra}
    return create_app(config)


@pytest.fixture
def oidc_app(database_url, oidc_provider):  # noqa: F811
    app = make_app(database_url, oidc_provider)
    empty_database(app.extensions["voice_engine"])
    with Session(app.extensions["voice_engine"]) as db:
        seed_reference_data(session=db)
        db.commit()
    yield app
    empty_database(app.extensions["voice_engine"])


class Browser:
    """The Flask test client for Voice and a requests session for the provider, joined at the
    redirects between them: what a browser does, one hop at a time."""

    def __init__(self, app, provider):
        self.voice, self.provider, self.web = app.test_client(), provider, requests.Session()

    def start(self):
        response = self.voice.get("/staff/login/municipal?lang=en")
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return response.headers["Location"]

    def at_provider(self, url, data=None):
        """Follow the provider's redirects until it shows a page or sends us back to Voice."""
        response = self.web.post(url, data=data, allow_redirects=False) if data else self.web.get(url, allow_redirects=False)
        while response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if url.startswith("http://localhost/"):
                return url, None
            response = self.web.get(url, allow_redirects=False)
        return url, response

    def sign_in(self, email, password=None):
        """Through the provider's login form; returns Voice's answer to the callback and its URL."""
        url, page = self.at_provider(self.start())
        if page is not None:  # the provider's login form (skipped while its session lives)
            action = unescape(re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1))
            url, page = self.at_provider(urljoin(url, action),
                                         {"login": email, "password": password or self.provider.users[email]})
        assert page is None, page.text[:300] if page is not None else ""
        assert url.startswith(CALLBACK), url
        parts = urlsplit(url)
        return self.voice.get(f"{parts.path}?{parts.query}"), url


def entries(app, action):
    with Session(app.extensions["voice_engine"]) as db:
        return list(db.exec(select(AuditEntry).where(AuditEntry.action == action)))


def user_of(app, email):
    with Session(app.extensions["voice_engine"]) as db:
        return db.exec(select(User).where(User.email == email)).first()


def test_the_login_page_offers_the_municipal_login_only_when_configured(client, oidc_app):
    assert "Log in with your municipal account" not in client.get("/staff/login?lang=en").get_data(as_text=True)
    page = oidc_app.test_client().get("/staff/login?lang=en").get_data(as_text=True)
    assert "Log in with your municipal account" in page and 'href="/staff/login/municipal"' in page


def test_the_first_sign_in_makes_the_account_with_the_role_of_the_group(oidc_app, oidc_provider):  # noqa: F811
    browser = Browser(oidc_app, oidc_provider)
    start = browser.start()
    query = dict(part.split("=", 1) for part in urlsplit(start).query.split("&"))
    assert query["code_challenge_method"] == "S256" and query["code_challenge"] and query["state"] and query["nonce"]
    answer, _ = Browser(oidc_app, oidc_provider).sign_in(ALICE)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/moderation/")
    alice = user_of(oidc_app, ALICE)
    assert (alice.role, alice.password_hash, alice.totp_enabled, alice.is_active) == ("admin", None, False, True)
    assert alice.display_name == "Alice Admin" and alice.last_amr == "pwd,mfa" and alice.last_acr
    assert alice.oidc_issuer == oidc_provider.issuer and alice.oidc_subject
    assert len(entries(oidc_app, "account_created_oidc")) == 1
    assert '"via": "oidc"' in entries(oidc_app, "login")[0].detail
    signed_in = Browser(oidc_app, oidc_provider)
    signed_in.sign_in(ALICE)
    home = signed_in.voice.get("/staff/?lang=en").get_data(as_text=True)
    assert "/staff/password" not in home  # no Voice password to change: the municipality's login has it
    assert signed_in.voice.get("/staff/password").status_code == 404


def test_a_moderator_group_gives_a_moderator_and_losing_it_closes_the_account(oidc_app, oidc_provider):  # noqa: F811
    answer, _ = Browser(oidc_app, oidc_provider).sign_in(BOB)
    assert answer.status_code == 302 and user_of(oidc_app, BOB).role == "moderator"
    oidc_provider.set_groups(BOB, [])
    try:
        refused, _ = Browser(oidc_app, oidc_provider).sign_in(BOB)
        assert refused.status_code == 403
        assert "Your municipal account has no role in Voice" in unescape(refused.get_data(as_text=True))
        assert user_of(oidc_app, BOB).is_active is False
        assert len(entries(oidc_app, "oidc_role_lost")) == 1
    finally:
        oidc_provider.set_groups(BOB, ["voice-moderators"])
    again, _ = Browser(oidc_app, oidc_provider).sign_in(BOB)
    assert again.status_code == 302 and user_of(oidc_app, BOB).is_active is True


def test_a_replayed_callback_is_refused_with_a_page_and_an_audit_entry(oidc_app, oidc_provider):  # noqa: F811
    browser = Browser(oidc_app, oidc_provider)
    answer, url = browser.sign_in(BOB)
    assert answer.status_code == 302
    parts = urlsplit(url)
    replay = browser.voice.get(f"{parts.path}?{parts.query}&lang=en")
    assert replay.status_code == 400
    assert "This login link was already used or is too old" in unescape(replay.get_data(as_text=True))
    assert '"reason": "state"' in entries(oidc_app, "oidc_failed")[-1].detail


def test_a_provider_that_is_down_gives_a_page_not_a_500(database_url, oidc_provider):  # noqa: F811
    app = make_app(database_url, oidc_provider, OIDC_ISSUER="http://127.0.0.1:9")  # nothing listens there
    answer = app.test_client().get("/staff/login/municipal?lang=en")
    assert answer.status_code == 502
    assert "The municipality's login service did not answer" in unescape(answer.get_data(as_text=True))


def test_the_admin_can_require_the_providers_second_factor(database_url, oidc_provider):  # noqa: F811
    app = make_app(database_url, oidc_provider, OIDC_REQUIRE_MFA=True)
    empty_database(app.extensions["voice_engine"])
    try:
        refused, _ = Browser(app, oidc_provider).sign_in(BOB)  # amr: pwd only
        assert refused.status_code == 403 and "second step" in unescape(refused.get_data(as_text=True))
        allowed, _ = Browser(app, oidc_provider).sign_in(ALICE)  # amr: pwd, mfa
        assert allowed.status_code == 302
    finally:
        empty_database(app.extensions["voice_engine"])


def test_logout_ends_the_voice_session_and_the_providers(oidc_app, oidc_provider):  # noqa: F811
    browser = Browser(oidc_app, oidc_provider)
    browser.sign_in(ALICE)
    page = browser.voice.get("/staff/?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    out = browser.voice.post("/staff/logout", data={"csrf_token": token})
    assert out.status_code == 302 and out.headers["Location"].endswith("/staff/login/municipal/logout")
    to_provider = browser.voice.get(out.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "You are logged out of Voice" in to_provider
    end_session = unescape(re.search(r'<a[^>]*href="([^"]+)"[^>]*>Log out of your municipal account too', to_provider).group(1))
    assert f'content="0; url={end_session}"' in unescape(to_provider)
    assert end_session.startswith(oidc_provider.issuer) and "id_token_hint=" in end_session
    with Session(oidc_app.extensions["voice_engine"]) as db:
        assert all(record.ended_at is not None for record in db.exec(select(UserSession)))
    url, confirm = browser.at_provider(end_session)
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', confirm.text))
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', confirm.text).group(1))
    back, _ = browser.at_provider(urljoin(url, action), {**form, "logout": "yes"})
    assert back.startswith("http://localhost/staff/login")
    assert browser.voice.get("/staff/").status_code in (302, 401, 403)  # no longer logged in
    url, page = browser.at_provider(browser.start())
    assert page is not None and 'name="password"' in page.text  # the provider asks again


@pytest.mark.parametrize("mode", ["signature", "audience", "expired", "nonce"])
def test_a_tampered_token_is_refused_with_a_page_and_an_audit_entry(oidc_app, oidc_provider, mode):  # noqa: F811
    """The provider itself hands back a token with a bad signature, another audience, an expiry in
    the past or another nonce (its test switch re-signs with its own key): Voice lets nobody in."""
    oidc_provider.tamper(mode)
    try:
        refused, _ = Browser(oidc_app, oidc_provider).sign_in(BOB)
    finally:
        oidc_provider.tamper("none")
    assert refused.status_code == 400, refused.get_data(as_text=True)[:300]
    assert "could not be trusted" in unescape(refused.get_data(as_text=True))
    assert '"reason": "token"' in entries(oidc_app, "oidc_failed")[-1].detail
    assert user_of(oidc_app, BOB) is None  # no account made from it
    with Session(oidc_app.extensions["voice_engine"]) as db:
        assert db.exec(select(UserSession)).all() == []


def test_a_forged_logout_token_ends_nothing(oidc_app, oidc_provider):  # noqa: F811
    """The back-channel logout takes only a token the provider signed (the real one is in
    tests/browser/test_oidc_flow.py): anything else is a 400 and an audit entry."""
    answer, _ = Browser(oidc_app, oidc_provider).sign_in(ALICE)
    assert answer.status_code == 302
    forged = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."
    refused = oidc_app.test_client().post("/staff/login/municipal/backchannel-logout", data={"logout_token": forged})
    assert refused.status_code == 400
    assert '"reason": "logout_token"' in entries(oidc_app, "oidc_failed")[-1].detail
    with Session(oidc_app.extensions["voice_engine"]) as db:
        assert all(record.ended_at is None for record in db.exec(select(UserSession)))


def test_the_admin_maps_a_group_to_a_role_and_takes_it_back(oidc_app, oidc_provider):  # noqa: F811
    admin = Browser(oidc_app, oidc_provider)
    admin.sign_in(ALICE)
    page = admin.voice.get("/admin/municipal-login?lang=en").get_data(as_text=True)
    assert "Set by the server (OIDC_ROLE_MAP)" in page and "voice-admins" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    empty = admin.voice.post("/admin/municipal-login?lang=en", data={"csrf_token": token, "group": " ", "role": "moderator"})
    assert empty.status_code == 400 and "Write the name of the group" in unescape(empty.get_data(as_text=True))
    saved = admin.voice.post("/admin/municipal-login", data={"csrf_token": token, "group": "voice-helpers", "role": "moderator"})
    assert saved.status_code == 302 and len(entries(oidc_app, "oidc_mapping_saved")) == 1
    oidc_provider.set_groups(BOB, ["voice-helpers"])
    try:
        helped, _ = Browser(oidc_app, oidc_provider).sign_in(BOB)
        assert helped.status_code == 302 and user_of(oidc_app, BOB).role == "moderator"
        page = admin.voice.get("/admin/municipal-login?lang=en").get_data(as_text=True)
        mapping_id = re.search(r'/admin/municipal-login/(\d+)/remove', page).group(1)
        assert admin.voice.post(f"/admin/municipal-login/{mapping_id}/remove", data={"csrf_token": token}).status_code == 302
        refused, _ = Browser(oidc_app, oidc_provider).sign_in(BOB)
        assert refused.status_code == 403 and user_of(oidc_app, BOB).is_active is False
    finally:
        oidc_provider.set_groups(BOB, ["voice-moderators"])


def test_the_admin_maps_a_group_to_answering_for_one_service(oidc_app, oidc_provider):  # noqa: F811
    admin = Browser(oidc_app, oidc_provider)
    admin.sign_in(ALICE)
    page = admin.voice.get("/admin/municipal-login?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    typed = {"csrf_token": token, "group": "nav-svar", "role": "responder", "service": ""}
    missing = admin.voice.post("/admin/municipal-login?lang=en", data=typed)
    text = unescape(missing.get_data(as_text=True))
    assert missing.status_code == 400 and "Choose the service this person answers for." in text and 'value="nav-svar"' in text
    assert admin.voice.post("/admin/municipal-login", data=typed | {"service": "nav"}).status_code == 302
    listed = admin.voice.get("/admin/municipal-login?lang=en").get_data(as_text=True)
    assert "Answers for a service: NAV (labour and welfare)" in listed
    oidc_provider.set_groups(BOB, ["nav-svar"])
    try:
        answered, _ = Browser(oidc_app, oidc_provider).sign_in(BOB)
        assert answered.status_code == 302 and answered.headers["Location"].endswith("/answers/")
        bob = user_of(oidc_app, BOB)
        with Session(oidc_app.extensions["voice_engine"]) as db:
            nav = db.exec(select(Service).where(Service.slug == "nav")).one()
        assert (bob.role, bob.service_id) == ("responder", nav.id)
    finally:
        oidc_provider.set_groups(BOB, ["voice-moderators"])
    again, _ = Browser(oidc_app, oidc_provider).sign_in(BOB)
    assert again.status_code == 302 and (user_of(oidc_app, BOB).role, user_of(oidc_app, BOB).service_id) == ("moderator", None)


def test_a_token_signed_with_a_new_key_makes_voice_read_the_jwks_again(database_url, oidc_provider_factory):  # noqa: F811
    provider = oidc_provider_factory([CALLBACK], ["http://localhost/staff/login"])  # its own: it will rotate
    app = make_app(database_url, provider)
    empty_database(app.extensions["voice_engine"])
    try:
        assert Browser(app, provider).sign_in(ALICE)[0].status_code == 302
        fetched = provider.jwks_fetches()
        assert fetched >= 1
        assert Browser(app, provider).sign_in(ALICE)[0].status_code == 302
        assert provider.jwks_fetches() == fetched  # the key set is kept, not read at every sign-in
        provider.rotate_keys()
        answer, _ = Browser(app, provider).sign_in(ALICE)
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/moderation/")
        assert provider.jwks_fetches() == fetched + 1  # the unknown key id made Voice read it once more
        assert not entries(app, "oidc_failed")
    finally:
        empty_database(app.extensions["voice_engine"])
