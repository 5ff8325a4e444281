"""What a view hands to the services: the app's clock, hasher, link builder and
the page's language, each read from the app or request in one place."""
from __future__ import annotations

from flask import current_app, g, request

from ..clock import Clock
from ..hashing import SecretHasher
from ..links import Links
from ..locales import Translator, translator


def clock() -> Clock:
    return current_app.extensions["voice_clock"]


def hasher() -> SecretHasher:
    return current_app.extensions["voice_hasher"]


def links() -> Links:
    return current_app.extensions["voice_links"]


def locale_code() -> str:
    return g.locale.code


def page_translator() -> Translator:
    return translator(g.locale.code)


def browser_id() -> str:
    """This browser: a random id kept in its session (made on first use)."""
    import secrets

    from flask import session

    return session.setdefault("browser", secrets.token_urlsafe(16))


def remote_addr() -> str:
    return request.remote_addr or ""


def setting(name: str):
    return current_app.config[name]


def keyed(value: str, length: int = 32) -> str:
    """A keyed hash (HMAC-SHA256 with SECRET_KEY) of something that must not be stored or
    logged as it is (an address, an identifier that may be a password): the same input gives
    the same key, and the key gives nothing back."""
    import hashlib
    import hmac

    return hmac.new(current_app.config["SECRET_KEY"].encode(), value.encode(), hashlib.sha256).hexdigest()[:length]


def reference_names():
    """The page's reference names (services, areas, domains), loaded once per request."""
    from ..reference.service import Names
    from .db import get_session

    if "reference_names" not in g:
        g.reference_names = Names(session=get_session(), translator=page_translator())
    return g.reference_names


def reference_choices(model) -> list[tuple[str, str]]:
    from ..reference.service import choices
    from .db import get_session

    return choices(model, session=get_session(), names=reference_names())
