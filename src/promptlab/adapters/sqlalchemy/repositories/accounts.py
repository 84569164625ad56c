"""SQL repositories for users and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from promptlab.adapters.sqlalchemy.prepared import PreparedQuery
from promptlab.adapters.sqlalchemy.repositories.base import SqlRepository, check_column_order
from promptlab.adapters.sqlalchemy.tables import refresh_tokens, users
from promptlab.domain.accounts import RefreshTokenRecord, User, email_taken

_USER_COLUMNS = check_column_order(
    users,
    "id",
    "email",
    "email_normalized",
    "full_name",
    "password_hash",
    "is_active",
    "created_at",
    "updated_at",
)


def _user_from_row(row: Any) -> User:
    """Map a row of `select(users)`, read by position."""
    return User(
        id=row[0],
        email=row[1],
        email_normalized=row[2],
        full_name=row[3],
        password_hash=row[4],
        is_active=row[5],
        created_at=row[6],
        updated_at=row[7],
    )


# Built once: every authenticated request loads its user.
_USER_BY_ID = PreparedQuery(select(users).where(users.c.id == bindparam("user_id")))


class SqlUserRepository(SqlRepository):
    async def add(self, user: User) -> None:
        try:
            await self._uow.execute(
                insert(users).values(
                    id=user.id,
                    email=user.email,
                    email_normalized=user.email_normalized,
                    full_name=user.full_name,
                    password_hash=user.password_hash,
                    is_active=user.is_active,
                    created_at=user.created_at,
                    updated_at=user.updated_at,
                )
            )
        except IntegrityError as error:
            raise email_taken(user.email) from error

    async def get(self, user_id: uuid.UUID) -> User | None:
        rows = await self._uow.fetch_all(_USER_BY_ID, {"user_id": user_id})
        return _user_from_row(rows[0]) if rows else None

    async def get_by_email(self, email_normalized: str) -> User | None:
        result = await self._uow.execute(
            select(users).where(users.c.email_normalized == email_normalized)
        )
        row = result.first()
        return _user_from_row(row) if row else None

    async def update(self, user: User) -> None:
        try:
            await self._uow.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(
                    email=user.email,
                    email_normalized=user.email_normalized,
                    full_name=user.full_name,
                    password_hash=user.password_hash,
                    is_active=user.is_active,
                    updated_at=user.updated_at,
                )
            )
        except IntegrityError as error:
            raise email_taken(user.email) from error


def _token_from_row(row: Any) -> RefreshTokenRecord:
    return RefreshTokenRecord(
        jti=row.jti,
        family_id=row.family_id,
        user_id=row.user_id,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )


class SqlRefreshTokenRepository(SqlRepository):
    async def add(self, record: RefreshTokenRecord) -> None:
        await self._uow.execute(
            insert(refresh_tokens).values(
                jti=record.jti,
                family_id=record.family_id,
                user_id=record.user_id,
                issued_at=record.issued_at,
                expires_at=record.expires_at,
                used_at=record.used_at,
                revoked_at=record.revoked_at,
            )
        )

    async def get(self, jti: str) -> RefreshTokenRecord | None:
        result = await self._uow.execute(select(refresh_tokens).where(refresh_tokens.c.jti == jti))
        row = result.first()
        return _token_from_row(row) if row else None

    async def consume(self, jti: str, now: datetime) -> bool:
        # One conditional UPDATE: the database decides the single winner, so
        # no read-then-write race exists on either database.
        result = await self._uow.execute(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.jti == jti,
                refresh_tokens.c.used_at.is_(None),
                refresh_tokens.c.revoked_at.is_(None),
                refresh_tokens.c.expires_at > now,
            )
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> int:
        result = await self._uow.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount
