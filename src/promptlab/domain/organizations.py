"""Organizations, memberships, organization roles and the policy for managing them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import attrs

from promptlab.domain.errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from promptlab.domain.text import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, find_text_errors


class OrganizationRole(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


@attrs.define
class Organization:
    """A tenant. A personal organization is created with each user and has exactly one member."""

    id: uuid.UUID
    name: str
    description: str
    is_personal: bool
    created_at: datetime
    updated_at: datetime


@attrs.define
class Membership:
    organization_id: uuid.UUID
    user_id: uuid.UUID
    role: OrganizationRole
    created_at: datetime


@attrs.frozen
class Member:
    """A membership together with the member's public profile, as member lists show it."""

    user_id: uuid.UUID
    email: str
    full_name: str
    role: OrganizationRole
    joined_at: datetime


class OrganizationAction(enum.StrEnum):
    """Actions on an organization that depend only on the caller's role."""

    VIEW = "view"
    VIEW_MEMBERS = "view_members"
    UPDATE = "update"


_ALLOWED_ROLES: dict[OrganizationAction, frozenset[OrganizationRole]] = {
    OrganizationAction.VIEW: frozenset(OrganizationRole),
    OrganizationAction.VIEW_MEMBERS: frozenset(OrganizationRole),
    OrganizationAction.UPDATE: frozenset({OrganizationRole.OWNER, OrganizationRole.ADMIN}),
}

_MANAGERS = frozenset({OrganizationRole.OWNER, OrganizationRole.ADMIN})


@attrs.frozen
class OrganizationAccess:
    """An organization as one member sees it, and every rule for what that member may do.

    Rules:
    - owners may do everything, except leave the organization without an owner;
    - admins may update the organization and add, change and remove admins and
      members, but may not add owners, promote anyone to owner, or demote or
      remove an owner;
    - members may view the organization and its members, and remove themselves;
    - the last owner cannot be removed or demoted;
    - a personal organization has exactly one member, its owner.

    A role too low for the action is reported (PermissionDeniedError) before a
    conflict with the current state (ConflictError), so a caller first learns
    that the action is not theirs to take.
    """

    organization: Organization
    user_id: uuid.UUID
    role: OrganizationRole

    def require(self, action: OrganizationAction) -> None:
        """Raise PermissionDeniedError unless the caller's role allows `action`."""
        allowed = _ALLOWED_ROLES[action]
        if self.role not in allowed:
            needed = " or ".join(sorted(role.value for role in allowed))
            raise PermissionDeniedError(
                f"Your role in this organization is {self.role}; this action needs {needed}."
            )

    def check_add_member(self, role: OrganizationRole) -> None:
        """Raise unless the caller may add a new member with `role`."""
        self._require_manager("add members")
        if self.role is OrganizationRole.ADMIN and role is OrganizationRole.OWNER:
            raise PermissionDeniedError(
                "Admins cannot add owners. Add the user as an admin or member, "
                "and ask an owner to promote them."
            )
        if self.organization.is_personal:
            raise personal_organization_conflict(self.organization.id)

    def check_change_role(
        self, target: Membership, new_role: OrganizationRole, owner_count: int
    ) -> None:
        """Raise unless the caller may give `target` the role `new_role`.

        `owner_count` is the number of owners now, the target included if it is one.
        """
        self._require_manager("change roles")
        if self.role is OrganizationRole.ADMIN:
            if target.role is OrganizationRole.OWNER:
                raise PermissionDeniedError(
                    "Admins cannot change the role of an owner; ask an owner to do it."
                )
            if new_role is OrganizationRole.OWNER:
                raise PermissionDeniedError(
                    "Admins cannot promote anyone to owner; ask an owner to do it."
                )

        demotes_owner = target.role is OrganizationRole.OWNER and new_role is not target.role
        if demotes_owner:
            self._check_owner_leaves(target, owner_count, "demoted")

    def check_remove_member(self, target: Membership, owner_count: int) -> None:
        """Raise unless the caller may remove `target`, which may be the caller (leaving).

        `owner_count` is the number of owners now, the target included if it is one.
        """
        leaving = target.user_id == self.user_id
        if not leaving:
            self._require_manager("remove other members")
            if self.role is OrganizationRole.ADMIN and target.role is OrganizationRole.OWNER:
                raise PermissionDeniedError("Admins cannot remove an owner; ask an owner to do it.")

        if target.role is OrganizationRole.OWNER:
            self._check_owner_leaves(target, owner_count, "removed")
        elif self.organization.is_personal:
            raise personal_organization_conflict(self.organization.id)

    def _require_manager(self, action: str) -> None:
        if self.role not in _MANAGERS:
            raise PermissionDeniedError(
                f"Your role in this organization is {self.role}; only owners and admins "
                f"can {action}."
            )

    def _check_owner_leaves(self, target: Membership, owner_count: int, verb: str) -> None:
        if self.organization.is_personal:
            raise personal_organization_conflict(self.organization.id)
        if owner_count <= 1:
            raise ConflictError(
                f"User {target.user_id} is the last owner of organization "
                f"{self.organization.id} and cannot be {verb}, because an organization always "
                "keeps at least one owner. Promote another member to owner first with "
                f"PATCH /api/organizations/{self.organization.id}/members/{{user_id}}/ and "
                '{"role": "owner"}.'
            )


def personal_organization_conflict(organization_id: uuid.UUID) -> ConflictError:
    return ConflictError(
        f"Organization {organization_id} is a personal organization, which always has exactly "
        "one member, its owner. To work with others, create a team organization with "
        "POST /api/organizations/ and add members there."
    )


def organization_not_found(organization_id: uuid.UUID | str) -> NotFoundError:
    """Return the error for an organization that does not exist or that the caller may not see."""
    return NotFoundError(f"Organization {organization_id} not found.")


def member_not_found(organization_id: uuid.UUID, user_id: uuid.UUID | str) -> NotFoundError:
    return NotFoundError(f"User {user_id} is not a member of organization {organization_id}.")


def already_member(organization_id: uuid.UUID, user_id: uuid.UUID) -> ConflictError:
    return ConflictError(
        f"User {user_id} is already a member of organization {organization_id}. "
        f"Change their role with PATCH /api/organizations/{organization_id}/members/{user_id}/ "
        "instead."
    )


def find_organization_errors(
    *,
    name: str | None = None,
    description: str | None = None,
    max_name_length: int = MAX_NAME_LENGTH,
    max_description_length: int = MAX_DESCRIPTION_LENGTH,
) -> list[FieldError]:
    """Return the errors of the given fields; a field passed as None is not checked.

    A name has 1 to `max_name_length` characters and is not only whitespace; a
    description may be empty and has at most `max_description_length`. Both
    follow the text rules of `promptlab.domain.text` (no NUL, no lone surrogate).
    """
    errors: list[FieldError] = []
    if name is not None:
        errors.extend(
            find_text_errors(name, field="name", max_length=max_name_length, allow_empty=False)
        )
    if description is not None:
        errors.extend(
            find_text_errors(description, field="description", max_length=max_description_length)
        )
    return errors


def check_organization_fields(
    *,
    name: str | None = None,
    description: str | None = None,
    max_name_length: int = MAX_NAME_LENGTH,
    max_description_length: int = MAX_DESCRIPTION_LENGTH,
) -> None:
    """Raise ValidationError with every error `find_organization_errors` returns."""
    errors = find_organization_errors(
        name=name,
        description=description,
        max_name_length=max_name_length,
        max_description_length=max_description_length,
    )
    if errors:
        raise ValidationError(errors)
