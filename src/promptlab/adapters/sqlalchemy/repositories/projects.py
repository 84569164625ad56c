"""SQL repository for projects and collaborators."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    insert,
    select,
    tuple_,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError

from promptlab.adapters.sqlalchemy.prepared import PreparedQuery
from promptlab.adapters.sqlalchemy.repositories.base import (
    SqlRepository,
    check_column_order,
    keyset,
    to_page,
)
from promptlab.adapters.sqlalchemy.tables import collaborators, memberships, projects, users
from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.projects import CollaboratorEntry, ProjectFilter, ProjectGrant
from promptlab.domain.errors import ConflictError
from promptlab.domain.organizations import OrganizationRole
from promptlab.domain.projects import (
    Collaborator,
    Project,
    ProjectRole,
    normalize_project_name,
    project_name_taken,
)

_PROJECT_COLUMNS = check_column_order(
    projects,
    "id",
    "organization_id",
    "name",
    "name_normalized",
    "description",
    "is_archived",
    "archived_at",
    "created_by",
    "created_at",
    "updated_at",
)
_ORGANIZATION_ROLE = len(_PROJECT_COLUMNS)
_COLLABORATOR_ROLE = _ORGANIZATION_ROLE + 1

# Dict lookups: calling the enum costs about ten times as much.
_ORGANIZATION_ROLES = {role.value: role for role in OrganizationRole}
_PROJECT_ROLES = {role.value: role for role in ProjectRole}


def project_from_row(row: Any) -> Project:
    """Map a row that starts with the columns of `projects`, read by position."""
    return Project(
        id=row[0],
        organization_id=row[1],
        name=row[2],
        description=row[4],
        is_archived=row[5],
        archived_at=row[6],
        created_by=row[7],
        created_at=row[8],
        updated_at=row[9],
    )


def _grant_from_row(row: Any) -> ProjectGrant:
    """Map a row of `_with_roles`: the project's columns, then the two roles."""
    organization_role = row[_ORGANIZATION_ROLE]
    collaborator_role = row[_COLLABORATOR_ROLE]
    return ProjectGrant(
        project=project_from_row(row),
        organization_role=_ORGANIZATION_ROLES[organization_role] if organization_role else None,
        collaborator_role=_PROJECT_ROLES[collaborator_role] if collaborator_role else None,
    )


def _collaborator_entry_from_row(row: Any) -> CollaboratorEntry:
    return CollaboratorEntry(
        collaborator=Collaborator(
            project_id=row.project_id,
            user_id=row.user_id,
            role=ProjectRole(row.role),
            created_at=row.created_at,
        ),
        email=row.email,
        full_name=row.full_name,
    )


def _with_roles(user_id: uuid.UUID) -> Select[Any]:
    """Select projects with the user's organization role and collaborator role, each or None."""
    return (
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
    )


