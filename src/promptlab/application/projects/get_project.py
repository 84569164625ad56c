"""Show one project with the caller's effective role."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.application.projects.views import ProjectView
from promptlab.domain.accounts import User
from promptlab.domain.projects import ProjectAction


@attrs.frozen
class GetProjectCommand:
    user: User
    project_id: uuid.UUID


class GetProject:
    """Return a project the caller can see, archived or not.

    Rules:
    - a project the caller cannot see is reported as not found;
    - any project role may view, including on an archived project.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: GetProjectCommand) -> ProjectView:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
        access.require(ProjectAction.VIEW)
        return ProjectView(project=access.project, role=access.role)
