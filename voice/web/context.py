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


# Reference names and choices per (content version, language), reused by every request of this
# worker until an admin's edit (or any public change) gives a new version: a form then runs one
# query for its choices, not one per list. The key holds the version, so workers never disagree.
_REFERENCE: dict[tuple[str, str], dict] = {}


def content_version() -> str | None:
    """The content version (voice/versioning.py), read once per request."""
    from .. import versioning
    from .db import get_engine

    if "content_version" not in g and "voice.content_version" in request.environ:
        g.content_version = request.environ["voice.content_version"]  # read by voice/web/kept_pages.py
    if "content_version" not in g:
        # A connection of its own, not the request's session: a page served from the store opens
        # no session and commits nothing. Read before anything the page shows, so a change
        # committed meanwhile can only make the page newer than its version, never older.
        with get_engine().connect() as connection:
            g.content_version = versioning.current(connection)
    return g.content_version


def _kept_reference() -> dict | None:
    token = content_version()
    if token is None:
        return None
    key = (token, g.locale.code)
    if key not in _REFERENCE:
        if len(_REFERENCE) >= 64:
            _REFERENCE.clear()
        _REFERENCE[key] = {"choices": {}}
    return _REFERENCE[key]


def reference_names():
    """The page's reference names (services, areas, domains, units), loaded once per version."""
    from ..reference.service import Names
    from .db import get_session

    if "reference_names" not in g:
        kept = _kept_reference()
        if kept is not None and "overrides" in kept:
            g.reference_names = Names(session=None, translator=page_translator(), overrides=kept["overrides"])
        else:
            g.reference_names = Names(session=get_session(), translator=page_translator())
            if kept is not None:
                kept["overrides"] = g.reference_names.overrides
    return g.reference_names


def reference_choices(model) -> list[tuple[str, str]]:
    """(slug, name) of the active rows of ``model`` in the page's language, for a form."""
    from ..reference.service import choices
    from .db import get_session

    kept = _kept_reference()
    if kept is None:
        return choices(model, session=get_session(), names=reference_names())
    table = model.__tablename__
    if table not in kept["choices"]:
        kept["choices"][table] = choices(model, session=get_session(), names=reference_names())
    return list(kept["choices"][table])
