"""Public pages kept per language and content version (issue 18, item 1), on SQLite and
PostgreSQL: a page is rendered once and served from the store until something it shows changes;
a decision, an edited session and an admin's reference edit are visible on the very next
anonymous request; a new story waiting to be read keeps the pages; several machines share one
store in Redis."""
from __future__ import annotations

import os
import re

import pytest
from sqlmodel import Session, select

from voice import create_app, versioning
from voice.clock import utcnow
from voice.moderation import service as moderation
from voice.reference import service as reference
from voice.reference.models import Service
from voice.web.kept_pages import unpack
from voice.web.page_cache import MemoryStore, RedisStore

from .conftest import empty_database, test_config
from .factories import make_experience, make_session, make_user


class Counts:
    hits = 0
    kept = 0


@pytest.fixture
def visitor(app):
    """Each request from a new anonymous visitor who chose English (the choice is a cookie, which
    kept pages allow; a page with a form would give a visitor a session, and their next pages
    are their own, never a kept one)."""

    class Visitors:
        def get(self, path, **kwargs):
            visitor = app.test_client()
            visitor.set_cookie("lang", "en")
            return visitor.get(path, **kwargs)

    return Visitors()


@pytest.fixture
def spy(app, monkeypatch):
    """Counts the hits and the pages kept of the app's own store."""
    store, counts = app.extensions["voice_page_cache"], Counts()
    real_get, real_set = store.get, store.set

    def get(key):
        body = real_get(key)
        counts.hits += body is not None
        return body

    def keep(key, body):
        counts.kept += 1
        real_set(key, body)

    monkeypatch.setattr(store, "get", get)
    monkeypatch.setattr(store, "set", keep)
    return counts


def publish(app, db, text):
    """A story told, then published by a moderator (the moderator's account made beforehand, so
    only the decision itself can change the version)."""
    moderator = make_user(app, db)[0]
    story, _ = make_experience(app, db, story=text, consent_publish=True)
    moderation.decide(session=db, experience=story, moderator=moderator, decision="published",
                      published_story=text, now=utcnow())
    db.commit()
    return story


def test_a_page_is_rendered_once_then_served_until_a_decision_changes_it(app, visitor, db, spy):
    publish(app, db, "The first story on the site.")
    first = visitor.get("/stories/")
    assert spy.kept == 1 and spy.hits == 0
    again = visitor.get("/stories/")
    assert spy.hits == 1 and again.get_data() == first.get_data()
    publish(app, db, "A story published a moment later.")
    after = visitor.get("/stories/").get_data(as_text=True)
    assert "A story published a moment later." in after and "The first story on the site." in after
    assert spy.hits == 1  # the decision changed the version: rendered anew, not served


def test_a_new_story_waiting_to_be_read_keeps_the_pages(app, visitor, db, spy):
    publish(app, db, "Already on the site.")
    visitor.get("/stories/")
    before = versioning.current(db.connection())
    db.commit()
    make_experience(app, db, story="Sent just now, not read yet.", consent_publish=True)
    assert versioning.current(db.connection()) == before
    db.commit()
    assert "Sent just now" not in visitor.get("/stories/").get_data(as_text=True)
    assert spy.hits == 1


def test_an_edited_session_shows_on_the_next_request(app, visitor, db, spy):
    cosession = make_session(app, db, title="Family café")
    for _ in range(2):
        assert "Family café" in visitor.get("/sessions/").get_data(as_text=True)
    assert "Family café" in visitor.get(f"/sessions/{cosession.public_id}").get_data(as_text=True)
    assert spy.hits == 1
    cosession.title = "Family café, moved to Thursday"
    db.add(cosession)
    db.commit()
    assert "moved to Thursday" in visitor.get("/sessions/").get_data(as_text=True)
    assert "moved to Thursday" in visitor.get(f"/sessions/{cosession.public_id}").get_data(as_text=True)


def test_an_admins_reference_edit_shows_on_the_next_request(app, visitor, db, spy):
    publish(app, db, "A story about NAV.")
    for _ in range(2):
        assert "NAV" in visitor.get("/stories/").get_data(as_text=True)
    assert spy.hits == 1
    nav = db.exec(select(Service).where(Service.slug == "nav")).one()
    reference.set_names(session=db, kind="service", ref_id=nav.id, names={"en": "The welfare office (NAV)"})
    db.commit()
    assert "The welfare office (NAV)" in visitor.get("/stories/").get_data(as_text=True)


