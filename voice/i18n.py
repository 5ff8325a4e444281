"""The one list of languages, and how a request's language is chosen.

Order of choice: a valid ``?lang=`` (then remembered in a cookie), the cookie,
the browser's Accept-Language, and Norwegian Bokmål.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import flask_babel
from flask import Flask, g, request

from .config import ROOT
from .extensions import babel

TRANSLATIONS_DIR = ROOT / "translations"
COOKIE_NAME = "lang"
DEFAULT_LOCALE = "nb"


@dataclass(frozen=True)
class LocaleInfo:
    code: str  # the catalog's name under translations/
    native_name: str  # the language named in itself, never by a flag
    direction: str  # "ltr" or "rtl"
    tag: str  # BCP 47 tag for lang=""

    @property
    def is_rtl(self) -> bool:
        return self.direction == "rtl"


LOCALES: dict[str, LocaleInfo] = {
    info.code: info
    for info in (
        LocaleInfo("nb", "Norsk bokmål", "ltr", "nb"),
        LocaleInfo("nn", "Norsk nynorsk", "ltr", "nn"),
        LocaleInfo("en", "English", "ltr", "en"),
        LocaleInfo("ar", "العربية", "rtl", "ar"),
        LocaleInfo("fa", "فارسی / دری", "rtl", "fa"),
        LocaleInfo("so", "Soomaali", "ltr", "so"),
        LocaleInfo("ti", "ትግርኛ", "ltr", "ti"),
        LocaleInfo("uk", "Українська", "ltr", "uk"),
        LocaleInfo("pl", "Polski", "ltr", "pl"),
    )
}

# Browsers send tags we know under another name.
_ALIASES = {"no": "nb", "nb-no": "nb", "nn-no": "nn", "prs": "fa", "fa-af": "fa"}

# Languages a family may say it wrote in, beyond the nine the site speaks.
OTHER_LANGUAGE = "und"  # BCP 47 "undetermined"


def direction_of(tag: str | None) -> str:
    """The text direction for a language tag a person chose for what they wrote."""
    if not tag:
        return "auto"
    info = LOCALES.get(tag.split("-")[0].lower())
    if info is None:
        return "auto"
    return info.direction


def normalise(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower().replace("_", "-")
    value = _ALIASES.get(value, value)
    return value if value in LOCALES else None


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


def missing_catalogs(directory: Path | None = None) -> list[str]:
    """Languages with no compiled catalog, or one older than its .po file."""
    directory = directory or TRANSLATIONS_DIR
    missing = []
    for code in LOCALES:
        compiled = directory / code / "LC_MESSAGES" / "messages.mo"
        source = compiled.with_suffix(".po")
        if not compiled.is_file() or (source.is_file() and source.stat().st_mtime > compiled.stat().st_mtime):
            missing.append(code)
    return missing


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
        # pytest-flask keeps one app context per test; forget the cached locale.
        flask_babel.refresh()

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

    app.jinja_env.globals.update(locales=list(LOCALES.values()), text_dir=direction_of)
