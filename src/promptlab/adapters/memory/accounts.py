"""In-memory repositories for users and refresh tokens."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime

from promptlab.adapters.memory.store import InMemoryRepository
from promptlab.domain.accounts import RefreshTokenRecord, User, email_taken

USERS = "users"
REFRESH_TOKENS = "refresh_tokens"


class InMemoryUserRepository(InMemoryRepository):
    async def add(self, user: User) -> None:
        table = await self._table(USERS)
        if user.id in table or self._email_in_use(table, user):
            raise email_taken(user.email)
        table[user.id] = copy.copy(user)

    async def get(self, user_id: uuid.UUID) -> User | None:
        user = (await self._table(USERS)).get(user_id)
        return copy.copy(user) if user else None

    async def get_by_email(self, email_normalized: str) -> User | None:
        for user in (await self._table(USERS)).values():
            if user.email_normalized == email_normalized:
                return copy.copy(user)
        return None

    async def update(self, user: User) -> None:
        table = await self._table(USERS)
        if user.id not in table:
            return
        if self._email_in_use(table, user):
            raise email_taken(user.email)
        table[user.id] = copy.copy(user)

    @staticmethod
    def _email_in_use(table: dict[uuid.UUID, User], user: User) -> bool:
        return any(
            other.email_normalized == user.email_normalized and other.id != user.id
            for other in table.values()
        )


class InMemoryRefreshTokenRepository(InMemoryRepository):
    async def add(self, record: RefreshTokenRecord) -> None:
        table = await self._table(REFRESH_TOKENS)
        if record.jti in table:
            raise ValueError(f"a refresh token with jti {record.jti!r} already exists")
        table[record.jti] = copy.copy(record)

    async def get(self, jti: str) -> RefreshTokenRecord | None:
        record = (await self._table(REFRESH_TOKENS)).get(jti)
        return copy.copy(record) if record else None

    async def consume(self, jti: str, now: datetime) -> bool:
        record = (await self._table(REFRESH_TOKENS)).get(jti)
        if record is None or record.used_at is not None or record.revoked_at is not None:
            return False
        if record.expires_at <= now:
            return False
        record.used_at = now
        return True

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> int:
        revoked = 0
        for record in (await self._table(REFRESH_TOKENS)).values():
            if record.family_id == family_id and record.revoked_at is None:
                record.revoked_at = now
                revoked += 1
        return revoked
