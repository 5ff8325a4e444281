"""Security headers and the strict CSP on every response (SECURITY.md 16-17)."""
from __future__ import annotations

from flask import Flask, g, request, session

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        if app.config.get("HSTS") and request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static":
            # Pages may hold what a family wrote: never keep them in any cache (a page the same
            # for everyone is marked again after this, by init_shared_pages).
            headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response


def init_shared_pages(app: Flask) -> None:
    """Registered before the language's hook, so it runs after it (Flask runs these hooks in
    reverse) and sees the language cookie a response sets."""

    @app.after_request
    def _shared(response):
        if not same_for_everyone(app, response):
            return response
        # What every anonymous visitor gets alike: a reverse proxy or the phone may keep it, and
        # asks again each time (a 304 without a body when nothing changed: never a stale page).
        response.headers["Cache-Control"] = "public, no-cache"
        response.vary.add("Cookie")
        response.vary.add("Accept-Language")
        response.vary.add("HX-Request")  # htmx asks the same address for a part of the page
        response.add_etag()
        return response.make_conditional(request)


# The public pages that are the same for every anonymous visitor in one language.
PUBLIC_ENDPOINTS = frozenset({
    "core.home", "core.privacy", "core.accessibility", "stories.index", "cocreation.index", "cocreation.detail",
    "figures.dashboard", "themes.index", "themes.detail",
})


def same_for_everyone(app: Flask, response, endpoints: frozenset = PUBLIC_ENDPOINTS) -> bool:
    """A public page, asked for without a session cookie, by nobody logged in, answered 200
    without setting a cookie: not the language's, nor the session's (a page with a form starts
    one for its token, so it is never shared)."""
    return (request.method in ("GET", "HEAD") and request.endpoint in endpoints
            and response.status_code == 200 and not response.headers.get("Set-Cookie")
            and app.config["SESSION_COOKIE_NAME"] not in request.cookies and not session.modified
            and getattr(g, "account", None) is None and not response.direct_passthrough)
