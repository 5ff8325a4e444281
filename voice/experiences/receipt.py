"""Receipt codes a family can read aloud, copy and type back.

Hand-written because the format is ours: 16 characters of Crockford's base32 (no I,
L, O or U, so nothing is mistaken for 1, 0 or V), shown in four groups of four:
``7KQ2-M9XD-4TRB-HW3C``. All 16 come from ``secrets``: 16 x 5 = 80 bits an attacker
must guess.

How the row is found without keeping anything usable. Codes given before 2026-12 had
20 characters: 4 in clear as a locator (20 bits anyone reading the database could
use to narrow a guess) and an Argon2id hash of the other 16. A new code has no part
in clear: its locator is a keyed hash of the whole code (HMAC-SHA256 with the receipt
key, ``SecretHasher.keyed``), and the row also keeps an Argon2id hash of the code.

* Someone with the database but not the key cannot test a single guess.
* Someone with both still pays one Argon2id hash per guess, over 2^80 codes.
* On the site, guesses are rate-limited, and a wrong and an unknown code cost the
  same time (one Argon2id check each), so the answer time says nothing.

Old 20-character codes keep working.
"""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 16 x 5 bits = 80 bits
OLD_LENGTH = 20  # codes given before 2026-12: a 4-character locator in clear, then 16
OLD_LOCATOR = 4
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_IGNORED = " -\u00a0\t\u2010\u2011\u2012\u2013\u2014\u2212"  # spaces and every dash a phone's keyboard offers


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(typed: str) -> str | None:
    """What the family typed, as a canonical code; None when it cannot be one.

    Spaces, dashes and case do not matter, and letters that look like digits are
    read as those digits.
    """
    cleaned = "".join(ch for ch in typed.upper() if ch not in _IGNORED)
    cleaned = "".join(_READ_AS.get(ch, ch) for ch in cleaned)
    if len(cleaned) not in (CODE_LENGTH, OLD_LENGTH) or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def is_old(code: str) -> bool:
    return len(code) == OLD_LENGTH


def grouped(code: str) -> list[str]:
    return [code[i : i + 4] for i in range(0, len(code), 4)]


def display(code: str) -> str:
    return "-".join(grouped(code))
