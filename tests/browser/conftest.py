"""Real-browser fixtures: one live server and one Chromium for the whole session.

The server is the real app on a fresh SQLite file, migrated with
`alembic upgrade head` and seeded, served by werkzeug in a daemon thread.
Playwright drives Debian's Chromium (no browser download); every test gets
its own browser context, so cookies (language, session) never leak between
tests. These fixtures do not use the `database_url`/`app` fixtures of
tests/conftest.py, so browser tests run once per JavaScript mode, not once
per database backend.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import Session

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A small phone held in one hand.
PHONE = {"width": 360, "height": 740}
SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / "output" / "screenshots"
JS_MODES = {"js": True, "nojs": False}


@pytest.fixture(scope="session")
def base_url(request, tmp_path_factory) -> str:
    """The URL of a live Voice server, shared by every browser test."""
    return start_live_server(request, tmp_path_factory, "public")["url"]


def start_live_server(request, tmp_path_factory, name: str, prepare=None, settings: dict | None = None,
                      port: int = 0) -> dict:
    """Start the real app on its own migrated, seeded SQLite file in a daemon thread:
    {"url", "app"}. ``prepare(app, session)`` may add data first; ``settings`` override
    the test configuration (rate limits are off unless they say otherwise); ``port`` a port
    chosen beforehand (0: any free one). Stopped when the test session ends."""
    from werkzeug.serving import make_server

    from tests.conftest import _upgrade, test_config
    from voice import create_app
    from voice.reference.service import seed_reference_data

    url = f"sqlite:///{tmp_path_factory.mktemp(f'browser-{name}-db') / 'voice.db'}"
    _upgrade(url)
    config = test_config(url)
    config.update(RATELIMIT_ENABLED=False)
    config.update(settings or {})
    app = create_app(config)
    with Session(app.extensions["voice_engine"]) as db:
        seed_reference_data(session=db)
        db.commit()
        if prepare is not None:
            prepare(app, db)
            db.commit()
    server = make_server("127.0.0.1", port, app, threaded=True)
    # Links in e-mail and on pages come from PUBLIC_BASE_URL: the server's own address here.
    from voice.links import Links

    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    app.config["TRUSTED_HOSTS"] = ["127.0.0.1"]
    app.extensions["voice_links"] = Links(app.url_map, app.config["PUBLIC_BASE_URL"])
    thread = threading.Thread(target=server.serve_forever, name=f"voice-live-server-{name}", daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    request.session.config.add_cleanup(stop)
    return {"url": f"http://127.0.0.1:{server.server_port}", "app": app}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


def _new_page(browser, base_url, *, javascript: bool, bypass_csp: bool = False):
    context = browser.new_context(
        base_url=base_url,
        viewport=PHONE,
        device_scale_factor=1,
        java_script_enabled=javascript,
        bypass_csp=bypass_csp,
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture(params=list(JS_MODES), ids=list(JS_MODES))
def page(request, browser, base_url):
    """A 360x740 page, once with JavaScript on and once with it off.

    `page.javascript` tells the test which mode it is in.
    """
    context, page = _new_page(browser, base_url, javascript=JS_MODES[request.param])
    page.javascript = JS_MODES[request.param]
    yield page
    context.close()


@pytest.fixture
def js_page(browser, base_url):
    """A 360x740 page with JavaScript on (for tests that need it only once)."""
    context, page = _new_page(browser, base_url, javascript=True)
    page.javascript = True
    yield page
    context.close()


@pytest.fixture
def axe_page(browser, base_url):
    """A JavaScript page that ignores the site's CSP, so axe-core can be injected.

    Only for accessibility checks: everything else runs under the real CSP.
    """
    context, page = _new_page(browser, base_url, javascript=True, bypass_csp=True)
    page.javascript = True
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture
def new_context(browser, live):
    """Phone-sized contexts on the `live` server of the requesting test module; all closed at the end.

    With bypass_csp (for axe-core only) axe is loaded with every page.
    """
    from . import axe

    contexts = []

    def make(*, javascript: bool = True, bypass_csp: bool = False):
        context, page = _new_page(browser, live["url"], javascript=javascript, bypass_csp=bypass_csp)
        if bypass_csp and axe.AXE_JS.is_file():
            context.add_init_script(path=str(axe.AXE_JS))
        page.javascript = javascript
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()
