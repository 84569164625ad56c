"""Change the role of a member of an organization."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.organizations.access import load_access
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.organizations import Member, OrganizationRole, member_not_found


@attrs.frozen
class ChangeMemberRoleCommand:
    actor_id: uuid.UUID
    organization_id: uuid.UUID
    user_id: uuid.UUID
    role: OrganizationRole


class ChangeMemberRole:
    """Give a member another role.

    Rules:
    - the policy of OrganizationAccess.check_change_role decides: owners
      change any role, admins change admins and members but never to or from
      owner, members change none; the last owner cannot be demoted;
    - the organization is locked first, so concurrent changes cannot remove
      the last owner between counting and writing;
    - a user who is not a member gives NotFoundError.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: ChangeMemberRoleCommand) -> Member:
        async with self._uow as uow:
            await uow.organizations.lock(command.organization_id)
            access = await load_access(uow, command.organization_id, command.actor_id)
            target = await uow.organizations.get_membership(
                command.organization_id, command.user_id
            )
            user = await uow.users.get(command.user_id)
            if target is None or user is None:
                raise member_not_found(command.organization_id, command.user_id)

            owner_count = await uow.organizations.count_owners(command.organization_id)
            access.check_change_role(target, command.role, owner_count)

            if target.role is not command.role:
                target.role = command.role
                await uow.organizations.update_membership(target)
                await uow.commit()

        return Member(
            user_id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=target.role,
            joined_at=target.created_at,
        )
