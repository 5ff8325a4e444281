"""Argon2id hashing of passwords and receipt codes, with explicit parameters, and a
keyed hash (HMAC-SHA256) that finds a receipt code's row without storing anything
an attacker could use.

The cost is a setting (ARGON2_TIME_COST, ARGON2_MEMORY_COST): production keeps at
least m=19456 KiB, t=2 (SECURITY.md 1); tests use cheap values. ``create_app``
makes one ``SecretHasher`` from the settings and hands it to the services that
need it, so they never read configuration themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# Verified when no real candidate exists, so a wrong and an unknown code or
# account take the same time.
_DUMMY_SECRET = "voice-dummy-secret-for-constant-time"


@dataclass(frozen=True)
class HashParams:
    time_cost: int = 2
    memory_cost: int = 19456
    parallelism: int = 1


class SecretHasher:
    def __init__(self, params: HashParams, key: bytes = b"voice-tests-only"):
        self.params = params
        self._key = key
        self._ph = PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_cost,
                                  parallelism=params.parallelism, type=Type.ID)

    @cached_property
    def _dummy_hash(self) -> str:
        return self._ph.hash(_DUMMY_SECRET)

    def hash(self, secret: str) -> str:
        return self._ph.hash(secret)

    def verify(self, stored_hash: str | None, secret: str) -> bool:
        """Check a secret against a stored hash; with no hash, spend the same time and say no."""
        try:
            if stored_hash is None:
                self._ph.verify(self._dummy_hash, secret + "x")
                return False
            return self._ph.verify(stored_hash, secret)
        except (VerificationError, InvalidHashError):
            return False

    def keyed(self, value: str, length: int = 32) -> str:
        """HMAC-SHA256 of ``value`` with the receipt key, as hex: the same code always gives
        the same locator, and the locator gives nothing back without the key."""
        import hashlib
        import hmac

        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:length]

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._ph.check_needs_rehash(stored_hash)
