"""How a request's language is chosen, and Flask-Babel wired to the catalogs.

Order of choice: a valid ``?lang=`` (then remembered in a cookie), the cookie,
the browser's Accept-Language, and Norwegian Bokmål. The languages themselves
are in voice/locales.py.
"""
from __future__ import annotations

import flask_babel
from babel import numbers
from flask import Flask, g, request
from flask_babel import get_translations

from ..extensions import babel
from ..locales import DEFAULT_LOCALE, LOCALES, TRANSLATIONS_DIR, direction_of, missing_catalogs, normalise

COOKIE_NAME = "lang"


def choose_locale(asked: str | None, cookie: str | None, accept_languages) -> str:
    """The language from ``?lang=``, the cookie and the Accept-Language header (werkzeug's
    LanguageAccept), in that order (also used before Flask runs: voice/web/kept_pages.py)."""
    chosen = normalise(asked) or normalise(cookie)
    if chosen:
        return chosen
    for tag, _quality in accept_languages:
        chosen = normalise(tag) or normalise(tag.split("-")[0])
        if chosen:
            return chosen
    return DEFAULT_LOCALE


def select_locale() -> str:
    return choose_locale(request.args.get("lang"), request.cookies.get(COOKIE_NAME), request.accept_languages)


def _kept():
    """This request's catalog and Babel locale (Flask-Babel's own), kept in ``g`` with the
    language they are for: Flask-Babel looks both up anew on every call, through three or four
    context-local reads, and a figures page formats hundreds of numbers and labels."""
    info = g.get("locale")
    kept = g.get("voice_catalog")
    if kept is None or kept[0] is not info:
        kept = g.voice_catalog = (info, get_translations(), flask_babel.get_locale())
    return kept


def _catalog():
    return _kept()[1]


def gettext(string: str, **variables) -> str:
    """flask_babel.gettext, with the request's catalog fetched once."""
    text = _kept()[1].ugettext(string)
    return text % variables if variables else text


def format_decimal(number, format=None) -> str:
    """flask_babel.format_decimal, with the request's locale fetched once."""
    return numbers.format_decimal(number, format=format, locale=_kept()[2])


def format_percent(number, format=None) -> str:
    """flask_babel.format_percent, with the request's locale fetched once."""
    return numbers.format_percent(number, format=format, locale=_kept()[2])


def _locale_selector() -> str:
    info = g.get("locale")
    return info.code if info else select_locale()


def init_app(app: Flask) -> None:
    missing = missing_catalogs()
    if missing:
        raise RuntimeError(
            "No compiled catalog, or one older than its .po file, for configured language(s) "
            f"{', '.join(missing)}: run `make compile` (pybabel compile -d translations)."
        )
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Oslo")
    babel.init_app(app, locale_selector=_locale_selector)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # Flask-Babel's template callables look the catalog up anew for every string (three
    # context-local reads each; a page has hundreds of strings). These fetch it once per request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalog().ugettext(s),
        ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.before_request
    def _choose_locale():
        g.locale = LOCALES[select_locale()]

    @app.after_request
    def _remember_locale(response):
        chosen = normalise(request.args.get("lang"))
        if chosen and request.cookies.get(COOKIE_NAME) != chosen:
            response.set_cookie(
                COOKIE_NAME,
                chosen,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=app.config.get("SESSION_COOKIE_SECURE", False),
                httponly=True,
            )
        return response

    # ``language_menu``: a name no view's context can hide (a view once passed its
    # own ``locales`` and the menu rendered nine empty links).
    app.jinja_env.globals.update(language_menu=list(LOCALES.values()), text_dir=direction_of)
