"""Change the name or description of an organization."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.organizations.access import OrganizationView, load_access
from promptlab.application.ports.clock import Clock
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.organizations import OrganizationAction, check_organization_fields
from promptlab.domain.text import DEFAULT_TEXT_LIMITS, TextLimits


@attrs.frozen
class UpdateOrganizationCommand:
    """Fields left as None are not changed."""

    actor_id: uuid.UUID
    organization_id: uuid.UUID
    name: str | None = None
    description: str | None = None


class UpdateOrganization:
    """Update the given fields of an organization.

    Rules:
    - only owners and admins may update; other members get
      PermissionDeniedError, non-members NotFoundError;
    - the name and description follow the rules of creation;
    - `updated_at` changes only when a value changes.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, limits: TextLimits | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._limits = limits or DEFAULT_TEXT_LIMITS

    async def __call__(self, command: UpdateOrganizationCommand) -> OrganizationView:
        async with self._uow as uow:
            access = await load_access(uow, command.organization_id, command.actor_id)
            access.require(OrganizationAction.UPDATE)
            check_organization_fields(
                name=command.name,
                description=command.description,
                max_name_length=self._limits.max_name_length,
                max_description_length=self._limits.max_description_length,
            )

            organization = access.organization
            changed = False
            if command.name is not None and command.name != organization.name:
                organization.name = command.name
                changed = True
            if command.description is not None and command.description != organization.description:
                organization.description = command.description
                changed = True

            if changed:
                organization.updated_at = self._clock.now()
                await uow.organizations.update(organization)
                await uow.commit()

        return OrganizationView(organization=organization, role=access.role)
