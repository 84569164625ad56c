"""argon2id password hashing with argon2-cffi."""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# RFC 9106, section 4, second recommended option ("low memory"): t=3, 64 MiB, p=4.
RFC9106_LOW_MEMORY = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}


class Argon2PasswordHasher:
    def __init__(
        self,
        *,
        time_cost: int = RFC9106_LOW_MEMORY["time_cost"],
        memory_cost: int = RFC9106_LOW_MEMORY["memory_cost"],
        parallelism: int = RFC9106_LOW_MEMORY["parallelism"],
    ) -> None:
        """`memory_cost` is in KiB. Tests pass a cheap profile; production keeps the defaults."""
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        except UnicodeEncodeError:
            # A lone surrogate cannot be encoded as UTF-8, and registration
            # rejects it, so no stored password contains one.
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
