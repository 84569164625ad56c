"""List the prompt sessions of a project."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.domain.accounts import User
from promptlab.domain.projects import ProjectAction
from promptlab.domain.sessions import PromptSession, SessionStatus


@attrs.frozen
class ListSessionsCommand:
    user: User
    project_id: uuid.UUID
    page: PageRequest
    status: SessionStatus | None = None


class ListSessions:
    """Return one page of a project's sessions, newest first.

    Rules:
    - any project role may list, including on an archived project;
    - `status` keeps only active or only closed sessions;
    - list items carry no counts; the detail of one session has them.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: ListSessionsCommand) -> Page[PromptSession]:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.VIEW)
            return await uow.sessions.list_for_project(
                command.project_id, command.page, status=command.status
            )