def _filter_conditions(filters: ProjectFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [projects.c.is_archived == filters.archived]
    if filters.organization_id is not None:
        conditions.append(projects.c.organization_id == filters.organization_id)
    if filters.search:
        # autoescape makes `%` and `_` in the search text match themselves.
        conditions.append(
            projects.c.name_normalized.contains(
                normalize_project_name(filters.search), autoescape=True
            )
        )
    return conditions


# Built once: every request inside a project runs it, and building it per
# call cost about as much as running it.
_GRANT = PreparedQuery(
    _with_roles(bindparam("grant_user_id")).where(projects.c.id == bindparam("grant_project_id"))
)


class SqlProjectRepository(SqlRepository):
    async def get_grant(self, project_id: uuid.UUID, user_id: uuid.UUID) -> ProjectGrant | None:
        parameters = {"grant_user_id": user_id, "grant_project_id": project_id}
        rows = await self._uow.fetch_all(_GRANT, parameters)
        if not rows:
            return None
        row = rows[0]
        if row[_ORGANIZATION_ROLE] is None and row[_COLLABORATOR_ROLE] is None:
            return None
        return _grant_from_row(row)

    async def list_visible(
        self, user_id: uuid.UUID, filters: ProjectFilter, page: PageRequest
    ) -> Page[ProjectGrant]:
        # The visible ids are collected from the user's own memberships and
        # collaborations (both indexed by user), so the work grows with what
        # the user can see, never with other tenants' projects.
        # NOTE: each page sorts every visible project that matches the filters;
        # a caller who sees hundreds of thousands of projects pays for that sort.
        conditions = _filter_conditions(filters)
        through_membership = (
            select(projects.c.id)
            .join(memberships, memberships.c.organization_id == projects.c.organization_id)
            .where(memberships.c.user_id == user_id, *conditions)
        )
        through_collaboration = (
            select(projects.c.id)
            .join(collaborators, collaborators.c.project_id == projects.c.id)
            .where(collaborators.c.user_id == user_id, *conditions)
        )
        visible = union(through_membership, through_collaboration)

        statement = _with_roles(user_id).where(projects.c.id.in_(visible))
        result = await self._uow.execute(keyset(statement, projects, page))
        items = [_grant_from_row(row) for row in result]
        return to_page(items, page, lambda grant: (grant.project.created_at, grant.project.id))

    async def add(self, project: Project) -> None:
        try:
            await self._uow.execute(
                insert(projects).values(
                    id=project.id,
                    organization_id=project.organization_id,
                    name=project.name,
                    name_normalized=normalize_project_name(project.name),
                    description=project.description,
                    is_archived=project.is_archived,
                    archived_at=project.archived_at,
                    created_by=project.created_by,
                    created_at=project.created_at,
                    updated_at=project.updated_at,
                )
            )
        except IntegrityError as error:
            raise project_name_taken(project.name) from error

    async def update(self, project: Project) -> None:
        try:
            await self._uow.execute(
                update(projects)
                .where(projects.c.id == project.id)
                .values(
                    name=project.name,
                    name_normalized=normalize_project_name(project.name),
                    description=project.description,
                    is_archived=project.is_archived,
                    archived_at=project.archived_at,
                    updated_at=project.updated_at,
                )
            )
        except IntegrityError as error:
            raise project_name_taken(project.name) from error

    async def add_collaborator(self, collaborator: Collaborator) -> None:
        try:
            await self._uow.execute(
                insert(collaborators).values(
                    project_id=collaborator.project_id,
                    user_id=collaborator.user_id,
                    role=collaborator.role.value,
                    created_at=collaborator.created_at,
                )
            )
        except IntegrityError as error:
            raise ConflictError(
                f"User {collaborator.user_id} is already a collaborator on project "
                f"{collaborator.project_id}. Change their role with PATCH instead."
            ) from error

    async def get_collaborator(
        self, project_id: uuid.UUID, user_id: uuid.UUID
    ) -> CollaboratorEntry | None:
        statement = _collaborators_with_users().where(
            collaborators.c.project_id == project_id, collaborators.c.user_id == user_id
        )
        row = (await self._uow.execute(statement)).first()
        return _collaborator_entry_from_row(row) if row else None

    async def update_collaborator(self, collaborator: Collaborator) -> None:
        await self._uow.execute(
            update(collaborators)
            .where(
                collaborators.c.project_id == collaborator.project_id,
                collaborators.c.user_id == collaborator.user_id,
            )
            .values(role=collaborator.role.value)
        )

    async def remove_collaborator(self, project_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        result = await self._uow.execute(
            delete(collaborators).where(
                collaborators.c.project_id == project_id, collaborators.c.user_id == user_id
            )
        )
        return result.rowcount == 1

    async def list_collaborators(
        self, project_id: uuid.UUID, page: PageRequest
    ) -> Page[CollaboratorEntry]:
        # Collaborators have no id of their own: (created_at, user_id) orders
        # them within a project, served by the (project_id, created_at, user_id) index.
        statement = _collaborators_with_users().where(collaborators.c.project_id == project_id)
        if page.after is not None:
            statement = statement.where(
                tuple_(collaborators.c.created_at, collaborators.c.user_id)
                < tuple_(page.after.created_at, page.after.id)
            )
        statement = statement.order_by(
            collaborators.c.created_at.desc(), collaborators.c.user_id.desc()
        ).limit(page.limit + 1)
        result = await self._uow.execute(statement)
        items = [_collaborator_entry_from_row(row) for row in result]
        return to_page(
            items,
            page,
            lambda entry: (entry.collaborator.created_at, entry.collaborator.user_id),
        )


def _collaborators_with_users() -> Select[Any]:
    return select(collaborators, users.c.email, users.c.full_name).join(
        users, users.c.id == collaborators.c.user_id
    )
