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
  is not our question here. Addresses written to avoid detection ("ola (at)
  example (dot) no", "ola krøllalfa example punktum no", "o l a @ e x . n o")
  are found by words for "@" and "." in the languages we serve, ending in a
  known top-level domain (so "we met at school" is never one).
- Street addresses and the names of schools and kindergartens: Norwegian
  street names ending in a street word (-veien, -gata, gate, vei, allé, ...)
  followed by a house number, and "<Name> skole/skule/barnehage/..." with a
  name of its own (capitalised, not "Min skole" or "Skolen"). No library knows
  Norwegian street and school names; these are patterns, not a register.

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

PII_KINDS = ("national_id", "phone", "email", "address", "institution")

# When matches overlap, the earlier kind in this tuple wins: a national ID is
# the most sensitive, and an e-mail address swallows any digits inside it.
_PRIORITY = {"national_id": 0, "email": 1, "phone": 2, "address": 3, "institution": 4}


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


# 11 digits, together or in groups with one space, dot or hyphen between them
# (a no-break space counts as a space). People write DDMMYY NNNNN, DD.MM.YY NNNNN,
# DD MM YY NNN NN, DDMMYY-NNN NN: the groups break between the birth date and the
# individual number, and elsewhere only where the number's parts do (after day,
# month, year, and inside the individual number); the groups 4-2-5 are a bank account number's, never flagged. \d also matches
# Arabic-Indic and other decimal digits; they are converted before the check.
# The lookarounds keep us from matching 11 digits inside a longer run of digits.
_SEP = "[ \u00a0\u202f.\\-]"
_NATIONAL_ID_RE = re.compile(rf"(?<!\d)\d(?:{_SEP}?\d){{10}}(?!\d)")
_ID_BREAKS = frozenset({2, 4, 6, 8, 9})  # after DD, MM, YY, and in the individual number
_BANK_ACCOUNT_BREAKS = frozenset({4, 6})  # 1234.56.78903
# Words right before a number that say it is an account or a case, not a person.
_NOT_A_PERSON_BEFORE = re.compile(
    r"(?:konto(?:nummer|nr)?|kontonr\.?|account(?: number| no\.?)?|saksnr\.?|saksnummer|case(?: number| no\.?)?"
    r"|org\.?\s?nr\.?|organisasjonsnummer|IBAN|حساب|شماره حساب|xisaab|рахунок|konta|numer konta)\s*[:#]?\s*$",
    re.IGNORECASE)


def _ascii_digits(s: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in s)


def _breaks(raw: str) -> frozenset[int]:
    """Where the digit groups of ``raw`` break (the number of digits before each separator)."""
    result, count = set(), 0
    for char in raw:
        if char.isdigit():
            count += 1
        else:
            result.add(count)
    return frozenset(result)


def _find_national_ids(text: str) -> list[PiiMatch]:
    found = []
    for m in _NATIONAL_ID_RE.finditer(text):
        raw = m.group(0)
        breaks = _breaks(raw)
        if breaks and (6 not in breaks or not breaks <= _ID_BREAKS or breaks == _BANK_ACCOUNT_BREAKS):
            continue
        if _NOT_A_PERSON_BEFORE.search(text[max(0, m.start() - 30):m.start()]):
            continue
        if is_valid_national_id(_ascii_digits("".join(c for c in raw if c.isdigit()))):
            found.append(PiiMatch("national_id", m.start(), m.end(), raw))
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


# Written to avoid detection: "@" and "." spelled out in the languages we serve,
# or put in brackets, then a known top-level domain, so ordinary prose ("we met
# at school") is never taken for an address.
_AT_WORDS = ("at", "krøllalfa", "alfakrøll", "krøll-alfa", "snabel-a", "snabela", "átt", "آت", "اَت", "ات",
             "małpa", "malpa", "собака", "равлик", "равлик", "equals")
_DOT_WORDS = ("dot", "punktum", "prikk", "punkt", "kropka", "крапка", "точка", "نقطة", "نقطه", "دات", "dhibic")
_TLDS = ("no", "com", "net", "org", "se", "dk", "fi", "de", "uk", "nl", "fr", "pl", "ua", "so", "er", "et", "ir",
         "iq", "sy", "af", "eu", "info", "io", "me", "edu", "gov", "kommune.no")


def _alternatives(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_OPEN, _CLOSE = r"[\(\[\{<]", r"[\)\]\}>]"
_AT = rf"(?:\s*{_OPEN}\s*(?:@|{_alternatives(_AT_WORDS)})\s*{_CLOSE}\s*|\s+(?:{_alternatives(_AT_WORDS)})\s+|\s*@\s*)"
_DOT = rf"(?:\s*{_OPEN}\s*(?:\.|{_alternatives(_DOT_WORDS)})\s*{_CLOSE}\s*|\s+(?:{_alternatives(_DOT_WORDS)})\s+|\.)"
_LABEL = r"[A-Za-z0-9æøåÆØÅ](?:[A-Za-z0-9æøåÆØÅ_-]{0,61}[A-Za-z0-9æøåÆØÅ])?"
_HIDDEN_EMAIL_RE = re.compile(
    rf"(?<![\w.+-])[A-Za-z0-9æøåÆØÅ_%+-]+(?:\.[A-Za-z0-9æøåÆØÅ_%+-]+)*{_AT}{_LABEL}(?:{_DOT}{_LABEL})*?{_DOT}"
    rf"(?:{_alternatives(_TLDS)})(?![\w])",
    re.IGNORECASE)
# Spaced out, one character at a time: "o l a @ e x a m p l e . n o".
_SPACED_RE = re.compile(r"(?<!\S)(?:\S[ \u00a0]){4,}\S(?!\S)")


def _find_emails(text: str) -> list[PiiMatch]:
    found = [PiiMatch("email", m.start(), m.end(), m.group(0)) for m in _EMAIL_RE.finditer(text)]
    found += [PiiMatch("email", m.start(), m.end(), m.group(0)) for m in _HIDDEN_EMAIL_RE.finditer(text)
              if not _EMAIL_RE.fullmatch(m.group(0))]
    for m in _SPACED_RE.finditer(text):
        if "@" in m.group(0) and _EMAIL_RE.search(re.sub(r"\s", "", m.group(0))):
            found.append(PiiMatch("email", m.start(), m.end(), m.group(0)))
    return found


# --- Street addresses and schools (hand-written, see the top) -----------------

_UPPER, _LOWER = "A-ZÆØÅÉ", "a-zæøåéü"
_NAME = rf"[{_UPPER}][{_LOWER}]+(?:[ -][{_UPPER}][{_LOWER}]+)*"
# Street words: written together with the name ("Saupstadveien") or apart ("Olav Tryggvasons gate").
_STREET_JOINED = ("veien", "vegen", "gata", "gaten", "stien", "bakken", "svingen", "ringen", "lia", "haugen",
                  "plassen", "allé", "alleen", "kaia", "brygga", "tunet", "jordet", "vei", "veg")
_STREET_APART = ("gate", "gt.", "vei", "veg", "allé", "alle", "plass", "terrasse", "brygge")
_HOUSE = r"\d{1,4}(?:\s?[A-Ha-h])?(?![\d,.]\d|\d)"
_POSTCODE = rf"(?:,?\s+\d{{4}}\s+[{_UPPER}][{_LOWER}]+)?"
_ADDRESS_RE = re.compile(
    rf"(?<![\w-])(?:[{_UPPER}][{_LOWER}]+(?:{_alternatives(_STREET_JOINED)})"
    rf"|{_NAME}\s(?:{_alternatives(_STREET_APART)}))\s{_HOUSE}{_POSTCODE}")
_INSTITUTION_WORDS = ("videregående skole", "vidaregåande skule", "ungdomsskole", "ungdomsskule", "barneskole", "barneskule",
                      "oppvekstsenter", "barnehage", "skole", "skule", "sfo")
# Capitalised words that are not a name of their own: "Min skole", "Den barnehagen".
_NOT_A_NAME = frozenset("""min mi mitt mine vår vårt våre din di ditt dine hans hennes deres sin si sitt sine den det
    de denne dette disse en ei et ny nye gamle samme hver alle ingen annen andre første neste forrige my our your the
    this that a an his her their every kommunal kommunale privat private offentlig offentlige""".split())
_INSTITUTION_RE = re.compile(
    rf"(?<![\w-])({_NAME})\s(?i:{_alternatives(_INSTITUTION_WORDS)})(?:n|en)?(?![\w])")


def _find_places(text: str) -> list[PiiMatch]:
    found = [PiiMatch("address", m.start(), m.end(), m.group(0)) for m in _ADDRESS_RE.finditer(text)]
    for m in _INSTITUTION_RE.finditer(text):
        name = m.group(1)
        if name.split()[0].split("-")[0].casefold() in _NOT_A_NAME:
            continue
        found.append(PiiMatch("institution", m.start(), m.end(), m.group(0)))
    return found


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


# Where a phone number could be: a run of digits with the separators people put in
# one. The matcher reads only these stretches (and a few characters either side, for
# its own checks of what stands next to a number): run over a whole 4,000-character
# story it costs some 30 ms, over the stretches a fraction of a millisecond.
_PHONE_CANDIDATE_RE = re.compile(r"[+(]{0,2}\d[\d \u00a0\u202f().\-/]{4,24}\d")
_CONTEXT = 3
_FEWEST_DIGITS = 8  # a Norwegian number has 8 digits; numbers from abroad more


def _find_phones(text: str) -> list[PiiMatch]:
    found = []
    end_of_last = 0
    for candidate in _PHONE_CANDIDATE_RE.finditer(text):
        if sum(c.isdigit() for c in candidate.group(0)) < _FEWEST_DIGITS or _looks_like_date(candidate.group(0)):
            continue
        start = max(end_of_last, candidate.start() - _CONTEXT)
        end = min(len(text), candidate.end() + _CONTEXT)
        for m in PhoneNumberMatcher(text[start:end], "NO", leniency=Leniency.VALID):
            first, last = start + m.start, start + m.end
            if _looks_like_date(m.raw_string) or _looks_like_amount(text, first, last):
                continue
            found.append(PiiMatch("phone", first, last, text[first:last]))
            end_of_last = last
    return found


# --- Putting it together -------------------------------------------------------


def find_pii(text: str) -> list[PiiMatch]:
    """All personal data found in `text`, sorted by start and never overlapping.
    Where two findings overlap, national_id beats email, which beats phone."""
    if not text:
        return []
    candidates = _find_national_ids(text) + _find_emails(text) + _find_phones(text) + _find_places(text)
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
