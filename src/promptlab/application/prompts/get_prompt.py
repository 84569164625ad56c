"""Show one prompt."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.domain.accounts import User
from promptlab.domain.projects import ProjectAction
from promptlab.domain.prompts import Prompt, prompt_not_found


@attrs.frozen
class GetPromptCommand:
    user: User
    project_id: uuid.UUID
    session_id: uuid.UUID
    prompt_id: uuid.UUID


class GetPrompt:
    """Return a prompt of a session the caller can see.

    Rules:
    - any project role may view, including on an archived project;
    - a prompt of another session or project is reported as not found.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: GetPromptCommand) -> Prompt:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.VIEW)
            prompt = await uow.prompts.get(command.session_id, command.prompt_id)

        # A session belongs to one project, so a prompt whose project matches
        # is in a session of this project.
        if prompt is None or prompt.project_id != command.project_id:
            raise prompt_not_found(command.prompt_id)
        return prompt
