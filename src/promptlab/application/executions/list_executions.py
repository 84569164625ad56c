"""List the execution logs of a prompt."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.executions import ExecutionFilter
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.domain.accounts import User
from promptlab.domain.errors import NotFoundError
from promptlab.domain.executions import Execution
from promptlab.domain.projects import ProjectAction


@attrs.frozen(kw_only=True)
class ListExecutionsQuery:
    user: User
    project_id: uuid.UUID
    session_id: uuid.UUID
    prompt_id: uuid.UUID
    filters: ExecutionFilter = attrs.field(factory=ExecutionFilter)
    page: PageRequest = attrs.field(factory=PageRequest)


async def require_prompt(
    uow: UnitOfWork, user: User, project_id: uuid.UUID, session_id: uuid.UUID, prompt_id: uuid.UUID
) -> None:
    """Raise NotFoundError unless `user` may view the project and the prompt is in its session."""
    access = await load_project_access(uow, project_id, user)
    access.require(ProjectAction.VIEW)
    session = await uow.sessions.get(project_id, session_id)
    if session is None:
        raise NotFoundError(f"Session {session_id} not found.")
    if await uow.prompts.get(session_id, prompt_id) is None:
        raise NotFoundError(f"Prompt {prompt_id} not found.")


class ListExecutions:
    """Return a prompt's execution logs, newest first.

    Business rules:
    - any role on the project may read, archived or not (viewers included);
    - a project the caller cannot see, or a session or prompt outside it,
      is 404;
    - `status` and `model` filters narrow the list; pages are keyset-based,
      so their cost does not grow with the number of logs.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, query: ListExecutionsQuery) -> Page[Execution]:
        await require_prompt(
            self._uow, query.user, query.project_id, query.session_id, query.prompt_id
        )
        return await self._uow.executions.list_for_prompt(
            query.prompt_id, query.filters, query.page
        )
