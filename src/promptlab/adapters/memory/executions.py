"""In-memory repository for execution logs."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime

import attrs

from promptlab.adapters.memory.store import InMemoryRepository, paginate
from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.executions import DuplicateIdempotencyKeyError, ExecutionFilter
from promptlab.domain.executions import Execution, ExecutionError, ExecutionStatus

EXECUTIONS = "executions"


class InMemoryExecutionRepository(InMemoryRepository):
    """Mirrors the SQL adapter, including the unique (created_by, idempotency_key) index."""

    async def add(self, execution: Execution) -> None:
        table = await self._table(EXECUTIONS)
        if execution.id in table:
            raise ValueError(f"an execution with id {execution.id} already exists")
        if execution.idempotency_key is not None:
            for stored in table.values():
                if (
                    stored.created_by == execution.created_by
                    and stored.idempotency_key == execution.idempotency_key
                ):
                    raise DuplicateIdempotencyKeyError(
                        execution.created_by, execution.idempotency_key
                    )
        table[execution.id] = copy.deepcopy(execution)

    async def get(self, prompt_id: uuid.UUID, execution_id: uuid.UUID) -> Execution | None:
        execution = (await self._table(EXECUTIONS)).get(execution_id)
        if execution is None or execution.prompt_id != prompt_id:
            return None
        return copy.deepcopy(execution)

    async def get_by_idempotency_key(
        self, user_id: uuid.UUID, idempotency_key: str
    ) -> Execution | None:
        for execution in (await self._table(EXECUTIONS)).values():
            if execution.created_by == user_id and execution.idempotency_key == idempotency_key:
                return copy.deepcopy(execution)
        return None

    async def list_for_prompt(
        self, prompt_id: uuid.UUID, filters: ExecutionFilter, page: PageRequest
    ) -> Page[Execution]:
        matching = [
            copy.deepcopy(execution)
            for execution in (await self._table(EXECUTIONS)).values()
            if execution.prompt_id == prompt_id
            and (filters.status is None or execution.status is filters.status)
            and (filters.model is None or execution.model == filters.model)
        ]
        return paginate(matching, page, lambda execution: (execution.created_at, execution.id))

    async def finish(self, execution: Execution) -> bool:
        table = await self._table(EXECUTIONS)
        stored = table.get(execution.id)
        if stored is None or stored.status is not ExecutionStatus.RUNNING:
            return False
        table[execution.id] = copy.deepcopy(execution)
        return True

    async def fail_overdue(self, now: datetime, error: ExecutionError) -> int:
        table = await self._table(EXECUTIONS)
        overdue = [
            execution
            for execution in table.values()
            if execution.status is ExecutionStatus.RUNNING and execution.deadline_at < now
        ]
        for execution in overdue:
            table[execution.id] = attrs.evolve(
                execution, status=ExecutionStatus.FAILED, error=error, completed_at=now
            )
        return len(overdue)
