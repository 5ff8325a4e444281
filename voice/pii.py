"""Find personal data in the free text a family writes, so they can remove it
before saving and a moderator sees what is left.

What is hand-written here, and why:
- Norwegian national identity numbers (fødselsnummer, D-number, H-number and
  the synthetic NAV/Skatteetaten test numbers): no library in our stack knows
  them, so the modulus-11 check digits k1/k2 (including the extra k1 values
  allowed from 2032), the date plausibility check and the text pattern that
  finds them are written by hand below.
- E-mail addresses: a deliberately simple, linear-time regular expression
  (local@domain.tld). It only *finds* addresses; whether one can receive mail
  is not our question here.

What uses a library:
- Phone numbers: `phonenumbers` (Google's libphonenumber port) with
  `PhoneNumberMatcher(text, "NO", leniency=Leniency.VALID)`. It knows the
  Norwegian numbering plan (8 digits, +47/0047, mobiles starting 4 or 9) and
  every other country's for numbers written with "+"/"00". We do not write our
  own phone regex; we only drop two kinds of false positive it lets through in
  Norwegian prose: dates like 24.12.2024 and amounts written next to a currency
  ("kr 45 000 000").

Pure Python, no Flask: templates render the result of `highlight_segments`
with <mark> around the flagged parts and ordinary autoescaping (never |safe).
"""
from __future__ import annotations

import bisect
import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from phonenumbers import Leniency, PhoneNumberMatcher

from .clock import oslo_date, utcnow

__all__ = ["PII_KINDS", "PiiMatch", "find_pii", "highlight_segments", "is_valid_national_id"]

PII_KINDS = ("national_id", "phone", "email")

# When matches overlap, the earlier kind in this tuple wins: a national ID is
# the most sensitive, and an e-mail address swallows any digits inside it.
_PRIORITY = {"national_id": 0, "email": 1, "phone": 2}


@dataclass(frozen=True)
class PiiMatch:
    kind: str  # one of PII_KINDS
    start: int  # index into the text
    end: int  # exclusive
    text: str  # the matched substring as it appears in the text


# --- National identity numbers (hand-written) -------------------------------

# Weights including the check digit itself with weight 1: a number is correct
# when the weighted sum is 0 mod 11 (the classic "11 - (sum mod 11), 11 -> 0,
# 10 is invalid" rule says exactly that).
_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)

# From 1 January 2032 Skatteetaten allows k1 = {11,12,13,14} - (sum mod 11),
# i.e. a remainder of 0, 1, 2 or 3 for the weighted sum that includes k1
# (their own example, 02013299903, has k1 = 13 - 2 = 11 -> 0). k1 must still
# be a single digit, and k2 keeps the classic rule.
_NEW_K1_FROM = date(2032, 1, 1)
_CLASSIC_K1_REMAINDERS = frozenset({0})
_NEW_K1_REMAINDERS = frozenset({0, 1, 2, 3})

_ASCII_DIGITS = frozenset("0123456789")


def is_valid_national_id(digits: str, *, today: date | None = None) -> bool:
    """True for a plausible Norwegian fødselsnummer, D-number, H-number or
    synthetic test number, given as exactly 11 ASCII digits (no spaces)."""
    if not isinstance(digits, str) or len(digits) != 11 or not set(digits) <= _ASCII_DIGITS:
        return False
    d = [int(c) for c in digits]
    if not _plausible_birth_date(d):
        return False
    today = today or oslo_date(utcnow())  # the date in Trondheim, not the server's
    allowed_k1 = _NEW_K1_REMAINDERS if today >= _NEW_K1_FROM else _CLASSIC_K1_REMAINDERS
    if sum(w * x for w, x in zip(_K1_WEIGHTS, d)) % 11 not in allowed_k1:
        return False
    return sum(w * x for w, x in zip(_K2_WEIGHTS, d)) % 11 == 0


def _plausible_birth_date(d: list[int]) -> bool:
    day = d[0] * 10 + d[1]
    month = d[2] * 10 + d[3]
    yy = d[4] * 10 + d[5]
    if day > 40:  # D-number: first digit + 4 (day 41-71)
        day -= 40
    if month > 80:  # synthetic number from Skatteetaten (Tenor): month + 80
        month -= 80
    elif month > 40:  # H-number, or synthetic number from NAV: month + 40
        month -= 40
    if not (1 <= month <= 12 and day >= 1):
        return False
    # The individual number no longer tells the century reliably (and will not
    # at all from 2032), so accept a day that exists in either 19yy or 20yy;
    # that also settles 29 February (1900 was no leap year, 2000 was).
    return any(day <= calendar.monthrange(century + yy, month)[1] for century in (1900, 2000))


