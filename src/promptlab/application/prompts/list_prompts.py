"""List the prompts of a session."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.prompts import ListedPrompt
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.domain.accounts import User
from promptlab.domain.projects import ProjectAction
from promptlab.domain.sessions import session_not_found


@attrs.frozen
class ListPromptsCommand:
    user: User
    project_id: uuid.UUID
    session_id: uuid.UUID
    page: PageRequest


class ListPrompts:
    """Return one page of a session's prompts, newest first.

    Rules:
    - any project role may list, including on an archived project or a
      closed session;
    - a session of another project is reported as not found.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: ListPromptsCommand) -> Page[ListedPrompt]:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.VIEW)

            page = await uow.prompts.list_for_session(
                command.project_id, command.session_id, command.page
            )
            # Every prompt belongs to one session of its project, so a prompt
            # on the page proves the session is in this project. Only an
            # empty page needs the session read.
            if (
                not page.items
                and await uow.sessions.get(command.project_id, command.session_id) is None
            ):
                raise session_not_found(command.session_id)
            return page
