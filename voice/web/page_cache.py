"""Public pages rendered once per language and content version, then served from a store.

A page qualifies when it is the same for every anonymous visitor (voice.web.security decides
that, from what the finished response is: a public page, no cookie set, no session read from
the request, nobody logged in). Its key holds everything it depends on: the address (path and
query), the language, whether htmx asked for a part of it, the content version
(voice/versioning.py, changed in the same transaction as any public change), the minute on the
site's clock (pages that say "today" or list coming sessions move on by themselves), and the
build (catalogs and templates, so a new release never serves an old text).

Kept pages are answered before Flask runs, by the WSGI layer in voice/web/kept_pages.py, headers
and all; a page with a form (SLOTTED_ENDPOINTS) is kept with slots for its tokens, filled there
for each visitor.

The store is the process's memory for the embedded default (a bounded LRU; each worker keeps its
own, and since the key holds the version they never disagree), or Redis when REDIS_URL is set,
so several machines share one copy. ``PAGE_CACHE=off`` turns it off.

Hand-written: Flask-Caching would key a view by its path only; here the key must carry the
content version read in the request's own database transaction.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from pathlib import Path

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import versioning
from ..db import reader_engine_for
from ..locales import TRANSLATIONS_DIR
from . import kept_pages
from .security import PUBLIC_ENDPOINTS, same_for_everyone

log = logging.getLogger("voice.page_cache")
# Pages with a form are the same for everyone but for two tokens: the session's CSRF token and
# the form's own token. They are kept with these slots in their place and filled for each
# visitor (constant strings, so a page kept in Redis is filled by any machine).
SLOTTED_ENDPOINTS = frozenset({"experiences.new", "cocreation.detail"})
CSRF_SLOT = "voice-slot-csrf-3f9a61"
FORM_TOKEN_SLOT = "voice-slot-form-token-3f9a61"
TTL_SECONDS = 120  # a kept page outlives its minute only briefly: the key moves on each minute


class MemoryStore:
    """The pages this worker rendered, the least recently used dropped first."""

    def __init__(self, max_entries: int = 512):
        self.max_entries = max_entries
        self._pages: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        found = self._pages.get(key)
        if found is None:
            return None
        expires, body = found
        if expires < time.monotonic():
            del self._pages[key]
            return None
        self._pages.move_to_end(key)
        return body

    def set(self, key: str, body: bytes) -> None:
        self._pages[key] = (time.monotonic() + TTL_SECONDS, body)
        self._pages.move_to_end(key)
        while len(self._pages) > self.max_entries:
            self._pages.popitem(last=False)

    def clear(self) -> None:
        self._pages.clear()


class RedisStore:
    """Shared by every worker on every machine; Redis drops a page after TTL_SECONDS."""

    def __init__(self, url: str, prefix: str = "voice:page:"):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix

    def get(self, key: str) -> bytes | None:
        try:
            return self._redis.get(self.prefix + key)
        except Exception:  # noqa: BLE001  (Redis away: render the page, as without a cache)
            log.warning("page cache: Redis did not answer; rendering the page")
            return None

    def set(self, key: str, body: bytes) -> None:
        try:
            self._redis.set(self.prefix + key, body, ex=TTL_SECONDS)
        except Exception:  # noqa: BLE001
            log.warning("page cache: Redis did not answer; the page is not kept")

    def clear(self) -> None:
        try:
            for key in self._redis.scan_iter(self.prefix + "*"):
                self._redis.delete(key)
        except Exception:  # noqa: BLE001
            pass


def build_id(app: Flask) -> str:
    """A hash of the compiled catalogs and the templates: a release with other words gets other keys."""
    digest = hashlib.sha256()
    for folder, pattern in ((TRANSLATIONS_DIR, "*/LC_MESSAGES/messages.mo"), (Path(app.root_path).parent / "templates", "**/*")):
        for path in sorted(Path(folder).glob(pattern)):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _store(app: Flask):
    setting = (app.config.get("PAGE_CACHE") or "").lower()
    if setting == "off":
        return None
    if setting == "redis" or (setting != "memory" and app.config.get("REDIS_URL")):
        return RedisStore(app.config["REDIS_URL"], prefix=f"{app.config.get('JOBS_QUEUE', 'voice')}:page:")
    return MemoryStore()


# Answered before Flask (voice/web/kept_pages.py).
KEPT_ENDPOINTS = PUBLIC_ENDPOINTS | SLOTTED_ENDPOINTS


def page_key(build: str, version: str, minute: str, locale: str, environ) -> str:
    """What a kept page is filed under: every input it depends on, read from the WSGI environ so
    that the layer before Flask and Flask's hooks file it alike."""
    htmx = environ.get("HTTP_HX_REQUEST") == "true" and environ.get("HTTP_HX_HISTORY_RESTORE_REQUEST") != "true"
    parts = (build, version, minute, locale, "part" if htmx else "page", environ.get("wsgi.url_scheme", "http"),
             environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def form_token() -> str:
    """A new form token for a form page, or its slot while a page to keep is being rendered."""
    return FORM_TOKEN_SLOT if g.get("page_cache_slots") else secrets.token_urlsafe(24)


def form_meta() -> dict:
    """A form's options: while a page to keep is being rendered the form makes no CSRF token of
    its own (the page's slot stands for it; a token would start a session)."""
    return {"csrf": False} if g.get("page_cache_slots") else {}


def _csrf_token_or_slot() -> str:
    from flask_wtf.csrf import generate_csrf

    return CSRF_SLOT if g.get("page_cache_slots") else generate_csrf()


def fill(body: bytes, csrf: str | None = None) -> bytes:
    """This visitor's tokens in a kept page's slots: ``csrf``, or Flask-WTF's token of this
    request (which starts their session)."""
    if CSRF_SLOT.encode() in body:
        if csrf is None:
            from flask_wtf.csrf import generate_csrf

            csrf = generate_csrf()
        body = body.replace(CSRF_SLOT.encode(), csrf.encode())
    while FORM_TOKEN_SLOT.encode() in body:
        body = body.replace(FORM_TOKEN_SLOT.encode(), secrets.token_urlsafe(24).encode(), 1)
    return body


def init_app(app: Flask) -> None:
    """The store, and the hook that keeps a finished page. Registered before the language's hook
    and after the shared-page headers' (Flask runs after-request hooks in reverse), so it sees
    the language cookie a response sets, and the whole page before a 304 replaces it."""
    versioning.install()
    store = _store(app)
    app.extensions["voice_page_cache"] = store
    if store is None:
        return

    @app.after_request
    def _keep(response):
        """Tell the layer before Flask to keep a page that is the same for everyone (a page with
        a form as rendered, with its slots; this visitor gets it filled)."""
        if request.environ.get(kept_pages.KEY) and same_for_everyone(app, response, endpoints=KEPT_ENDPOINTS):
            request.environ[kept_pages.KEEP] = True
            if g.get("page_cache_slots"):
                request.environ[kept_pages.UNFILLED] = response.get_data()
        if g.get("page_cache_slots"):
            response.set_data(fill(response.get_data()))
        return response


def init_serving(app: Flask) -> None:
    """The layer before Flask that answers from the store (voice/web/kept_pages.py), and the
    slots a page with a form is rendered with. Called once the URL map is complete."""
    store = app.extensions.get("voice_page_cache")
    if store is None:
        return
    build = build_id(app)
    # Flask-WTF gives templates csrf_token() as a global and from a context processor: this one,
    # made later, wins in both.
    app.jinja_env.globals["csrf_token"] = _csrf_token_or_slot
    app.context_processor(lambda: {"csrf_token": _csrf_token_or_slot})

    proxied = app.wsgi_app if isinstance(app.wsgi_app, ProxyFix) else None
    inner = proxied.app if proxied else app.wsgi_app
    front = kept_pages.KeptPages(app, inner, store=store, build=build, endpoints=KEPT_ENDPOINTS,
                                 slotted=SLOTTED_ENDPOINTS, page_key=page_key, fill=fill,
                                 reader=reader_engine_for(app.config["DATABASE_URL"],
                                                          lock_timeout_ms=app.config.get("DB_LOCK_TIMEOUT_MS", 5000)))
    if proxied:
        proxied.app = front  # behind the proxy's fixes: the scheme and host are the visitor's
    else:
        app.wsgi_app = front

    @app.before_request
    def _render_with_slots():
        """A page with a form that the layer before Flask did not find is rendered with slots
        for the tokens, to be kept."""
        if request.environ.get(kept_pages.KEY) and request.endpoint in SLOTTED_ENDPOINTS and request.method == "GET":
            g.page_cache_slots = True
