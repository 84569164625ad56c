"""List the collaborators of a project."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.projects import CollaboratorEntry
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.domain.accounts import User
from promptlab.domain.projects import ProjectAction


@attrs.frozen
class ListCollaboratorsCommand:
    user: User
    project_id: uuid.UUID
    page: PageRequest


class ListCollaborators:
    """Return one page of a project's collaborators, most recently added first.

    Rules:
    - anyone who can see the project may list its collaborators, archived or not;
    - organization members reach the project through their membership and
      are not listed unless they were also added as collaborators.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: ListCollaboratorsCommand) -> Page[CollaboratorEntry]:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.VIEW)
            return await uow.projects.list_collaborators(command.project_id, command.page)
