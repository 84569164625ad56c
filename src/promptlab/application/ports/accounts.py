"""Repositories for users and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from promptlab.domain.accounts import RefreshTokenRecord, User


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Insert a user. Raises ConflictError when the normalized email is taken."""
        ...

    async def get(self, user_id: uuid.UUID) -> User | None: ...

    async def get_by_email(self, email_normalized: str) -> User | None: ...

    async def update(self, user: User) -> None: ...


class RefreshTokenRepository(Protocol):
    async def add(self, record: RefreshTokenRecord) -> None: ...

    async def get(self, jti: str) -> RefreshTokenRecord | None: ...

    async def consume(self, jti: str, now: datetime) -> bool:
        """Mark an unused, unrevoked token as used, atomically in the database.

        Returns True for exactly one of any number of concurrent callers.
        """
        ...

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> int:
        """Revoke every token of a family; return how many were still active."""
        ...
