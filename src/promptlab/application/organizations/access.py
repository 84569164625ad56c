"""Loading an organization as one member sees it, shared by the organization use cases."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.organizations import (
    Organization,
    OrganizationAccess,
    OrganizationRole,
    organization_not_found,
)


@attrs.frozen
class OrganizationView:
    """An organization and the role the caller has in it."""

    organization: Organization
    role: OrganizationRole


async def load_access(
    uow: UnitOfWork, organization_id: uuid.UUID, user_id: uuid.UUID
) -> OrganizationAccess:
    """Return the caller's access to the organization, or raise NotFoundError.

    A caller who is not a member gets the same error as for an organization
    that does not exist, so ids of other tenants reveal nothing.
    """
    found = await uow.organizations.get_for_member(organization_id, user_id)
    if found is None:
        raise organization_not_found(organization_id)
    organization, role = found
    return OrganizationAccess(organization=organization, user_id=user_id, role=role)
