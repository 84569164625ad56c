"""Projects, collaborators and the access policy for everything inside a project."""

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
from promptlab.domain.organizations import OrganizationRole
from promptlab.domain.text import MAX_DESCRIPTION_LENGTH, find_text_errors

MAX_PROJECT_NAME_LENGTH = 200
MAX_PROJECT_DESCRIPTION_LENGTH = MAX_DESCRIPTION_LENGTH


class ProjectRole(enum.StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


def parse_project_role(value: str, *, field: str = "role") -> ProjectRole:
    """Return the role named `value`, or raise ValidationError on `field`."""
    try:
        return ProjectRole(value)
    except ValueError:
        allowed = ", ".join(role.value for role in ProjectRole)
        raise ValidationError(
            FieldError(field, f"must be one of {allowed}, got {value!r}")
        ) from None


_RANK = {ProjectRole.VIEWER: 1, ProjectRole.EDITOR: 2, ProjectRole.ADMIN: 3}


class ProjectAction(enum.StrEnum):
    """What a caller may try to do to a project or anything inside it."""

    VIEW = "view"
    WRITE_CONTENT = "write_content"  # sessions and prompts
    EXECUTE = "execute"
    UPDATE_PROJECT = "update_project"
    ARCHIVE = "archive"
    RESTORE = "restore"
    MANAGE_COLLABORATORS = "manage_collaborators"
    LEAVE = "leave"  # a collaborator removing their own entry


MINIMUM_ROLE: dict[ProjectAction, ProjectRole] = {
    ProjectAction.VIEW: ProjectRole.VIEWER,
    ProjectAction.WRITE_CONTENT: ProjectRole.EDITOR,
    ProjectAction.EXECUTE: ProjectRole.EDITOR,
    ProjectAction.UPDATE_PROJECT: ProjectRole.ADMIN,
    ProjectAction.ARCHIVE: ProjectRole.ADMIN,
    ProjectAction.RESTORE: ProjectRole.ADMIN,
    ProjectAction.MANAGE_COLLABORATORS: ProjectRole.ADMIN,
    ProjectAction.LEAVE: ProjectRole.VIEWER,
}

# Every action except these changes state, so an archived project rejects it.
READ_ONLY_ACTIONS = frozenset({ProjectAction.VIEW})


@attrs.define
class Project:
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    description: str
    is_archived: bool
    archived_at: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    def archive(self, now: datetime) -> None:
        self.is_archived = True
        self.archived_at = now
        self.updated_at = now

    def restore(self, now: datetime) -> None:
        self.is_archived = False
        self.archived_at = None
        self.updated_at = now


@attrs.define
class Collaborator:
    project_id: uuid.UUID
    user_id: uuid.UUID
    role: ProjectRole
    created_at: datetime


def normalize_project_name(name: str) -> str:
    """Return the key under which a name is unique in its organization: the name case-folded.

    Case folding can make a name longer ("ß" becomes "ss"), by at most three
    times, so the stored key has room for that.
    """
    return name.casefold()


def clean_project_name(name: str) -> str:
    """Return `name` without surrounding whitespace, or raise ValidationError on `name`.

    Surrounding whitespace is dropped so that "Demo" and "Demo " cannot be two
    projects that look identical in a list.
    """
    stripped = name.strip()
    errors = find_text_errors(
        stripped, field="name", max_length=MAX_PROJECT_NAME_LENGTH, allow_empty=False
    )
    if errors:
        raise ValidationError(errors)
    return stripped


def check_project_description(description: str) -> str:
    """Return `description` unchanged, or raise ValidationError on `description`."""
    errors = find_text_errors(
        description, field="description", max_length=MAX_PROJECT_DESCRIPTION_LENGTH
    )
    if errors:
        raise ValidationError(errors)
    return description


def project_role_for(role: OrganizationRole) -> ProjectRole:
    """Return the project role an organization role grants on every project of the organization.

    Organization owners and admins act as project admins; members act as editors.
    """
    if role in (OrganizationRole.OWNER, OrganizationRole.ADMIN):
        return ProjectRole.ADMIN
    return ProjectRole.EDITOR


def role_from_organization(role: OrganizationRole | None) -> ProjectRole | None:
    """Return `project_role_for(role)`, or None for a user outside the organization."""
    if role is None:
        return None
    return project_role_for(role)


def effective_role(
    organization_role: OrganizationRole | None, collaborator_role: ProjectRole | None
) -> ProjectRole | None:
    """Return the stronger of the role granted through the organization and as a collaborator."""
    candidates = [
        role
        for role in (role_from_organization(organization_role), collaborator_role)
        if role is not None
    ]
    if not candidates:
        return None
    return max(candidates, key=_RANK.__getitem__)


def role_allows(role: ProjectRole, action: ProjectAction) -> bool:
    return _RANK[role] >= _RANK[MINIMUM_ROLE[action]]


@attrs.frozen
class ProjectAccess:
    """A project as one caller sees it: the project and the caller's effective role."""

    project: Project
    role: ProjectRole

    def require(self, action: ProjectAction) -> None:
        """Raise unless the caller may perform `action` on this project now.

        Order matters: a role too low is reported before the archive state,
        so a viewer learns they lack the role rather than how to restore.
        """
        if not role_allows(self.role, action):
            raise PermissionDeniedError(
                f"Your role on this project is {self.role}; "
                f"this action needs {MINIMUM_ROLE[action]} or higher."
            )
        if (
            self.project.is_archived
            and action not in READ_ONLY_ACTIONS
            and action is not ProjectAction.RESTORE
        ):
            raise ConflictError(
                f"Project {self.project.id} is archived, so it and everything in it is "
                "read-only. A project admin can restore it with "
                f'PATCH /api/projects/{self.project.id}/ and the body {{"is_archived": false}}.'
            )


def project_not_found(project_id: uuid.UUID | str) -> NotFoundError:
    """Return the error for a project that does not exist or that the caller may not see."""
    return NotFoundError(f"Project {project_id} not found.")


def collaborator_not_found(project_id: uuid.UUID, user_id: uuid.UUID | str) -> NotFoundError:
    return NotFoundError(f"User {user_id} is not a collaborator on project {project_id}.")


def project_name_taken(name: str) -> ConflictError:
    return ConflictError(
        f"An active project named {name!r} already exists in this organization. "
        "Choose another name, or archive the other project first."
    )
