"""Project and collaborator endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from promptlab.application.projects.add_collaborator import (
    AddCollaborator,
    AddCollaboratorCommand,
)
from promptlab.application.projects.archive_project import (
    ArchiveProject,
    ArchiveProjectCommand,
)
from promptlab.application.projects.create_project import CreateProject, CreateProjectCommand
from promptlab.application.projects.get_project import GetProject, GetProjectCommand
from promptlab.application.projects.list_collaborators import (
    ListCollaborators,
    ListCollaboratorsCommand,
)
from promptlab.application.projects.list_projects import ListProjects, ListProjectsCommand
from promptlab.application.projects.remove_collaborator import (
    RemoveCollaborator,
    RemoveCollaboratorCommand,
)
from promptlab.application.projects.update_collaborator import (
    UpdateCollaborator,
    UpdateCollaboratorCommand,
)
from promptlab.application.projects.update_project import UpdateProject, UpdateProjectCommand
from promptlab.entrypoints.http.dependencies import (
    CurrentUser,
    PageCursor,
    PageLimit,
    requested_page,
    use_case,
)
from promptlab.entrypoints.http.schemas.common import PageOut, page_out
from promptlab.entrypoints.http.schemas.projects import (
    CollaboratorCreateIn,
    CollaboratorOut,
    CollaboratorUpdateIn,
    ProjectCreateIn,
    ProjectOut,
    ProjectUpdateIn,
    collaborator_out,
    project_out,
    unset_to_none,
)

PROJECT = "/{project_id:uuid}/"
COLLABORATORS = "/{project_id:uuid}/collaborators/"
COLLABORATOR = "/{project_id:uuid}/collaborators/{user_id:uuid}/"


class ProjectController(Controller):
    path = "/api/projects"
    tags = ["projects"]

    @get(
        "/",
        dependencies={"list_projects": use_case("list_projects")},
        summary="List the projects the caller can see",
    )
    async def list_projects(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUser,
        list_projects: NamedDependency[ListProjects],
        organization: Annotated[
            uuid.UUID | None, QueryParameter(description="Only projects of this organization.")
        ] = None,
        archived: Annotated[
            bool, QueryParameter(description="List archived projects instead of active ones.")
        ] = False,
        search: Annotated[
            str | None,
            QueryParameter(description="Case-insensitive substring of the project name."),
        ] = None,
        limit: PageLimit = None,
        cursor: PageCursor = None,
    ) -> PageOut[ProjectOut]:
        page = requested_page(request, limit, cursor)
        result = await list_projects(
            ListProjectsCommand(
                user=current_user,
                page=page,
                organization_id=organization,
                archived=archived,
                search=search,
            )
        )
        return page_out(result, project_out)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        dependencies={"create_project": use_case("create_project")},
        summary="Create a project",
    )
    async def create_project(
        self,
        current_user: CurrentUser,
        data: JSONBody[ProjectCreateIn],
        create_project: NamedDependency[CreateProject],
    ) -> ProjectOut:
        view = await create_project(
            CreateProjectCommand(
                user=current_user,
                name=data.name,
                description=data.description,
                organization_id=data.organization,
            )
        )
        return project_out(view)

    @get(
        PROJECT,
        dependencies={"get_project": use_case("get_project")},
        summary="One project with the caller's effective role",
    )
    async def get_project(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        get_project: NamedDependency[GetProject],
    ) -> ProjectOut:
        view = await get_project(GetProjectCommand(user=current_user, project_id=project_id))
        return project_out(view)

    @patch(
        PROJECT,
        dependencies={"update_project": use_case("update_project")},
        summary="Update, archive or restore a project",
    )
    async def update_project(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[ProjectUpdateIn],
        update_project: NamedDependency[UpdateProject],
    ) -> ProjectOut:
        view = await update_project(
            UpdateProjectCommand(
                user=current_user,
                project_id=project_id,
                name=unset_to_none(data.name),  # type: ignore[arg-type]
                description=unset_to_none(data.description),  # type: ignore[arg-type]
                is_archived=unset_to_none(data.is_archived),  # type: ignore[arg-type]
            )
        )
        return project_out(view)

    @delete(
        PROJECT,
        status_code=HTTP_204_NO_CONTENT,
        dependencies={"archive_project": use_case("archive_project")},
        summary="Archive a project (nothing is removed)",
    )
    async def archive_project(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        archive_project: NamedDependency[ArchiveProject],
    ) -> None:
        await archive_project(ArchiveProjectCommand(user=current_user, project_id=project_id))

    @get(
        COLLABORATORS,
        dependencies={"list_collaborators": use_case("list_collaborators")},
        summary="List a project's collaborators",
    )
    async def list_collaborators(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        list_collaborators: NamedDependency[ListCollaborators],
        limit: PageLimit = None,
        cursor: PageCursor = None,
    ) -> PageOut[CollaboratorOut]:
        page = requested_page(request, limit, cursor)
        result = await list_collaborators(
            ListCollaboratorsCommand(user=current_user, project_id=project_id, page=page)
        )
        return page_out(result, collaborator_out)

    @post(
        COLLABORATORS,
        status_code=HTTP_201_CREATED,
        dependencies={"add_collaborator": use_case("add_collaborator")},
        summary="Add a user to a project by email",
    )
    async def add_collaborator(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[CollaboratorCreateIn],
        add_collaborator: NamedDependency[AddCollaborator],
    ) -> CollaboratorOut:
        entry = await add_collaborator(
            AddCollaboratorCommand(
                user=current_user, project_id=project_id, email=data.email, role=data.role
            )
        )
        return collaborator_out(entry)

    @patch(
        COLLABORATOR,
        dependencies={"update_collaborator": use_case("update_collaborator")},
        summary="Change a collaborator's role",
    )
    async def update_collaborator(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[CollaboratorUpdateIn],
        update_collaborator: NamedDependency[UpdateCollaborator],
    ) -> CollaboratorOut:
        entry = await update_collaborator(
            UpdateCollaboratorCommand(
                user=current_user,
                project_id=project_id,
                collaborator_id=user_id,
                role=data.role,
            )
        )
        return collaborator_out(entry)

    @delete(
        COLLABORATOR,
        status_code=HTTP_204_NO_CONTENT,
        dependencies={"remove_collaborator": use_case("remove_collaborator")},
        summary="Remove a collaborator, or leave a project",
    )
    async def remove_collaborator(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        remove_collaborator: NamedDependency[RemoveCollaborator],
    ) -> None:
        await remove_collaborator(
            RemoveCollaboratorCommand(
                user=current_user, project_id=project_id, collaborator_id=user_id
            )
        )
