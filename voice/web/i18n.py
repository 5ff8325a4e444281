"""How a request's language is chosen, and Flask-Babel wired to the catalogs.

Order of choice: a valid ``?lang=`` (then remembered in a cookie), the cookie,
the browser's Accept-Language, and Norwegian Bokmål. The languages themselves
are in voice/locales.py.
"""
from __future__ import annotations

from flask import Flask, g, request

from ..extensions import babel
from ..locales import DEFAULT_LOCALE, LOCALES, TRANSLATIONS_DIR, direction_of, missing_catalogs, normalise

COOKIE_NAME = "lang"


def select_locale() -> str:
    chosen = normalise(request.args.get("lang"))
    if chosen:
        return chosen
    chosen = normalise(request.cookies.get(COOKIE_NAME))
    if chosen:
        return chosen
    for tag, _quality in request.accept_languages:
        chosen = normalise(tag) or normalise(tag.split("-")[0])
        if chosen:
            return chosen
    return DEFAULT_LOCALE


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
