"""List the organizations the caller belongs to."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.organizations.access import OrganizationView
from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.unit_of_work import UnitOfWork


@attrs.frozen
class ListOrganizationsQuery:
    actor_id: uuid.UUID
    page: PageRequest


class ListOrganizations:
    """Return one page of the caller's organizations with the caller's role in each.

    Rules:
    - only organizations the caller is a member of are listed;
    - newest first, by keyset pagination on creation time and id.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, query: ListOrganizationsQuery) -> Page[OrganizationView]:
        async with self._uow as uow:
            page = await uow.organizations.list_for_member(query.actor_id, query.page)
        views = [OrganizationView(organization=org, role=role) for org, role in page.items]
        return Page(items=views, next=page.next)