def test_each_language_and_each_htmx_part_is_kept_apart(app, db, spy):
    publish(app, db, "One story.")
    visitor = app.test_client()
    for _ in range(2):  # the second time from the store
        norwegian = visitor.get("/stories/", headers={"Accept-Language": "nb"}).get_data(as_text=True)
        arabic = visitor.get("/stories/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
        assert '<html lang="nb" dir="ltr">' in norwegian and '<html lang="ar" dir="rtl">' in arabic
        part = visitor.get("/stories/", headers={"Accept-Language": "nb", "HX-Request": "true"}).get_data(as_text=True)
        assert "<html" not in part and "One story." in part
    assert spy.hits == 3


def test_a_logged_in_moderator_is_never_served_a_kept_page(app, client, visitor, db, spy, staff):
    publish(app, db, "One story.")
    visitor.get("/stories/")
    staff("moderator")  # logs ``client`` in
    page = client.get("/stories/?lang=en")
    assert spy.hits == 0 and page.headers["Cache-Control"] == "no-store"
    assert "/moderation/" in page.get_data(as_text=True)  # the staff's own navigation


def test_a_kept_page_is_answered_before_flask_with_the_same_headers(app, visitor, db, spy, monkeypatch):
    """The second visitor's page comes from the layer before Flask (the view is not called):
    the same body and headers as the first's, a 304 for a browser that has it, a HEAD without a
    body, and each counted by the monitoring like a rendered page."""
    publish(app, db, "A story to keep.")
    calls = []
    view = app.view_functions["stories.index"]
    monkeypatch.setitem(app.view_functions, "stories.index", lambda **kw: calls.append(1) or view(**kw))
    first, again = visitor.get("/stories/"), visitor.get("/stories/")
    assert calls == [1] and spy.hits == 1 and again.get_data() == first.get_data()
    for name in ("Content-Security-Policy", "Cache-Control", "ETag", "Vary", "X-Frame-Options", "Content-Type"):
        assert again.headers.get(name) == first.headers.get(name), name
    assert again.headers["Cache-Control"] == "public, no-cache" and "Set-Cookie" not in again.headers
    unchanged = visitor.get("/stories/", headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.get_data() == b"" and unchanged.headers["ETag"] == first.headers["ETag"]
    head = app.test_client().head("/stories/", headers={"Accept-Language": "en"})
    assert head.status_code == 200 and head.get_data() == b""
    assert calls == [1]
    metrics = app.extensions["voice_metrics"]
    counted = {status: metrics.registry.get_sample_value("voice_http_requests_total",
                                                         {"endpoint": "stories.index", "status_class": status})
               for status in ("2xx", "3xx")}
    assert counted["2xx"] >= 2 and counted["3xx"] >= 1
    publish(app, db, "A decision after that.")
    assert "A decision after that." in visitor.get("/stories/").get_data(as_text=True) and calls == [1, 1]


def test_the_layer_before_flask_leaves_other_requests_to_flask(app, visitor, db, spy):
    """Not answered from the store: another host, a session cookie, a page with a form, a POST,
    an address that is not a page."""
    publish(app, db, "A story to keep.")
    visitor.get("/stories/")
    assert app.test_client().get("/stories/", headers={"Host": "evil.example"}).status_code == 400
    with_session = app.test_client()
    with_session.set_cookie(app.config["SESSION_COOKIE_NAME"], "anything")
    assert with_session.get("/stories/", headers={"Accept-Language": "en"}).headers["Cache-Control"] == "no-store"
    assert app.test_client().get("/no-such-page").status_code == 404
    assert app.test_client().post("/stories/").status_code == 405
    assert spy.hits == 0


def test_the_memory_store_drops_the_least_used_page():
    store = MemoryStore(max_entries=2)
    store.set("a", b"A")
    store.set("b", b"B")
    assert store.get("a") == b"A"
    store.set("c", b"C")
    assert (store.get("a"), store.get("b"), store.get("c")) == (b"A", None, b"C")


REDIS_URL = os.environ.get("VOICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_two_machines_share_one_store_in_redis(database_url):
    """Two apps (two machines) on one database and one Redis: a page one rendered is served by
    the other, and a decision made through either is seen by both at once."""
    config = test_config(database_url) | {"PAGE_CACHE": "redis", "REDIS_URL": REDIS_URL,
                                      "JOBS_QUEUE": f"voice-test-pages-{os.getpid()}"}
    first, second = create_app(config), create_app(config)
    assert isinstance(first.extensions["voice_page_cache"], RedisStore)
    first.extensions["voice_page_cache"].clear()
    engine = first.extensions["voice_engine"]
    empty_database(engine)
    with Session(engine, expire_on_commit=False) as db:
        reference.seed_reference_data(session=db)
        db.commit()
        publish(first, db, "Told on the first machine.")
        page = first.test_client().get("/stories/", headers={"Accept-Language": "en"}).get_data()
        store = second.extensions["voice_page_cache"]
        keys = list(store._redis.scan_iter(store.prefix + "*"))
        assert len(keys) == 1 and unpack(store._redis.get(keys[0]))[1] == page
        assert second.test_client().get("/stories/", headers={"Accept-Language": "en"}).get_data() == page
        publish(second, db, "Then one more, through the second.")
        assert b"Then one more" in first.test_client().get("/stories/", headers={"Accept-Language": "en"}).get_data()
    first.extensions["voice_page_cache"].clear()
    empty_database(engine)


def tokens(html: str) -> tuple[str, str]:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    form = re.search(r'<input[^>]*name="form_token"[^>]*value="([^"]+)"', html)
    form = form or re.search(r'<input[^>]*value="([^"]+)"[^>]*name="form_token"', html)
    return csrf, form.group(1)


def test_a_form_page_is_kept_with_each_visitor_getting_their_own_tokens(app, db, spy, monkeypatch):
    """The story form and a session's page are the same for everyone but for two tokens: kept
    once, filled for each visitor before Flask runs (the view is called once), in a session of
    their own, and the tokens work."""
    make_user(app, db)  # any change: the database has a content version from here on
    calls = []
    view = app.view_functions["experiences.new"]
    monkeypatch.setitem(app.view_functions, "experiences.new", lambda **kw: calls.append(1) or view(**kw))
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        browser.set_cookie("lang", "en")
    pages = [browser.get("/experiences/new") for browser in (first, second)]
    assert spy.kept == 1 and spy.hits == 1 and calls == [1]
    html = [page.get_data(as_text=True) for page in pages]
    assert all("voice-slot" not in text for text in html)
    (csrf_a, form_a), (csrf_b, form_b) = tokens(html[0]), tokens(html[1])
    assert csrf_a != csrf_b and form_a != form_b
    assert all(page.headers["Cache-Control"] == "no-store" and page.headers.getlist("Set-Cookie") for page in pages)
    assert pages[0].headers["Content-Security-Policy"] == pages[1].headers["Content-Security-Policy"]
    assert int(pages[1].headers["Content-Length"]) == len(pages[1].get_data())
    sent = second.post("/experiences/new", data={"csrf_token": csrf_b, "form_token": form_b, "services": ["nav"],
                                                 "usefulness": "4", "story_lang": "en", "story": "Kept page, own token."})
    assert sent.status_code == 303, sent.get_data(as_text=True)[:300]


def test_a_sessions_page_is_kept_and_shows_the_places_left_after_a_sign_up(app, db, spy):
    cosession = make_session(app, db, capacity=5)
    path = f"/sessions/{cosession.public_id}"
    browsers = [app.test_client() for _ in range(3)]
    for browser in browsers:
        browser.set_cookie("lang", "en")
    page = browsers[0].get(path).get_data(as_text=True)
    assert "5 places left." in page
    again = browsers[1].get(path).get_data(as_text=True)
    assert spy.hits == 1 and "5 places left." in again
    csrf, form_token = tokens(again)
    signed = browsers[1].post(f"{path}/signup", data={"csrf_token": csrf, "form_token": form_token, "name": "Amina",
                                                       "adults": "2", "children": "0"})
    assert signed.status_code == 200 and "/sessions/signup/" in signed.get_data(as_text=True)
    assert "3 places left." in browsers[2].get(path).get_data(as_text=True)


def test_the_version_read_gives_none_when_the_database_is_away():
    """The layer before Flask then hands the request to Flask, which answers with its page for a
    database that is away (tests/test_resilience.py), never a 500 of its own."""
    from voice.db import reader_engine_for

    assert versioning.current_raw(reader_engine_for("postgresql+psycopg://nobody@127.0.0.1:9/none")) is None
