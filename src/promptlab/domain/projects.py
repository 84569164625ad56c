"""Projects, collaborators and the access policy for everything inside a project."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import attrs

from promptlab.domain.errors import ConflictError, NotFoundError, PermissionDeniedError
from promptlab.domain.organizations import OrganizationRole


class ProjectRole(enum.StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


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


MINIMUM_ROLE: dict[ProjectAction, ProjectRole] = {
    ProjectAction.VIEW: ProjectRole.VIEWER,
    ProjectAction.WRITE_CONTENT: ProjectRole.EDITOR,
    ProjectAction.EXECUTE: ProjectRole.EDITOR,
    ProjectAction.UPDATE_PROJECT: ProjectRole.ADMIN,
    ProjectAction.ARCHIVE: ProjectRole.ADMIN,
    ProjectAction.RESTORE: ProjectRole.ADMIN,
    ProjectAction.MANAGE_COLLABORATORS: ProjectRole.ADMIN,
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


@attrs.define
class Collaborator:
    project_id: uuid.UUID
    user_id: uuid.UUID
    role: ProjectRole
    created_at: datetime


def role_from_organization(role: OrganizationRole | None) -> ProjectRole | None:
    """Organization owners and admins act as project admins; members act as editors."""
    if role is None:
        return None
    if role in (OrganizationRole.OWNER, OrganizationRole.ADMIN):
        return ProjectRole.ADMIN
    return ProjectRole.EDITOR


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
