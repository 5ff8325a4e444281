"""Receipt codes a family can read aloud, copy and type back.

Hand-written because the format is ours: 20 characters of Crockford's base32
(no I, L, O or U, so nothing is mistaken for 1, 0 or V), shown in five groups of
four. The first 4 characters (20 bits) are a locator stored in clear to find the
row; the other 16 (80 bits, from `secrets`) are the secret, stored only as an
Argon2id hash.
"""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LOCATOR_LENGTH = 4
SECRET_LENGTH = 16  # 16 x 5 bits = 80 bits
CODE_LENGTH = LOCATOR_LENGTH + SECRET_LENGTH
_READ_AS = {"O": "0", "I": "1", "L": "1"}


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def split(code: str) -> tuple[str, str]:
    return code[:LOCATOR_LENGTH], code[LOCATOR_LENGTH:]


def normalise(typed: str) -> str | None:
    """What the family typed, as a canonical code; None when it cannot be one.

    Spaces, dashes and case do not matter, and letters that look like digits are
    read as those digits.
    """
    cleaned = "".join(ch for ch in typed.upper() if ch not in " -\u00a0\t")
    cleaned = "".join(_READ_AS.get(ch, ch) for ch in cleaned)
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def grouped(code: str) -> list[str]:
    return [code[i : i + 4] for i in range(0, len(code), 4)]


def display(code: str) -> str:
    return "-".join(grouped(code))
