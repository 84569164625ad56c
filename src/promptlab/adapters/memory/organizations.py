"""In-memory repository for organizations and memberships."""

from __future__ import annotations

import copy
import uuid

import attrs

from promptlab.adapters.memory.accounts import USERS
from promptlab.adapters.memory.store import InMemoryRepository, paginate
from promptlab.application.pagination import Page, PageRequest
from promptlab.domain.organizations import (
    Member,
    Membership,
    Organization,
    OrganizationRole,
    already_member,
)

ORGANIZATIONS = "organizations"
MEMBERSHIPS = "memberships"


@attrs.define
class OrganizationRow:
    organization: Organization
    personal_owner_id: uuid.UUID | None


class InMemoryOrganizationRepository(InMemoryRepository):
    async def add(
        self, organization: Organization, *, personal_owner_id: uuid.UUID | None = None
    ) -> None:
        table = await self._table(ORGANIZATIONS)
        if organization.id in table:
            raise ValueError(f"an organization with id {organization.id} already exists")
        if personal_owner_id is not None and any(
            row.personal_owner_id == personal_owner_id for row in table.values()
        ):
            raise ValueError(f"user {personal_owner_id} already has a personal organization")
        table[organization.id] = OrganizationRow(copy.copy(organization), personal_owner_id)

    async def get(self, organization_id: uuid.UUID) -> Organization | None:
        row = (await self._table(ORGANIZATIONS)).get(organization_id)
        return copy.copy(row.organization) if row else None

    async def update(self, organization: Organization) -> None:
        row = (await self._table(ORGANIZATIONS)).get(organization.id)
        if row is None:
            return
        row.organization.name = organization.name
        row.organization.description = organization.description
        row.organization.updated_at = organization.updated_at

    async def lock(self, organization_id: uuid.UUID) -> None:
        # A write unit of work holds the database's write lock from its first
        # statement, so touching the tables is enough.
        await self._table(ORGANIZATIONS)

    async def get_for_member(
        self, organization_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[Organization, OrganizationRole] | None:
        membership = (await self._table(MEMBERSHIPS)).get((organization_id, user_id))
        organization = await self.get(organization_id)
        if membership is None or organization is None:
            return None
        return organization, membership.role

    async def list_for_member(
        self, user_id: uuid.UUID, page: PageRequest
    ) -> Page[tuple[Organization, OrganizationRole]]:
        organizations = await self._table(ORGANIZATIONS)
        items = [
            (copy.copy(organizations[membership.organization_id].organization), membership.role)
            for membership in (await self._table(MEMBERSHIPS)).values()
            if membership.user_id == user_id
        ]
        return paginate(items, page, lambda item: (item[0].created_at, item[0].id))

    async def get_personal(self, user_id: uuid.UUID) -> Organization | None:
        for row in (await self._table(ORGANIZATIONS)).values():
            if row.personal_owner_id == user_id:
                return copy.copy(row.organization)
        return None

    async def add_membership(self, membership: Membership) -> None:
        table = await self._table(MEMBERSHIPS)
        key = (membership.organization_id, membership.user_id)
        if key in table:
            raise already_member(membership.organization_id, membership.user_id)
        if membership.organization_id not in await self._table(ORGANIZATIONS):
            raise ValueError(f"organization {membership.organization_id} does not exist")
        if membership.user_id not in await self._table(USERS):
            raise ValueError(f"user {membership.user_id} does not exist")
        table[key] = copy.copy(membership)

    async def get_membership(
        self, organization_id: uuid.UUID, user_id: uuid.UUID
    ) -> Membership | None:
        membership = (await self._table(MEMBERSHIPS)).get((organization_id, user_id))
        return copy.copy(membership) if membership else None

    async def list_members(self, organization_id: uuid.UUID, page: PageRequest) -> Page[Member]:
        users = await self._table(USERS)
        members = [
            Member(
                user_id=membership.user_id,
                email=users[membership.user_id].email,
                full_name=users[membership.user_id].full_name,
                role=membership.role,
                joined_at=membership.created_at,
            )
            for membership in (await self._table(MEMBERSHIPS)).values()
            if membership.organization_id == organization_id
        ]
        return paginate(members, page, lambda member: (member.joined_at, member.user_id))

    async def update_membership(self, membership: Membership) -> None:
        stored = (await self._table(MEMBERSHIPS)).get(
            (membership.organization_id, membership.user_id)
        )
        if stored is not None:
            stored.role = membership.role

    async def remove_membership(self, organization_id: uuid.UUID, user_id: uuid.UUID) -> None:
        (await self._table(MEMBERSHIPS)).pop((organization_id, user_id), None)

    async def count_members(self, organization_id: uuid.UUID) -> int:
        memberships = (await self._table(MEMBERSHIPS)).values()
        return sum(1 for membership in memberships if membership.organization_id == organization_id)

    async def count_owners(self, organization_id: uuid.UUID) -> int:
        return sum(
            1
            for membership in (await self._table(MEMBERSHIPS)).values()
            if membership.organization_id == organization_id
            and membership.role is OrganizationRole.OWNER
        )
