"""In-memory repository for projects and collaborators."""

from __future__ import annotations

import copy
import uuid

from promptlab.adapters.memory.accounts import USERS
from promptlab.adapters.memory.organizations import MEMBERSHIPS
from promptlab.adapters.memory.store import InMemoryRepository, paginate
from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.projects import CollaboratorEntry, ProjectFilter, ProjectGrant
from promptlab.domain.errors import ConflictError
from promptlab.domain.projects import (
    Collaborator,
    Project,
    normalize_project_name,
    project_name_taken,
)

PROJECTS = "projects"
COLLABORATORS = "collaborators"


class InMemoryProjectRepository(InMemoryRepository):
    async def get_grant(self, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectGrant | None:
        project = (await self._table(PROJECTS)).get(project_id)
        if project is None:
            return None
        grant = await self._grant(project, user_id)
        if grant.organization_role is None and grant.collaborator_role is None:
            return None
        return grant

    async def list_visible(
        self, user_id: uuid.UUID, filters: ProjectFilter, page: PageRequest
    ) -> Page[ProjectGrant]:
        search = normalize_project_name(filters.search) if filters.search else None
        grants = []
        for project in (await self._table(PROJECTS)).values():
            if project.is_archived != filters.archived:
                continue
            wanted_organization = filters.organization_id
            if wanted_organization is not None and project.organization_id != wanted_organization:
                continue
            if search is not None and search not in normalize_project_name(project.name):
                continue
            grant = await self._grant(project, user_id)
            if grant.organization_role is not None or grant.collaborator_role is not None:
                grants.append(grant)
        return paginate(grants, page, lambda grant: (grant.project.created_at, grant.project.id))

    async def add(self, project: Project) -> None:
        table = await self._table(PROJECTS)
        if project.id in table:
            raise ValueError(f"a project with id {project.id} already exists")
        if self._name_in_use(table, project):
            raise project_name_taken(project.name)
        table[project.id] = copy.copy(project)

    async def update(self, project: Project) -> None:
        table = await self._table(PROJECTS)
        if project.id not in table:
            return
        if self._name_in_use(table, project):
            raise project_name_taken(project.name)
        stored = table[project.id]
        stored.name = project.name
        stored.description = project.description
        stored.is_archived = project.is_archived
        stored.archived_at = project.archived_at
        stored.updated_at = project.updated_at

    async def add_collaborator(self, collaborator: Collaborator) -> None:
        table = await self._table(COLLABORATORS)
        key = (collaborator.project_id, collaborator.user_id)
        if key in table:
            raise ConflictError(
                f"User {collaborator.user_id} is already a collaborator on project "
                f"{collaborator.project_id}. Change their role with PATCH instead."
            )
        if collaborator.project_id not in await self._table(PROJECTS):
            raise ValueError(f"project {collaborator.project_id} does not exist")
        if collaborator.user_id not in await self._table(USERS):
            raise ValueError(f"user {collaborator.user_id} does not exist")
        table[key] = copy.copy(collaborator)

    async def get_collaborator(
        self, project_id: uuid.UUID, user_id: uuid.UUID
    ) -> CollaboratorEntry | None:
        collaborator = (await self._table(COLLABORATORS)).get((project_id, user_id))
        if collaborator is None:
            return None
        return await self._entry(collaborator)

    async def update_collaborator(self, collaborator: Collaborator) -> None:
        key = (collaborator.project_id, collaborator.user_id)
        stored = (await self._table(COLLABORATORS)).get(key)
        if stored is not None:
            stored.role = collaborator.role

    async def remove_collaborator(self, project_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        removed = (await self._table(COLLABORATORS)).pop((project_id, user_id), None)
        return removed is not None

    async def list_collaborators(
        self, project_id: uuid.UUID, page: PageRequest
    ) -> Page[CollaboratorEntry]:
        entries = [
            await self._entry(collaborator)
            for collaborator in (await self._table(COLLABORATORS)).values()
            if collaborator.project_id == project_id
        ]
        return paginate(
            entries,
            page,
            lambda entry: (entry.collaborator.created_at, entry.collaborator.user_id),
        )

    async def _grant(self, project: Project, user_id: uuid.UUID) -> ProjectGrant:
        membership = (await self._table(MEMBERSHIPS)).get((project.organization_id, user_id))
        collaborator = (await self._table(COLLABORATORS)).get((project.id, user_id))
        return ProjectGrant(
            project=copy.copy(project),
            organization_role=membership.role if membership else None,
            collaborator_role=collaborator.role if collaborator else None,
        )

    async def _entry(self, collaborator: Collaborator) -> CollaboratorEntry:
        user = (await self._table(USERS))[collaborator.user_id]
        return CollaboratorEntry(
            collaborator=copy.copy(collaborator), email=user.email, full_name=user.full_name
        )

    @staticmethod
    def _name_in_use(table: dict[uuid.UUID, Project], project: Project) -> bool:
        # Mirrors the partial unique index: only active projects hold their name.
        if project.is_archived:
            return False
        key = normalize_project_name(project.name)
        return any(
            other.id != project.id
            and not other.is_archived
            and other.organization_id == project.organization_id
            and normalize_project_name(other.name) == key
            for other in table.values()
        )
