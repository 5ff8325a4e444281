"""The foundation: schema, headers, languages, errors and failure handling."""
from __future__ import annotations

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

import voice.models  # noqa: F401
from voice import create_app
from voice.experiences.models import Experience
from voice.locales import LOCALES

from .conftest import test_config

PUBLIC_PAGES = ["/", "/experiences/new", "/experiences/mine", "/privacy", "/accessibility"]
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def test_migrations_give_exactly_the_schema_of_the_models(app):
    with app.extensions["voice_engine"].connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_security_headers_on_every_page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == ("no-store" if path.startswith("/experiences/") else "public, no-cache")
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_no_inline_code_and_no_third_party_resources(client, path):
    page = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script"
    assert not re.search(r"\sstyle=", page), "inline style attribute"
    assert "<style" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page), "third-party resource"


def test_hsts_only_over_https(database_url):
    app = create_app({**test_config(database_url), "HSTS": True})
    assert "Strict-Transport-Security" in app.test_client().get("/", base_url="https://localhost").headers
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers


def test_session_cookie_is_httponly_and_samesite(client):
    client.get("/experiences/mine")
    cookie = client.get_cookie("voice_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_session_cookie_is_secure_outside_local_development(monkeypatch, tmp_path):
    monkeypatch.delenv("VOICE_ENV", raising=False)
    from voice.config import from_environment

    assert from_environment(tmp_path)["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("VOICE_ENV", "development")
    assert from_environment(tmp_path)["SESSION_COOKIE_SECURE"] is False


def test_secret_key_is_generated_once_into_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from voice.config import from_environment

    first = from_environment(tmp_path)["SECRET_KEY"]
    assert len(first) >= 64 and (tmp_path / "secret_key").read_text().strip() == first
    assert from_environment(tmp_path)["SECRET_KEY"] == first


# -- Languages ----------------------------------------------------------------

def html_lang(page: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', page)
    assert match
    return match.group(1), match.group(2)


def test_default_language_is_norwegian_bokmal(client):
    assert html_lang(client.get("/").get_data(as_text=True)) == ("nb", "ltr")


@pytest.mark.parametrize("code", list(LOCALES))
def test_every_language_sets_lang_and_direction(client, code):
    expected = "rtl" if code in ("ar", "fa") else "ltr"
    assert html_lang(client.get(f"/?lang={code}").get_data(as_text=True)) == (code, expected)


def test_locale_is_chosen_by_query_then_cookie_then_browser(client):
    headers = {"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"}
    assert html_lang(client.get("/", headers=headers).get_data(as_text=True))[0] == "pl"
    response = client.get("/?lang=ar", headers=headers)
    assert html_lang(response.get_data(as_text=True))[0] == "ar"
    assert "lang=ar" in response.headers["Set-Cookie"]
    # The cookie now wins over the browser's wish, and ?lang= over the cookie.
    assert html_lang(client.get("/", headers=headers).get_data(as_text=True))[0] == "ar"
    assert html_lang(client.get("/?lang=uk", headers=headers).get_data(as_text=True))[0] == "uk"


@pytest.mark.parametrize("accept, expected", [("no", "nb"), ("nn-NO", "nn"), ("fa-AF", "fa"), ("de, ti;q=0.3", "ti"), ("de", "nb")])
def test_browser_language_tags_are_understood(client, accept, expected):
    assert html_lang(client.get("/", headers={"Accept-Language": accept}).get_data(as_text=True))[0] == expected


@pytest.mark.parametrize("value", ["xx", "../../etc", "<svg onload=alert(1)>", ""])
def test_an_invalid_lang_value_is_ignored(client, value):
    response = client.get("/", query_string={"lang": value})
    assert response.status_code == 200
    assert html_lang(response.get_data(as_text=True))[0] == "nb"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_the_switcher_names_every_language_in_itself(client):
    page = client.get("/privacy").get_data(as_text=True)
    for info in LOCALES.values():
        assert f'href="/privacy?lang={info.code}" lang="{info.tag}" dir="{info.direction}" hreflang="{info.tag}"' in page
        assert f">{info.native_name}</a>" in page


def test_app_refuses_to_start_without_a_catalog(monkeypatch, tmp_path, database_url):
    import voice.locales

    monkeypatch.setattr(voice.locales, "TRANSLATIONS_DIR", tmp_path)
    with pytest.raises(RuntimeError, match="No compiled catalog"):
        create_app(test_config(database_url))


# -- Errors and failure ---------------------------------------------------------

def test_not_found_is_a_plain_page_in_the_users_language(client):
    response = client.get("/no-such-page?lang=en")
    assert response.status_code == 404
    assert "The page you asked for does not exist" in response.get_data(as_text=True)


def test_a_crash_shows_a_plain_page_without_a_trace(database_url):
    app = create_app({**test_config(database_url), "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom?lang=en")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "An error happened on our side" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_a_locked_database_gives_a_503_with_the_text_kept(app, client, csrf, db, caplog):
    """The story is written in one go at the request's commit (the database's write lock
    is held for the commit only), so the lock is met at commit time: the end-of-request
    commit gives the 503 page with the story, never a 500."""
    token = csrf("/experiences/new")
    story = "We waited for months <svg onload=alert(1)> before anyone called back."
    form = {"csrf_token": token, "services": "nav", "usefulness": "2", "story": story, "story_lang": "en", "form_token": "t" * 30}
    engine = app.extensions["voice_engine"]
    conn = engine.raw_connection()
    cursor = conn.cursor()
    if engine.dialect.name == "sqlite":
        cursor.execute("BEGIN EXCLUSIVE")
    else:
        cursor.execute("BEGIN")
        cursor.execute("LOCK TABLE experience IN EXCLUSIVE MODE")  # reads go on, writes wait
    try:
        response = client.post("/experiences/new?lang=en", data=form)
    finally:
        conn.rollback()
        conn.close()
    assert response.status_code == 503
    assert any("database unavailable at commit" in record.getMessage() for record in caplog.records)
    page = response.get_data(as_text=True)
    assert "Nothing you sent has been saved" in page
    assert "We waited for months &lt;svg onload=alert(1)&gt;" in page
    assert '<button class="button button-primary" type="submit">Try sending again</button>' in page
    assert db.exec(select(Experience)).all() == []

    # The database is back: the same form, sent again from the 503 page, is stored once.
    retry = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert retry["story"] == story.replace("<", "&lt;").replace(">", "&gt;")
    response = client.post("/experiences/new?lang=en", data={**form})
    assert response.status_code == 303
    assert len(db.exec(select(Experience)).all()) == 1


def test_health_check(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_a_catalog_older_than_its_po_file_counts_as_missing(tmp_path):
    import os
    import shutil

    from voice.locales import TRANSLATIONS_DIR, missing_catalogs

    shutil.copytree(TRANSLATIONS_DIR, tmp_path / "t")
    assert missing_catalogs(tmp_path / "t") == []
    po = tmp_path / "t" / "ar" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    os.utime(po, (mo.stat().st_mtime + 60, mo.stat().st_mtime + 60))
    assert missing_catalogs(tmp_path / "t") == ["ar"]


def test_static_files_are_cached_long_under_versioned_urls(client):
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page)
    assert match
    response = client.get(match.group(1))
    assert response.status_code == 200 and "max-age=31536000" in response.headers["Cache-Control"]
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("model, values", [
    ("experience", {"usefulness": 99}),
    ("experience", {"services_explained": 7}),
    ("experience", {"status": "deleted"}),
    ("experience", {"listened": "maybe"}),
    ("user", {"role": "superuser"}),
    ("signup", {"adults": 21}),
    ("signup", {"status": "maybe"}),
    ("session", {"capacity": 0}),
    ("session", {"kind": "party"}),
])
def test_the_database_refuses_values_outside_the_rules(app, db, model, values):
    """Statuses, roles and ranges are CHECK constraints (migration 0003): a wrong value is
    refused at flush on both databases, whoever writes it."""
    import secrets

    from sqlalchemy.exc import IntegrityError

    from voice.accounts.models import User
    from voice.clock import utcnow
    from voice.cocreation.models import CoSession, Signup

    from .factories import make_session

    def experience(**fields):
        return Experience(public_id=secrets.token_hex(8), receipt_locator="TEST", receipt_hash="!",
                          form_token=secrets.token_hex(8), **fields)

    if model == "experience":
        row = experience(**values)
    elif model == "user":
        row = User(email=f"{secrets.token_hex(4)}@x.no", display_name="X", **values)
    elif model == "signup":
        cosession = make_session(app, db)
        row = Signup(session_id=cosession.id, form_token=secrets.token_hex(8), token_hash=secrets.token_hex(8),
                     **{"adults": 1, **values})
    else:
        now = utcnow()
        row = CoSession(**{"public_id": secrets.token_hex(6), "title": "T", "kind": "workshop", "venue": "V",
                           "starts_at": now, "ends_at": now.replace(year=now.year + 1), "capacity": 5, **values})
    db.add(row)
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_every_check_constraint_of_the_models_is_in_the_database(app):
    from sqlalchemy import CheckConstraint, inspect

    inspector = inspect(app.extensions["voice_engine"])
    for table in SQLModel.metadata.sorted_tables:
        wanted = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        present = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert wanted <= present, (table.name, wanted - present)


HTMX_SCRIPT = re.compile(r'<meta name="voice-htmx" content="/static/js/htmx-[0-9.]+\.min\.js\?v=[0-9a-f]+">')


@pytest.mark.parametrize("path,uses", [("/", False), ("/privacy", False), ("/accessibility", False),
                                       ("/experiences/new", True), ("/stories/", True), ("/sessions/", True),
                                       ("/figures/", True)])
def test_htmx_is_loaded_only_on_pages_that_use_it(client, path, uses):
    """Issue 18, item 5: 17 KB of script a page has no use for is not sent to a phone. A page that
    uses htmx names it, and app.js fetches it at the visitor's first touch, key or focus (the
    browser tests check that it arrives and works)."""
    page = client.get(path + "?lang=en").get_data(as_text=True)
    assert bool(HTMX_SCRIPT.search(page)) is uses
    assert "htmx-2" not in page.replace(HTMX_SCRIPT.search(page).group(0), "") if uses else "htmx-2" not in page
    if not uses:
        assert not re.search(r"\s(data-)?hx-[a-z]", page), "htmx attributes on a page that does not load htmx"
    assert ('name="htmx-config"' in page) is uses


SHARED_PAGES = ["/", "/privacy", "/accessibility", "/stories/", "/sessions/", "/figures/", "/themes/"]


@pytest.mark.parametrize("path", SHARED_PAGES)
def test_a_public_page_is_shared_sets_no_cookie_and_revalidates(client, path):
    """Issue 18, item 1: what every anonymous visitor gets alike may be kept by a reverse proxy or
    the phone, which asks again each time (ETag, 304 without a body); it sets no cookie."""
    first = client.get(path)
    assert first.status_code == 200 and first.headers.getlist("Set-Cookie") == []
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert {"Cookie", "Accept-Language", "HX-Request"} <= {v.strip() for v in first.headers["Vary"].split(",")}
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_chosen_language_a_session_or_a_login_make_a_page_private(app, client, staff):
    chosen = client.get("/stories/?lang=ar")
    assert chosen.headers.getlist("Set-Cookie") and chosen.headers["Cache-Control"] == "no-store"
    assert client.get("/stories/").headers["Cache-Control"] == "public, no-cache"  # the lang cookie alone is fine
    form = app.test_client().get("/experiences/new")  # a form starts a session for its token
    assert form.headers["Cache-Control"] == "no-store"
    staff("moderator")
    assert client.get("/stories/").headers["Cache-Control"] == "no-store"
    assert "ETag" not in client.get("/stories/").headers


def test_a_decision_changes_the_shared_page_at_once(app, client, db):
    """A proxy that revalidates gets the new page, not its 304, right after a decision."""
    from voice.clock import utcnow
    from voice.moderation import service as moderation

    from .factories import make_experience, make_user

    first = client.get("/stories/?")
    story, _ = make_experience(app, db, story="A story published just now.", consent_publish=True)
    moderation.decide(session=db, experience=story, moderator=make_user(app, db)[0], decision="published",
                      published_story=story.story, now=utcnow())
    db.commit()
    after = client.get("/stories/", headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and "A story published just now." in after.get_data(as_text=True)
