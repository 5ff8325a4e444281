"""The one list of languages, and translation without a request.

``LOCALES`` is the list every part of Voice reads (forms, the language menu, the
catalog checks). ``translator(code)`` gives the catalog of one language as plain
Python (Babel's compiled ``.mo`` files), so e-mail rendered by the job worker, a
command or a service is translated exactly as a page is. Flask-Babel reads the
same catalogs for pages (voice/web/i18n.py chooses the page's language).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel import dates as babel_dates
from babel import lists as babel_lists
from babel import numbers as babel_numbers
from babel.support import NullTranslations, Translations

from .clock import OSLO
from .config import ROOT


def N_(message: str) -> str:
    """gettext_noop: marks ``message`` for extraction; it is translated where it is shown,
    in the language of that page, message or file (``Translator.gettext``)."""
    return message


TRANSLATIONS_DIR = ROOT / "translations"
DEFAULT_LOCALE = "nb"
# Languages a family may say it wrote in, beyond the nine the site speaks.
OTHER_LANGUAGE = "und"  # BCP 47 "undetermined"


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


def direction_of(tag: str | None) -> str:
    """The text direction for a language tag a person chose for what they wrote."""
    if not tag:
        return "auto"
    info = LOCALES.get(tag.split("-")[0].lower())
    if info is None:
        return "auto"
    return info.direction


def normalise(value: str | None) -> str | None:
    """One of LOCALES' codes for a tag a browser or a person sent, or None."""
    if not value:
        return None
    value = value.strip().lower().replace("_", "-")
    value = _ALIASES.get(value, value)
    return value if value in LOCALES else None


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


@lru_cache(maxsize=None)
def catalog(code: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [code], domain="messages")


# Norwegian writes the time of day "kl. 10.00" (Språkrådet's rule, and what families read in
# letters from NAV and the municipality); CLDR's nb and nn data give "10:00". The one place the
# locale data is overridden by hand.
NORWEGIAN_CLOCK = {"nb": "HH.mm", "nn": "HH.mm"}


class Translator:
    """One language's words, dates, numbers and lists, in Europe/Oslo time."""

    def __init__(self, code: str):
        self.info = LOCALES[code]
        self.code = code
        self.babel_locale = Locale.parse(code)
        self._catalog = catalog(code)

    def gettext(self, message: str, **variables) -> str:
        text = self._catalog.ugettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        return self._catalog.ungettext(singular, plural, num) % variables

    # Raw lookups for Jinja's i18n extension (newstyle: Jinja does the % itself).
    def raw_gettext(self, message: str) -> str:
        return self._catalog.ugettext(message)

    def raw_ngettext(self, singular: str, plural: str, num: int) -> str:
        return self._catalog.ungettext(singular, plural, num)

    def format_datetime(self, moment: datetime, format: str = "medium") -> str:
        return babel_dates.format_datetime(moment, format, tzinfo=OSLO, locale=self.babel_locale)

    def format_date(self, value: date | datetime, format: str = "medium") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(OSLO).date()
        return babel_dates.format_date(value, format, locale=self.babel_locale)

    def format_time(self, moment: datetime, format: str = "short") -> str:
        return babel_dates.format_time(moment, format, tzinfo=OSLO, locale=self.babel_locale)

    # Dates and times as people write them, from Babel's skeletons (CLDR): never seconds,
    # never a time zone's name. "fre. 11. des. kl. 10.00–13.00" in nb, "الجمعة، 11 ديسمبر 10:00–13:00" in ar.
    def day(self, value: date | datetime, *, this_year: int | None = None) -> str:
        """Weekday, day and month; the year too unless it is ``this_year``."""
        moment = value.astimezone(OSLO) if isinstance(value, datetime) else value
        skeleton = "MMMEd" if this_year is not None and moment.year == this_year else "yMMMEd"
        if isinstance(moment, datetime):
            return babel_dates.format_skeleton(skeleton, moment, tzinfo=OSLO, locale=self.babel_locale)
        return babel_dates.format_skeleton(skeleton, datetime(moment.year, moment.month, moment.day), locale=self.babel_locale)

    def span(self, start: datetime, end: datetime, *, this_year: int | None = None) -> str:
        """When a session is: its day and its start and end time (both days when it runs past midnight)."""
        if start.astimezone(OSLO).date() != end.astimezone(OSLO).date():
            def at(moment):
                return f"{self.day(moment, this_year=this_year)} {self._hour(moment)}"

            return f"{at(start)} – {at(end)}"
        if self.code in NORWEGIAN_CLOCK:
            hours = f"kl. {self._clock(start)}–{self._clock(end)}"
        else:
            hours = babel_dates.format_interval(start, end, skeleton="Hm", tzinfo=OSLO, locale=self.babel_locale)
        return f"{self.day(start, this_year=this_year)} {hours}"

    def _clock(self, moment: datetime) -> str:
        return babel_dates.format_time(moment, NORWEGIAN_CLOCK[self.code], tzinfo=OSLO, locale=self.babel_locale)

    def _hour(self, moment: datetime) -> str:
        if self.code in NORWEGIAN_CLOCK:
            return f"kl. {self._clock(moment)}"
        return babel_dates.format_skeleton("Hm", moment, tzinfo=OSLO, locale=self.babel_locale)

    def moment(self, value: datetime) -> str:
        """A moment something happened (sent, answered): the date and the time to the minute."""
        day = babel_dates.format_skeleton("yMMMd", value, tzinfo=OSLO, locale=self.babel_locale)
        return str(self.babel_locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", self._hour(value))

    def format_decimal(self, number) -> str:
        return babel_numbers.format_decimal(number, locale=self.babel_locale)

    def format_list(self, items: list[str]) -> str:
        return babel_lists.format_list(list(items), locale=self.babel_locale)


@lru_cache(maxsize=None)
def translator(code: str) -> Translator:
    return Translator(normalise(code) or DEFAULT_LOCALE)
