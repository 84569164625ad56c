"""SQL repository for organizations and memberships."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from promptlab.adapters.sqlalchemy.repositories.base import SqlRepository, keyset, to_page
from promptlab.adapters.sqlalchemy.tables import memberships, organizations, users
from promptlab.application.pagination import Page, PageRequest
from promptlab.domain.organizations import (
    Member,
    Membership,
    Organization,
    OrganizationRole,
    already_member,
)


def _organization_from_row(row: Any) -> Organization:
    return Organization(
        id=row.id,
        name=row.name,
        description=row.description,
        is_personal=row.is_personal,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _membership_from_row(row: Any) -> Membership:
    return Membership(
        organization_id=row.organization_id,
        user_id=row.user_id,
        role=OrganizationRole(row.role),
        created_at=row.created_at,
    )


def _member_from_row(row: Any) -> Member:
    return Member(
        user_id=row.user_id,
        email=row.email,
        full_name=row.full_name,
        role=OrganizationRole(row.role),
        joined_at=row.created_at,
    )


def _is_unique_violation(error: IntegrityError) -> bool:
    # PostgreSQL: "duplicate key value violates unique constraint";
    # SQLite: "UNIQUE constraint failed". A foreign key violation is a bug, not a conflict.
    return "unique" in str(error.orig).lower()


class SqlOrganizationRepository(SqlRepository):
    async def add(
        self, organization: Organization, *, personal_owner_id: uuid.UUID | None = None
    ) -> None:
        await self._uow.execute(
            insert(organizations).values(
                id=organization.id,
                name=organization.name,
                description=organization.description,
                is_personal=organization.is_personal,
                personal_owner_id=personal_owner_id,
                created_at=organization.created_at,
                updated_at=organization.updated_at,
            )
        )

    async def get(self, organization_id: uuid.UUID) -> Organization | None:
        result = await self._uow.execute(
            select(organizations).where(organizations.c.id == organization_id)
        )
        row = result.first()
        return _organization_from_row(row) if row else None

    async def update(self, organization: Organization) -> None:
        await self._uow.execute(
            update(organizations)
            .where(organizations.c.id == organization.id)
            .values(
                name=organization.name,
                description=organization.description,
                updated_at=organization.updated_at,
            )
        )

    async def lock(self, organization_id: uuid.UUID) -> None:
        # SQLite renders no FOR UPDATE; there a write transaction already holds
        # the database write lock from BEGIN IMMEDIATE, which serializes writers.
        await self._uow.execute(
            select(organizations.c.id)
            .where(organizations.c.id == organization_id)
            .with_for_update()
        )

    async def get_for_member(
        self, organization_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[Organization, OrganizationRole] | None:
        result = await self._uow.execute(
            select(organizations, memberships.c.role)
            .join(memberships, memberships.c.organization_id == organizations.c.id)
            .where(organizations.c.id == organization_id, memberships.c.user_id == user_id)
        )
        row = result.first()
        if row is None:
            return None
        return _organization_from_row(row), OrganizationRole(row.role)

    async def list_for_member(
        self, user_id: uuid.UUID, page: PageRequest
    ) -> Page[tuple[Organization, OrganizationRole]]:
        statement = (
            select(organizations, memberships.c.role)
            .join(memberships, memberships.c.organization_id == organizations.c.id)
            .where(memberships.c.user_id == user_id)
        )
        result = await self._uow.execute(keyset(statement, organizations, page))
        items = [(_organization_from_row(row), OrganizationRole(row.role)) for row in result]
        return to_page(items, page, lambda item: (item[0].created_at, item[0].id))

    async def get_personal(self, user_id: uuid.UUID) -> Organization | None:
        result = await self._uow.execute(
            select(organizations).where(organizations.c.personal_owner_id == user_id)
        )
        row = result.first()
        return _organization_from_row(row) if row else None

    async def add_membership(self, membership: Membership) -> None:
        try:
            await self._uow.execute(
                insert(memberships).values(
                    organization_id=membership.organization_id,
                    user_id=membership.user_id,
                    role=membership.role.value,
                    created_at=membership.created_at,
                )
            )
        except IntegrityError as error:
            if not _is_unique_violation(error):
                raise
            raise already_member(membership.organization_id, membership.user_id) from error

    async def get_membership(
        self, organization_id: uuid.UUID, user_id: uuid.UUID
    ) -> Membership | None:
        result = await self._uow.execute(
            select(memberships).where(
                memberships.c.organization_id == organization_id,
                memberships.c.user_id == user_id,
            )
        )
        row = result.first()
        return _membership_from_row(row) if row else None

    async def list_members(self, organization_id: uuid.UUID, page: PageRequest) -> Page[Member]:
        statement = (
            select(
                memberships.c.user_id,
                memberships.c.role,
                memberships.c.created_at,
                users.c.email,
                users.c.full_name,
            )
            .join(users, users.c.id == memberships.c.user_id)
            .where(memberships.c.organization_id == organization_id)
        )
        # Memberships have no id of their own; within one organization the
        # user id identifies the row, so it breaks ties between equal times.
        if page.after is not None:
            statement = statement.where(
                tuple_(memberships.c.created_at, memberships.c.user_id)
                < tuple_(page.after.created_at, page.after.id)
            )
        statement = statement.order_by(
            memberships.c.created_at.desc(), memberships.c.user_id.desc()
        ).limit(page.limit + 1)
        result = await self._uow.execute(statement)
        items = [_member_from_row(row) for row in result]
        return to_page(items, page, lambda member: (member.joined_at, member.user_id))

    async def update_membership(self, membership: Membership) -> None:
        await self._uow.execute(
            update(memberships)
            .where(
                memberships.c.organization_id == membership.organization_id,
                memberships.c.user_id == membership.user_id,
            )
            .values(role=membership.role.value)
        )

    async def remove_membership(self, organization_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await self._uow.execute(
            delete(memberships).where(
                memberships.c.organization_id == organization_id,
                memberships.c.user_id == user_id,
            )
        )

    async def count_members(self, organization_id: uuid.UUID) -> int:
        result = await self._uow.execute(
            select(func.count()).where(memberships.c.organization_id == organization_id)
        )
        return int(result.scalar_one())

    async def count_owners(self, organization_id: uuid.UUID) -> int:
        result = await self._uow.execute(
            select(func.count()).where(
                memberships.c.organization_id == organization_id,
                memberships.c.role == OrganizationRole.OWNER.value,
            )
        )
        return int(result.scalar_one())
