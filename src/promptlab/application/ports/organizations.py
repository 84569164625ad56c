"""Repository for organizations and their memberships."""

from __future__ import annotations

import uuid
from typing import Protocol

from promptlab.application.pagination import Page, PageRequest
from promptlab.domain.organizations import Member, Membership, Organization, OrganizationRole


class OrganizationRepository(Protocol):
    async def add(
        self, organization: Organization, *, personal_owner_id: uuid.UUID | None = None
    ) -> None:
        """Insert an organization; `personal_owner_id` marks it as that user's personal one."""
        ...

    async def get(self, organization_id: uuid.UUID) -> Organization | None: ...

    async def update(self, organization: Organization) -> None: ...

    async def lock(self, organization_id: uuid.UUID) -> None:
        """Hold a write lock on the organization until the transaction ends.

        Membership changes take it before counting owners, so two concurrent
        demotions cannot both see a second owner and leave none.
        """
        ...

    async def get_for_member(
        self, organization_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[Organization, OrganizationRole] | None:
        """Return the organization and the user's role, or None if the user is not a member."""
        ...

    async def list_for_member(
        self, user_id: uuid.UUID, page: PageRequest
    ) -> Page[tuple[Organization, OrganizationRole]]: ...

    async def get_personal(self, user_id: uuid.UUID) -> Organization | None:
        """Return the user's personal organization."""
        ...

    async def add_membership(self, membership: Membership) -> None:
        """Insert a membership. Raises ConflictError when the user is already a member."""
        ...

    async def get_membership(
        self, organization_id: uuid.UUID, user_id: uuid.UUID
    ) -> Membership | None: ...

    async def list_members(self, organization_id: uuid.UUID, page: PageRequest) -> Page[Member]:
        """Return members with their profiles, newest membership first."""
        ...

    async def update_membership(self, membership: Membership) -> None: ...

    async def remove_membership(self, organization_id: uuid.UUID, user_id: uuid.UUID) -> None: ...

    async def count_members(self, organization_id: uuid.UUID) -> int: ...

    async def count_owners(self, organization_id: uuid.UUID) -> int: ...