# 11 digits together, or DDMMYY and NNNNN with one space, dot or hyphen between
# (a no-break space counts as a space). \d also matches Arabic-Indic and other
# decimal digits; they are converted before the check. The lookarounds keep us
# from matching 11 digits inside a longer run of digits.
_NATIONAL_ID_RE = re.compile(r"(?<!\d)(\d{6})[ \u00a0\u202f.\-]?(\d{5})(?!\d)")


def _ascii_digits(s: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in s)


def _find_national_ids(text: str) -> list[PiiMatch]:
    found = []
    for m in _NATIONAL_ID_RE.finditer(text):
        if is_valid_national_id(_ascii_digits(m.group(1) + m.group(2))):
            found.append(PiiMatch("national_id", m.start(), m.end(), m.group(0)))
    return found


# --- E-mail addresses (hand-written, linear) ---------------------------------

# Local part: dot-separated runs of word characters, % + and -. The dot is not
# in the runs, so each split is unambiguous and there is nothing to backtrack
# into; the lookbehind stops a new attempt from starting inside a run.
# Domain: labels of at most 63 characters that start and end with a letter or
# digit, then a top-level domain of letters. \w is Unicode, so ø, æ, å and
# Arabic letters are accepted (RFC 6531 addresses). Nothing is required after
# the top-level domain: "_ola@example.no_" is still flagged, we would rather
# mark a little too much than miss an address.
_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])"
    r"[\w%+-]+(?:\.[\w%+-]+)*"
    r"@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+"
    r"[^\W\d_]{2,63}"
)


def _find_emails(text: str) -> list[PiiMatch]:
    return [PiiMatch("email", m.start(), m.end(), m.group(0)) for m in _EMAIL_RE.finditer(text)]


# --- Phone numbers (phonenumbers) --------------------------------------------

# A date such as 24.12.2024 is also a valid Norwegian landline (24122024).
_DATE_RE = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})")
# Eight digits next to a currency are an amount ("kr 45 000 000", "45000000,-").
_CURRENCY_BEFORE_RE = re.compile(r"(?:\b(?:kr|nok|kroner|eur|usd)\.?|[$€£])\s*$", re.IGNORECASE)
_CURRENCY_AFTER_RE = re.compile(r"^\s*(?:,-|[$€£%]|(?:kr|nok|kroner|eur|usd|mill)\b)", re.IGNORECASE)


def _looks_like_date(raw: str) -> bool:
    m = _DATE_RE.fullmatch(raw.strip())
    return bool(m) and 1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(2)) <= 12


def _looks_like_amount(text: str, start: int, end: int) -> bool:
    return bool(
        _CURRENCY_BEFORE_RE.search(text, max(0, start - 12), start)
        or _CURRENCY_AFTER_RE.match(text[end : end + 12])
    )


def _find_phones(text: str) -> list[PiiMatch]:
    found = []
    for m in PhoneNumberMatcher(text, "NO", leniency=Leniency.VALID):
        if _looks_like_date(m.raw_string) or _looks_like_amount(text, m.start, m.end):
            continue
        found.append(PiiMatch("phone", m.start, m.end, text[m.start : m.end]))
    return found


# --- Putting it together -------------------------------------------------------


def find_pii(text: str) -> list[PiiMatch]:
    """All personal data found in `text`, sorted by start and never overlapping.
    Where two findings overlap, national_id beats email, which beats phone."""
    if not text:
        return []
    candidates = _find_national_ids(text) + _find_emails(text) + _find_phones(text)
    candidates.sort(key=lambda m: (_PRIORITY[m.kind], m.start, -(m.end - m.start)))
    starts: list[int] = []
    kept: list[PiiMatch] = []  # sorted by start; non-overlapping, so also by end
    for cand in candidates:
        i = bisect.bisect_right(starts, cand.start)
        if i > 0 and kept[i - 1].end > cand.start:
            continue
        if i < len(kept) and kept[i].start < cand.end:
            continue
        starts.insert(i, cand.start)
        kept.insert(i, cand)
    return kept


def highlight_segments(text: str, matches: list[PiiMatch]) -> list[tuple[str, str | None]]:
    """Split `text` into [(segment, kind or None)], in order, so that joining the
    segments gives back `text` exactly. A template wraps the segments that have
    a kind in <mark> and lets autoescaping handle every segment as plain text.
    Matches that do not fit the text (stale, out of bounds, overlapping an
    earlier one, unknown kind) are ignored rather than breaking the page."""
    segments: list[tuple[str, str | None]] = []
    pos = 0
    for m in sorted(matches, key=lambda m: (m.start, m.end)):
        if (
            m.kind not in PII_KINDS
            or not pos <= m.start < m.end <= len(text)
            or text[m.start : m.end] != m.text
        ):
            continue
        if m.start > pos:
            segments.append((text[pos : m.start], None))
        segments.append((m.text, m.kind))
        pos = m.end
    if pos < len(text):
        segments.append((text[pos:], None))
    return segments
