"""The project access policy as a table: every role, every action, archived and not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from promptlab.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from promptlab.domain.organizations import OrganizationRole
from promptlab.domain.projects import (
    Project,
    ProjectAccess,
    ProjectAction,
    ProjectRole,
    clean_project_name,
    effective_role,
    normalize_project_name,
    parse_project_role,
)

VIEWER, EDITOR, ADMIN = ProjectRole.VIEWER, ProjectRole.EDITOR, ProjectRole.ADMIN
A = ProjectAction

# Written out by hand rather than derived from the policy, so the test can disagree with it.
ALLOWED: dict[ProjectRole, set[ProjectAction]] = {
    VIEWER: {A.VIEW, A.LEAVE},
    EDITOR: {A.VIEW, A.LEAVE, A.WRITE_CONTENT, A.EXECUTE},
    ADMIN: set(ProjectAction),
}
# Actions that still succeed on an archived project.
ALLOWED_WHEN_ARCHIVED = {A.VIEW, A.RESTORE}


def make_project(*, archived: bool) -> Project:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    return Project(
        id=uuid.uuid4(),
        organization_id=uuid.uuid4(),
        name="Demo",
        description="",
        is_archived=archived,
        archived_at=now if archived else None,
        created_by=None,
        created_at=now,
        updated_at=now,
    )


CASES = [
    (role, action, archived)
    for role in ProjectRole
    for action in ProjectAction
    for archived in (False, True)
]


@pytest.mark.parametrize(("role", "action", "archived"), CASES)
def test_policy_table(role: ProjectRole, action: ProjectAction, archived: bool) -> None:
    access = ProjectAccess(project=make_project(archived=archived), role=role)

    if action not in ALLOWED[role]:
        with pytest.raises(PermissionDeniedError) as denied:
            access.require(action)
        assert str(role) in denied.value.message
    elif archived and action not in ALLOWED_WHEN_ARCHIVED:
        with pytest.raises(ConflictError) as conflict:
            access.require(action)
        assert "archived" in conflict.value.message
        assert '{"is_archived": false}' in conflict.value.message
    else:
        access.require(action)


def test_every_action_has_a_row() -> None:
    covered = {action for _, action, _ in CASES}
    assert covered == set(ProjectAction)


ROLE_CASES = [
    (None, None, None),
    (OrganizationRole.OWNER, None, ADMIN),
    (OrganizationRole.ADMIN, None, ADMIN),
    (OrganizationRole.MEMBER, None, EDITOR),
    (None, VIEWER, VIEWER),
    (None, EDITOR, EDITOR),
    (None, ADMIN, ADMIN),
    (OrganizationRole.MEMBER, VIEWER, EDITOR),
    (OrganizationRole.MEMBER, ADMIN, ADMIN),
    (OrganizationRole.OWNER, VIEWER, ADMIN),
    (OrganizationRole.ADMIN, EDITOR, ADMIN),
]


@pytest.mark.parametrize(("organization_role", "collaborator_role", "expected"), ROLE_CASES)
def test_effective_role_is_stronger(
    organization_role: OrganizationRole | None,
    collaborator_role: ProjectRole | None,
    expected: ProjectRole | None,
) -> None:
    assert effective_role(organization_role, collaborator_role) == expected


def test_names_compare_case_folded() -> None:
    assert normalize_project_name("Straße") == normalize_project_name("STRASSE")
    assert len(normalize_project_name("ß" * 200)) <= 600


def test_clean_name_trims_and_rejects_blank() -> None:
    assert clean_project_name("  Demo \n") == "Demo"
    with pytest.raises(ValidationError) as blank:
        clean_project_name("   ")
    assert blank.value.errors[0].field == "name"
    with pytest.raises(ValidationError) as long:
        clean_project_name("x" * 201)
    assert long.value.errors[0].field == "name"


def test_parse_role_names_allowed_values() -> None:
    assert parse_project_role("editor") is EDITOR
    with pytest.raises(ValidationError) as invalid:
        parse_project_role("owner")
    assert invalid.value.errors[0].field == "role"
    assert "viewer, editor, admin" in invalid.value.errors[0].message
