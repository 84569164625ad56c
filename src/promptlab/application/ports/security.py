"""Password hashing and token ports."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Protocol

import attrs


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Return whether the password matches. Never raises for a mismatch."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Return whether the hash was made with weaker parameters than the current ones."""
        ...


class TokenType(enum.StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@attrs.frozen
class TokenClaims:
    user_id: uuid.UUID
    token_type: TokenType
    jti: str
    issued_at: datetime
    expires_at: datetime
    family_id: uuid.UUID | None = None  # refresh tokens only


@attrs.frozen
class IssuedToken:
    token: str
    claims: TokenClaims


class TokenService(Protocol):
    def issue(
        self, user_id: uuid.UUID, token_type: TokenType, *, family_id: uuid.UUID | None = None
    ) -> IssuedToken: ...

    def decode(self, token: str, expected_type: TokenType) -> TokenClaims:
        """Verify signature, algorithm, every required claim and the type.

        Raises AuthenticationError for any token that is not a valid token of
        `expected_type`, without saying which check failed beyond a short reason.
        """
        ...

    @property
    def access_token_lifetime_seconds(self) -> int: ...
