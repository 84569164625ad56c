"""Remove a member from an organization, or leave it."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.organizations.access import load_access
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.organizations import member_not_found


@attrs.frozen
class RemoveMemberCommand:
    actor_id: uuid.UUID
    organization_id: uuid.UUID
    user_id: uuid.UUID


class RemoveMember:
    """Remove a member; when the member is the caller, the caller leaves.

    Rules:
    - the policy of OrganizationAccess.check_remove_member decides: owners
      remove anyone, admins remove admins and members, every member may
      leave; the last owner cannot be removed or leave;
    - the organization is locked first, so concurrent removals cannot leave
      it without an owner;
    - a user who is not a member gives NotFoundError.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: RemoveMemberCommand) -> None:
        async with self._uow as uow:
            await uow.organizations.lock(command.organization_id)
            access = await load_access(uow, command.organization_id, command.actor_id)
            target = await uow.organizations.get_membership(
                command.organization_id, command.user_id
            )
            if target is None:
                raise member_not_found(command.organization_id, command.user_id)

            owner_count = await uow.organizations.count_owners(command.organization_id)
            access.check_remove_member(target, owner_count)

            await uow.organizations.remove_membership(command.organization_id, command.user_id)
            await uow.commit()
