"""Show one organization to one of its members."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.organizations.access import load_access
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.organizations import Organization, OrganizationAction, OrganizationRole


@attrs.frozen
class GetOrganizationQuery:
    actor_id: uuid.UUID
    organization_id: uuid.UUID


@attrs.frozen
class OrganizationDetails:
    organization: Organization
    role: OrganizationRole
    member_count: int


class GetOrganization:
    """Return the organization, the caller's role and how many members it has.

    Rules:
    - any member may view it; anyone else gets NotFoundError.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, query: GetOrganizationQuery) -> OrganizationDetails:
        async with self._uow as uow:
            access = await load_access(uow, query.organization_id, query.actor_id)
            access.require(OrganizationAction.VIEW)
            member_count = await uow.organizations.count_members(query.organization_id)
        return OrganizationDetails(
            organization=access.organization, role=access.role, member_count=member_count
        )
