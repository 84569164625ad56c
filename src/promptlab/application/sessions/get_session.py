"""Show one prompt session with the counts of its prompts and executions."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.application.sessions.views import SessionDetail
from promptlab.domain.accounts import User
from promptlab.domain.projects import ProjectAction
from promptlab.domain.sessions import session_not_found


@attrs.frozen
class GetSessionCommand:
    user: User
    project_id: uuid.UUID
    session_id: uuid.UUID


class GetSession:
    """Return a session of a project the caller can see.

    Rules:
    - any project role may view, including on an archived project;
    - a session of another project, or of a project the caller cannot see,
      is reported as not found;
    - the counts come from COUNT queries, so they cost the same however
      large the prompts and executions are.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: GetSessionCommand) -> SessionDetail:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.VIEW)

            session = await uow.sessions.get(command.project_id, command.session_id)
            if session is None:
                raise session_not_found(command.session_id)
            counts = await uow.sessions.count_contents(session.id)

        return SessionDetail(session=session, counts=counts)
