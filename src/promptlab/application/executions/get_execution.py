"""Read one execution log."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.executions.list_executions import require_prompt
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.accounts import User
from promptlab.domain.errors import NotFoundError
from promptlab.domain.executions import Execution


@attrs.frozen(kw_only=True)
class GetExecutionQuery:
    user: User
    project_id: uuid.UUID
    session_id: uuid.UUID
    prompt_id: uuid.UUID
    execution_id: uuid.UUID


class GetExecution:
    """Return one execution log.

    Business rules:
    - any role on the project may read it (viewers included);
    - the log must belong to the prompt, the prompt to the session and the
      session to the project; anything else is 404, like a project the
      caller cannot see.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, query: GetExecutionQuery) -> Execution:
        await require_prompt(
            self._uow, query.user, query.project_id, query.session_id, query.prompt_id
        )
        execution = await self._uow.executions.get(query.prompt_id, query.execution_id)
        if execution is None:
            raise NotFoundError(f"Execution {query.execution_id} not found.")
        return execution
