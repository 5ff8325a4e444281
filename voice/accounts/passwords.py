"""Password rules (SECURITY.md 2): 8 to 128 characters, no composition rules,
refused when it is a common password. The common list is zxcvbn's 30,000
most-used passwords, plus a few Norwegian favourites."""
from __future__ import annotations

from functools import lru_cache

MIN_LENGTH = 8
MAX_LENGTH = 128
_NORWEGIAN = {"passord", "passord1", "passord123", "sommer2024", "sommer2025", "sommer2026", "vinter2025", "trondheim", "rosenborg", "nidaros", "qwertyuiopå", "hemmelig"}


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | _NORWEGIAN


def problem(password: str, *, email: str = "") -> str | None:
    """None when acceptable, else one of "short", "long", "common"."""
    if len(password) < MIN_LENGTH:
        return "short"
    if len(password) > MAX_LENGTH:
        return "long"
    lowered = password.lower()
    if lowered in _common() or (email and lowered == email.lower()) or (email and lowered == email.split("@")[0].lower()):
        return "common"
    return None
