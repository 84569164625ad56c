"""The organization policy as a table: every role, action and state, without HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from promptlab.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from promptlab.domain.organizations import (
    Membership,
    Organization,
    OrganizationAccess,
    OrganizationAction,
    OrganizationRole,
    check_organization_fields,
    find_organization_errors,
)

OWNER = OrganizationRole.OWNER
ADMIN = OrganizationRole.ADMIN
MEMBER = OrganizationRole.MEMBER
NOW = datetime(2025, 1, 1, tzinfo=UTC)
ACTOR_ID = uuid.UUID(int=1)
OTHER_ID = uuid.UUID(int=2)

ALLOWED = "allowed"
FORBIDDEN = "forbidden"  # PermissionDeniedError, 403 over HTTP
CONFLICT = "conflict"  # ConflictError, 409 over HTTP
OUTCOMES = {PermissionDeniedError: FORBIDDEN, ConflictError: CONFLICT}


def access(role: OrganizationRole, *, personal: bool = False) -> OrganizationAccess:
    organization = Organization(
        id=uuid.UUID(int=100),
        name="Team",
        description="",
        is_personal=personal,
        created_at=NOW,
        updated_at=NOW,
    )
    return OrganizationAccess(organization=organization, user_id=ACTOR_ID, role=role)


def membership(user_id: uuid.UUID, role: OrganizationRole) -> Membership:
    return Membership(
        organization_id=uuid.UUID(int=100), user_id=user_id, role=role, created_at=NOW
    )


def outcome(check) -> str:  # type: ignore[no-untyped-def]
    try:
        check()
    except (PermissionDeniedError, ConflictError) as error:
        return OUTCOMES[type(error)]
    return ALLOWED


# (caller role, action, expected)
ROLE_ACTIONS = [
    (OWNER, OrganizationAction.VIEW, ALLOWED),
    (OWNER, OrganizationAction.VIEW_MEMBERS, ALLOWED),
    (OWNER, OrganizationAction.UPDATE, ALLOWED),
    (ADMIN, OrganizationAction.VIEW, ALLOWED),
    (ADMIN, OrganizationAction.VIEW_MEMBERS, ALLOWED),
    (ADMIN, OrganizationAction.UPDATE, ALLOWED),
    (MEMBER, OrganizationAction.VIEW, ALLOWED),
    (MEMBER, OrganizationAction.VIEW_MEMBERS, ALLOWED),
    (MEMBER, OrganizationAction.UPDATE, FORBIDDEN),
]


@pytest.mark.parametrize(("role", "action", "expected"), ROLE_ACTIONS)
def test_role_actions(role: OrganizationRole, action: OrganizationAction, expected: str) -> None:
    assert outcome(lambda: access(role).require(action)) == expected


# (caller role, personal organization, role to add, expected)
ADDITIONS = [
    (OWNER, False, OWNER, ALLOWED),
    (OWNER, False, ADMIN, ALLOWED),
    (OWNER, False, MEMBER, ALLOWED),
    (ADMIN, False, OWNER, FORBIDDEN),
    (ADMIN, False, ADMIN, ALLOWED),
    (ADMIN, False, MEMBER, ALLOWED),
    (MEMBER, False, OWNER, FORBIDDEN),
    (MEMBER, False, ADMIN, FORBIDDEN),
    (MEMBER, False, MEMBER, FORBIDDEN),
    (OWNER, True, MEMBER, CONFLICT),
    (OWNER, True, ADMIN, CONFLICT),
    (OWNER, True, OWNER, CONFLICT),
]


@pytest.mark.parametrize(("role", "personal", "new_role", "expected"), ADDITIONS)
def test_add_member(
    role: OrganizationRole, personal: bool, new_role: OrganizationRole, expected: str
) -> None:
    caller = access(role, personal=personal)
    assert outcome(lambda: caller.check_add_member(new_role)) == expected


# (caller role, target is the caller, target's role, new role, owners now, personal, expected)
ROLE_CHANGES = [
    # Owners change any role while another owner remains.
    (OWNER, False, OWNER, ADMIN, 2, False, ALLOWED),
    (OWNER, False, OWNER, MEMBER, 2, False, ALLOWED),
    (OWNER, False, ADMIN, OWNER, 1, False, ALLOWED),
    (OWNER, False, ADMIN, MEMBER, 1, False, ALLOWED),
    (OWNER, False, MEMBER, OWNER, 1, False, ALLOWED),
    (OWNER, False, MEMBER, ADMIN, 1, False, ALLOWED),
    (OWNER, True, OWNER, ADMIN, 2, False, ALLOWED),
    # The last owner cannot be demoted, not even by themselves.
    (OWNER, True, OWNER, ADMIN, 1, False, CONFLICT),
    (OWNER, True, OWNER, MEMBER, 1, False, CONFLICT),
    # Keeping the last owner an owner changes nothing, so it is allowed.
    (OWNER, True, OWNER, OWNER, 1, False, ALLOWED),
    # Admins manage admins and members, never owners.
    (ADMIN, False, MEMBER, ADMIN, 1, False, ALLOWED),
    (ADMIN, False, ADMIN, MEMBER, 1, False, ALLOWED),
    (ADMIN, True, ADMIN, MEMBER, 1, False, ALLOWED),
    (ADMIN, False, MEMBER, OWNER, 1, False, FORBIDDEN),
    (ADMIN, False, ADMIN, OWNER, 1, False, FORBIDDEN),
    (ADMIN, True, ADMIN, OWNER, 1, False, FORBIDDEN),
    (ADMIN, False, OWNER, ADMIN, 2, False, FORBIDDEN),
    (ADMIN, False, OWNER, MEMBER, 2, False, FORBIDDEN),
    # Admins get 403 rather than 409 on the last owner: the role is reported first.
    (ADMIN, False, OWNER, MEMBER, 1, False, FORBIDDEN),
    # Members change no role, their own included.
    (MEMBER, False, MEMBER, ADMIN, 1, False, FORBIDDEN),
    (MEMBER, False, ADMIN, MEMBER, 1, False, FORBIDDEN),
    (MEMBER, True, MEMBER, ADMIN, 1, False, FORBIDDEN),
    (MEMBER, True, MEMBER, OWNER, 1, False, FORBIDDEN),
    # A personal organization keeps its one owner.
    (OWNER, True, OWNER, ADMIN, 1, True, CONFLICT),
    (OWNER, True, OWNER, MEMBER, 1, True, CONFLICT),
]


@pytest.mark.parametrize(
    ("role", "is_self", "target_role", "new_role", "owners", "personal", "expected"),
    ROLE_CHANGES,
)
def test_change_role(
    role: OrganizationRole,
    is_self: bool,
    target_role: OrganizationRole,
    new_role: OrganizationRole,
    owners: int,
    personal: bool,
    expected: str,
) -> None:
    caller = access(role, personal=personal)
    target = membership(ACTOR_ID if is_self else OTHER_ID, target_role)
    assert outcome(lambda: caller.check_change_role(target, new_role, owners)) == expected


# (caller role, target is the caller, target's role, owners now, personal, expected)
REMOVALS = [
    (OWNER, False, OWNER, 2, False, ALLOWED),
    (OWNER, False, ADMIN, 1, False, ALLOWED),
    (OWNER, False, MEMBER, 1, False, ALLOWED),
    (OWNER, True, OWNER, 2, False, ALLOWED),
    (OWNER, True, OWNER, 1, False, CONFLICT),
    (ADMIN, False, OWNER, 2, False, FORBIDDEN),
    (ADMIN, False, OWNER, 1, False, FORBIDDEN),
    (ADMIN, False, ADMIN, 1, False, ALLOWED),
    (ADMIN, False, MEMBER, 1, False, ALLOWED),
    (ADMIN, True, ADMIN, 1, False, ALLOWED),
    (MEMBER, False, OWNER, 1, False, FORBIDDEN),
    (MEMBER, False, ADMIN, 1, False, FORBIDDEN),
    (MEMBER, False, MEMBER, 1, False, FORBIDDEN),
    (MEMBER, True, MEMBER, 1, False, ALLOWED),
    (OWNER, True, OWNER, 1, True, CONFLICT),
]


@pytest.mark.parametrize(
    ("role", "is_self", "target_role", "owners", "personal", "expected"), REMOVALS
)
def test_remove_member(
    role: OrganizationRole,
    is_self: bool,
    target_role: OrganizationRole,
    owners: int,
    personal: bool,
    expected: str,
) -> None:
    caller = access(role, personal=personal)
    target = membership(ACTOR_ID if is_self else OTHER_ID, target_role)
    assert outcome(lambda: caller.check_remove_member(target, owners)) == expected


def test_last_owner_message_says_promote_first() -> None:
    caller = access(OWNER)

    with pytest.raises(ConflictError) as raised:
        caller.check_remove_member(membership(ACTOR_ID, OWNER), owner_count=1)

    assert "last owner" in raised.value.message
    assert "Promote another member to owner first" in raised.value.message


def test_personal_organization_message_says_create_team() -> None:
    caller = access(OWNER, personal=True)

    with pytest.raises(ConflictError) as raised:
        caller.check_add_member(MEMBER)

    assert "personal organization" in raised.value.message
    assert "create a team organization" in raised.value.message


def test_forbidden_message_names_role() -> None:
    with pytest.raises(PermissionDeniedError) as raised:
        access(MEMBER).require(OrganizationAction.UPDATE)

    assert "member" in raised.value.message
    assert "admin or owner" in raised.value.message


@pytest.mark.parametrize(
    ("name", "description", "fields"),
    [
        ("Team", "", []),
        ("T", "x" * 5_000, []),
        ("n" * 200, "", []),
        ("", "", ["name"]),
        (" \t\n", "", ["name"]),
        ("n" * 201, "", ["name"]),
        ("Te\x00am", "", ["name"]),
        ("Team\ud800", "", ["name"]),
        ("Team", "x" * 5_001, ["description"]),
        ("Team", "bad\x00", ["description"]),
        ("", "\udfff", ["description", "name"]),
    ],
)
def test_organization_fields(name: str, description: str, fields: list[str]) -> None:
    errors = find_organization_errors(name=name, description=description)

    assert sorted({error.field for error in errors}) == fields


def test_organization_fields_raise_every_error() -> None:
    with pytest.raises(ValidationError) as raised:
        check_organization_fields(name="", description="x" * 5_001)

    assert [error.field for error in raised.value.errors] == ["name", "description"]


def test_organization_fields_skip_missing() -> None:
    assert find_organization_errors(name=None, description=None) == []
