"""A WSGI layer in front of Flask that answers a GET for a kept public page (voice/web/page_cache.py)
without running Flask at all: no request context, no hooks, no template. What it sends is what
Flask sent the first visitor: the same status, headers (security headers, ``Cache-Control``,
``ETag``, ``Vary``) and body, or a 304 when the browser already has it. The monitoring counts it
like any request.

A page with a form is kept with slots for its two tokens (voice/web/page_cache.py): here each
visitor gets their own, and the session cookie that holds the CSRF token's secret, made by
Flask's own session interface.

It answers only when the answer cannot differ from Flask's: a GET or HEAD of one of the public
pages, with no session cookie, from an allowed host, and a page kept for the
same address, language (from ``?lang=``, the ``lang`` cookie or Accept-Language, chosen as
voice/web/i18n.py chooses), htmx part, scheme, build, content version and minute. The content
version is read from the database for each request, so a decision is never hidden behind a kept
page. Everything else goes on to Flask, which keeps the page when it is the same for everyone
(``voice.keep`` in the environ).

Hand-written: no WSGI cache we know of keys a page by a version read from the database. The CSRF
token is Flask-WTF's, made as ``generate_csrf`` makes it (a random value kept in the session,
signed with ``URLSafeTimedSerializer`` and the salt "wtf-csrf-token") but without a request
context, which costs more than the rest of the answer; the tests post forms with it, so a
Flask-WTF that changed its format would fail them.
"""
from __future__ import annotations

import json
import secrets
import time
from urllib.parse import parse_qsl

from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import is_resource_modified, parse_accept_header, parse_cookie, unquote_etag
from werkzeug.wsgi import get_host

from .. import versioning
from .i18n import COOKIE_NAME, choose_locale

KEY = "voice.page_key"  # the environ keys Flask's hooks read (voice/web/page_cache.py)
VERSION = "voice.content_version"
KEEP = "voice.keep"
UNFILLED = "voice.unfilled"  # a page with a form as rendered, before this visitor's tokens
# Not sent again with a 304 (RFC 9110, 15.4.5): the body's own headers.
BODY_HEADERS = frozenset({"content-length", "content-type", "content-encoding"})
NOT_KEPT = frozenset({"set-cookie", "content-length", "date"})  # this visitor's, or counted anew


def pack(status: str, headers: list[tuple[str, str]], endpoint: str, body: bytes) -> bytes:
    head = json.dumps({"status": status, "headers": headers, "endpoint": endpoint}).encode()
    return head + b"\n" + body


def unpack(entry: bytes) -> tuple[dict, bytes]:
    head, _, body = entry.partition(b"\n")
    return json.loads(head), body


class KeptPages:
    def __init__(self, app, wsgi_app, *, store, build: str, endpoints: frozenset, slotted: frozenset, page_key, fill,
                 reader):
        self.app, self.wsgi_app, self.store, self.build, self.reader = app, wsgi_app, store, build, reader
        self.endpoints, self.slotted, self.page_key, self.fill = endpoints, slotted, page_key, fill
        self.session_cookie = app.config["SESSION_COOKIE_NAME"]
        self.csrf_field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        self.csrf_signer = URLSafeTimedSerializer(app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key,
                                                  salt="wtf-csrf-token")
        self.endpoints_by_path: dict[tuple, str | None] = {}

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        cookies = parse_cookie(environ)
        endpoint = self._public_endpoint(environ, cookies)
        if endpoint is None:
            return self.wsgi_app(environ, start_response)
        version = versioning.current_raw(self.reader)
        if version is None:
            return self.wsgi_app(environ, start_response)
        lang = next((value for name, value in parse_qsl(environ.get("QUERY_STRING", "")) if name == "lang"), None)
        locale = choose_locale(lang, cookies.get(COOKIE_NAME),
                               parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept))
        minute = self.app.extensions["voice_clock"].now().strftime("%Y%m%d%H%M")
        key = self.page_key(self.build, version, minute, locale, environ)
        environ[KEY], environ[VERSION] = key, version
        entry = self.store.get(key)
        if entry is None:
            return self._render_and_keep(environ, start_response, key, endpoint)
        return self._serve(entry, environ, start_response, started)

    def _public_endpoint(self, environ, cookies) -> str | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if self.session_cookie in cookies:
            return None
        trusted = self.app.config.get("TRUSTED_HOSTS")
        try:
            if trusted:
                get_host(environ, trusted_hosts=trusted)
        except HTTPException:  # an untrusted host: Flask's to answer (400)
            return None
        place = (environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD"))
        if place not in self.endpoints_by_path:  # the URL map does not change while the app runs
            try:
                endpoint, _arguments = self.app.url_map.bind_to_environ(environ).match()
            except HTTPException:  # a redirect, a 404, a 405: Flask's to answer
                endpoint = None
            if len(self.endpoints_by_path) >= 4096:
                self.endpoints_by_path.clear()
            self.endpoints_by_path[place] = endpoint
        endpoint = self.endpoints_by_path[place]
        return endpoint if endpoint in self.endpoints else None

    def _render_and_keep(self, environ, start_response, key: str, endpoint: str):
        sent: dict = {}

        def start(status, headers, exc_info=None):
            sent["status"], sent["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, start)
        unfilled = environ.get(UNFILLED)
        keep = (environ.get(KEEP) and environ.get("REQUEST_METHOD") == "GET" and sent.get("status", "").startswith("200 ")
                and (unfilled is not None or not any(name.lower() == "set-cookie" for name, _ in sent.get("headers", []))))
        if not keep:
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = [(name, value) for name, value in sent["headers"] if name.lower() not in NOT_KEPT]
        self.store.set(key, pack(sent["status"], headers, endpoint, body if unfilled is None else unfilled))
        return [body]

    def _serve(self, entry: bytes, environ, start_response, started: float):
        head, body = unpack(entry)
        headers = [(name, value) for name, value in head["headers"]]
        if head["endpoint"] in self.slotted:
            body, cookies = self._filled(body)
            headers += [("Set-Cookie", cookie) for cookie in cookies]
        etag = next((value for name, value in headers if name.lower() == "etag"), None)
        status = head["status"]
        if etag and not is_resource_modified(environ, etag=unquote_etag(etag)[0]):
            status, body = "304 NOT MODIFIED", b""
            headers = [(name, value) for name, value in headers if name.lower() not in BODY_HEADERS]
        else:
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        metrics = self.app.extensions.get("voice_metrics")
        if metrics is not None:
            metrics.requests.labels(head["endpoint"], f"{status[0]}xx").inc()
            metrics.latency.labels(head["endpoint"]).observe(time.perf_counter() - started)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def _filled(self, body: bytes) -> tuple[bytes, list[str]]:
        """This visitor's tokens in the page, and the cookie of the session they start."""
        secret = secrets.token_hex(20)
        session = self.app.session_interface.session_class()
        session[self.csrf_field] = secret
        holder = self.app.response_class()
        self.app.session_interface.save_session(self.app, session, holder)
        return self.fill(body, csrf=self.csrf_signer.dumps(secret)), holder.headers.getlist("Set-Cookie")
