"""SQL repository for projects and collaborators."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from promptlab.adapters.sqlalchemy.repositories.base import SqlRepository
from promptlab.adapters.sqlalchemy.tables import collaborators, memberships, projects
from promptlab.application.ports.projects import ProjectGrant
from promptlab.domain.errors import ConflictError
from promptlab.domain.organizations import OrganizationRole
from promptlab.domain.projects import Project, ProjectRole


def project_from_row(row: Any) -> Project:
    return Project(
        id=row.id,
        organization_id=row.organization_id,
        name=row.name,
        description=row.description,
        is_archived=row.is_archived,
        archived_at=row.archived_at,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def name_taken(name: str) -> ConflictError:
    return ConflictError(
        f"An active project named {name!r} already exists in this organization. "
        "Choose another name, or archive the other project first."
    )


class SqlProjectRepository(SqlRepository):
    async def get_grant(self, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectGrant | None:
        statement = (
            select(
                projects,
                memberships.c.role.label("organization_role"),
                collaborators.c.role.label("collaborator_role"),
            )
            .outerjoin(
                memberships,
                and_(
                    memberships.c.organization_id == projects.c.organization_id,
                    memberships.c.user_id == user_id,
                ),
            )
            .outerjoin(
                collaborators,
                and_(
                    collaborators.c.project_id == projects.c.id,
                    collaborators.c.user_id == user_id,
                ),
            )
            .where(projects.c.id == project_id)
        )
        row = (await self._uow.execute(statement)).first()
        if row is None or (row.organization_role is None and row.collaborator_role is None):
            return None
        return ProjectGrant(
            project=project_from_row(row),
            organization_role=(
                OrganizationRole(row.organization_role) if row.organization_role else None
            ),
            collaborator_role=(
                ProjectRole(row.collaborator_role) if row.collaborator_role else None
            ),
        )

    async def add(self, project: Project) -> None:
        try:
            await self._uow.execute(
                insert(projects).values(
                    id=project.id,
                    organization_id=project.organization_id,
                    name=project.name,
                    name_normalized=project.name.lower(),
                    description=project.description,
                    is_archived=project.is_archived,
                    archived_at=project.archived_at,
                    created_by=project.created_by,
                    created_at=project.created_at,
                    updated_at=project.updated_at,
                )
            )
        except IntegrityError as error:
            raise name_taken(project.name) from error

    async def update(self, project: Project) -> None:
        try:
            await self._uow.execute(
                update(projects)
                .where(projects.c.id == project.id)
                .values(
                    name=project.name,
                    name_normalized=project.name.lower(),
                    description=project.description,
                    is_archived=project.is_archived,
                    archived_at=project.archived_at,
                    updated_at=project.updated_at,
                )
            )
        except IntegrityError as error:
            raise name_taken(project.name) from error
