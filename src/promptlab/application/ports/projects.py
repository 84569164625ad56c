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


@attrs.frozen
class ProjectFilter:
    """Conditions of a project list. `search` is matched against case-folded names."""

    organization_id: uuid.UUID | None = None
    archived: bool = False
    search: str | None = None


@attrs.frozen
class CollaboratorEntry:
    """A collaborator with the user's email and full name, as a list shows them."""

    collaborator: Collaborator
    email: str
    full_name: str


class ProjectRepository(Protocol):
    async def get_grant(self, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectGrant | None:
        """Return the project with the user's roles in one query.

        Returns None when the project does not exist or the user has neither an
        organization membership nor a collaboration that reaches it.
        """
        ...

    async def list_visible(
        self, user_id: uuid.UUID, filters: ProjectFilter, page: PageRequest
    ) -> Page[ProjectGrant]:
        """Return one page of the projects the user can see, newest first, with the user's roles.

        Visibility is part of the query: projects of organizations the user
        belongs to, plus projects the user collaborates on.
        """
        ...

    async def add(self, project: Project) -> None:
        """Insert a project. Raises ConflictError when an active project of the
        organization already has the name."""
        ...

    async def update(self, project: Project) -> None:
        """Save changed fields. Raises ConflictError on a name clash."""
        ...

    async def add_collaborator(self, collaborator: Collaborator) -> None:
        """Insert a collaborator. Raises ConflictError when the user already is one."""
        ...

    async def get_collaborator(
        self, project_id: uuid.UUID, user_id: uuid.UUID
    ) -> CollaboratorEntry | None: ...

    async def update_collaborator(self, collaborator: Collaborator) -> None:
        """Save the collaborator's role."""
        ...

    async def remove_collaborator(self, project_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """Delete the collaborator. Returns whether a row was deleted."""
        ...

    async def list_collaborators(
        self, project_id: uuid.UUID, page: PageRequest
    ) -> Page[CollaboratorEntry]:
        """Return one page of the project's collaborators, most recently added first."""
        ...
