"""Add an existing user to an organization."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.organizations.access import load_access
from promptlab.application.ports.clock import Clock
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.accounts import normalize_email
from promptlab.domain.errors import NotFoundError
from promptlab.domain.organizations import Member, Membership, OrganizationRole, already_member

NO_SUCH_USER = "No user with that email address. They need to register first; then add them again."


@attrs.frozen
class AddMemberCommand:
    actor_id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    role: OrganizationRole = OrganizationRole.MEMBER


class AddMember:
    """Add the registered, active user with the given email as a member with a role.

    Rules:
    - the policy of OrganizationAccess.check_add_member decides: owners add
      any role, admins add admins and members, members cannot add; a personal
      organization takes no members (ConflictError);
    - access and role are checked before the email is validated or looked
      up, so a caller without the right cannot probe which addresses are
      registered;
    - an unknown or deactivated address gives NotFoundError stating only that
      no such user exists; a user who is already a member gives ConflictError.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: AddMemberCommand) -> Member:
        async with self._uow as uow:
            await uow.organizations.lock(command.organization_id)
            access = await load_access(uow, command.organization_id, command.actor_id)
            access.check_add_member(command.role)

            email_normalized = normalize_email(command.email)
            user = await uow.users.get_by_email(email_normalized)
            if user is None or not user.is_active:
                raise NotFoundError(NO_SUCH_USER)
            if await uow.organizations.get_membership(command.organization_id, user.id):
                raise already_member(command.organization_id, user.id)

            membership = Membership(
                organization_id=command.organization_id,
                user_id=user.id,
                role=command.role,
                created_at=self._clock.now(),
            )
            await uow.organizations.add_membership(membership)
            await uow.commit()

        return Member(
            user_id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=membership.role,
            joined_at=membership.created_at,
        )
