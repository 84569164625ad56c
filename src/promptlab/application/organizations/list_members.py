"""List the members of an organization."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.organizations.access import load_access
from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.organizations import Member, OrganizationAction


@attrs.frozen
class ListMembersQuery:
    actor_id: uuid.UUID
    organization_id: uuid.UUID
    page: PageRequest


class ListMembers:
    """Return one page of members with their email, full name, role and join time.

    Rules:
    - any member may list the members; anyone else gets NotFoundError;
    - newest membership first, by keyset pagination on join time and user id.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, query: ListMembersQuery) -> Page[Member]:
        async with self._uow as uow:
            access = await load_access(uow, query.organization_id, query.actor_id)
            access.require(OrganizationAction.VIEW_MEMBERS)
            return await uow.organizations.list_members(query.organization_id, query.page)
