"""Security headers and CSP, Argon2id hashing, and HTML cleaning.

PII detection lives in voice/pii.py.
"""
from __future__ import annotations

import bleach
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, request

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

# A dummy hash verified when no real candidate exists, so timing tells nothing.
_DUMMY_SECRET = "voice-dummy-secret-for-constant-time"


def hasher() -> PasswordHasher:
    app = current_app
    ph = app.extensions.get("voice_hasher")
    if ph is None:
        ph = PasswordHasher(
            time_cost=app.config["ARGON2_TIME_COST"],
            memory_cost=app.config["ARGON2_MEMORY_COST"],
            parallelism=app.config["ARGON2_PARALLELISM"],
            type=Type.ID,
        )
        app.extensions["voice_hasher"] = ph
        app.extensions["voice_dummy_hash"] = ph.hash(_DUMMY_SECRET)
    return ph


def hash_secret(secret: str) -> str:
    return hasher().hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    """Check a secret against an Argon2 hash; with no hash, spend the same time."""
    ph = hasher()
    try:
        if stored_hash is None:
            ph.verify(current_app.extensions["voice_dummy_hash"], secret + "x")
            return False
        return ph.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


ALLOWED_TAGS = ["p", "br", "strong", "em", "ul", "ol", "li", "a"]
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}


def clean_html(value: str) -> str:
    """For the few fields that allow formatting; everything else is plain text."""
    return bleach.clean(
        value, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=["https", "mailto"], strip=True
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
            # Pages may hold what a family wrote: never keep them in any cache.
            headers["Cache-Control"] = "no-store"
            headers.add("Vary", "Cookie")
        return response
