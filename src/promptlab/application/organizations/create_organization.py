"""Create a team organization."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.organizations.access import OrganizationView
from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.organizations import (
    Membership,
    Organization,
    OrganizationRole,
    check_organization_fields,
)
from promptlab.domain.text import DEFAULT_TEXT_LIMITS, TextLimits


@attrs.frozen
class CreateOrganizationCommand:
    actor_id: uuid.UUID
    name: str
    description: str = ""


class CreateOrganization:
    """Create a team organization whose only member, as owner, is the caller.

    Rules:
    - the name has 1 to 200 characters and is not only whitespace; the
      description has at most 5,000; neither contains NUL or lone surrogates;
    - text is stored exactly as sent;
    - organization and membership are saved in one transaction.
    """

    def __init__(
        self, uow: UnitOfWork, clock: Clock, ids: IdGenerator, limits: TextLimits | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._limits = limits or DEFAULT_TEXT_LIMITS

    async def __call__(self, command: CreateOrganizationCommand) -> OrganizationView:
        check_organization_fields(
            name=command.name,
            description=command.description,
            max_name_length=self._limits.max_name_length,
            max_description_length=self._limits.max_description_length,
        )

        now = self._clock.now()
        organization = Organization(
            id=self._ids.new_id(),
            name=command.name,
            description=command.description,
            is_personal=False,
            created_at=now,
            updated_at=now,
        )
        membership = Membership(
            organization_id=organization.id,
            user_id=command.actor_id,
            role=OrganizationRole.OWNER,
            created_at=now,
        )

        async with self._uow as uow:
            await uow.organizations.add(organization)
            await uow.organizations.add_membership(membership)
            await uow.commit()

        return OrganizationView(organization=organization, role=OrganizationRole.OWNER)
