"""Repository for projects and collaborators, with visibility decided in the query."""

from __future__ import annotations

import uuid
from typing import Protocol

import attrs

from promptlab.application.pagination import Page, PageRequest
from promptlab.domain.organizations import OrganizationRole
from promptlab.domain.projects import Collaborator, Project, ProjectRole


@attrs.frozen
class ProjectGrant:
    """A project and the roles through which one user reaches it (either may be None)."""

    project: Project
    organization_role: OrganizationRole | None
    collaborator_role: ProjectRole | None


class ProjectRepository(Protocol):
    async def get_grant(self, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectGrant | None:
        """Return the project with the user's roles in one query.

        Returns None when the project does not exist or the user has neither an
        organization membership nor a collaboration that reaches it.
        """
        ...

    async def add(self, project: Project) -> None:
        """Insert a project. Raises ConflictError when an active project of the
        organization already has the name."""
        ...

    async def update(self, project: Project) -> None:
        """Save changed fields. Raises ConflictError on a name clash."""
        ...
