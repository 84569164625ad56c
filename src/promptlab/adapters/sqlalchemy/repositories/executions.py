"""SQL repository for execution logs."""

from __future__ import annotations

import collections
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from promptlab.adapters.sqlalchemy.prepared import PreparedQuery, PreparedWrite
from promptlab.adapters.sqlalchemy.repositories.base import (
    SqlRepository,
    keyset,
    select_for_reading,
    to_page,
)
from promptlab.adapters.sqlalchemy.repositories.prompts import messages_to_json
from promptlab.adapters.sqlalchemy.tables import executions
from promptlab.adapters.sqlalchemy.types import JsonRead, MessagesRead
from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.executions import DuplicateIdempotencyKeyError, ExecutionFilter
from promptlab.domain.catalog import Usage
from promptlab.domain.executions import Execution, ExecutionError, ExecutionStatus
from promptlab.domain.parameters import GenerationParameters

# The columns of `executions`, with the messages read as domain Messages.
_EXECUTION_SELECT = select_for_reading(
    executions, {"messages": MessagesRead, "variables": JsonRead, "parameters": JsonRead}
)
# Rows from the driver are plain tuples; this gives them the attribute names
# that SQLAlchemy's rows have, so one mapper reads both.
_ExecutionRow = collections.namedtuple(  # type: ignore[misc]
    "_ExecutionRow", [column.key for column in executions.c], rename=False
)


def execution_from_row(row: Any) -> Execution:
    """Map a row of `_EXECUTION_SELECT`, from SQLAlchemy or as an `_ExecutionRow`."""
    usage_counts = (
        row.input_tokens,
        row.output_tokens,
        row.total_tokens,
        row.cached_input_tokens,
    )
    usage = (
        Usage(
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            total_tokens=row.total_tokens,
            cached_input_tokens=row.cached_input_tokens,
        )
        if any(count is not None for count in usage_counts)
        else None
    )
    error = (
        ExecutionError(
            code=row.error_code,
            message=row.error_message or "",
            provider_status=row.error_provider_status,
        )
        if row.error_code
        else None
    )
    return Execution(
        id=row.id,
        project_id=row.project_id,
        session_id=row.session_id,
        prompt_id=row.prompt_id,
        model=row.model,
        provider=row.provider,
        messages=row.messages,
        variables=dict(row.variables),
        parameters=GenerationParameters.from_dict(row.parameters),
        status=ExecutionStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        deadline_at=row.deadline_at,
        output=row.output,
        finish_reason=row.finish_reason,
        usage=usage,
        cost=row.cost,
        latency_ms=row.latency_ms,
        time_to_first_token_ms=row.time_to_first_token_ms,
        attempts=row.attempts,
        error=error,
        completed_at=row.completed_at,
        provider_request_id=row.provider_request_id,
        streamed=row.streamed,
        idempotency_key=row.idempotency_key,
        request_fingerprint=row.request_fingerprint,
    )


def _outcome_values(execution: Execution) -> dict[str, Any]:
    usage = execution.usage
    error = execution.error
    return {
        "status": execution.status.value,
        "output": execution.output,
        "finish_reason": execution.finish_reason,
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": usage.output_tokens if usage else None,
        "total_tokens": usage.total_tokens if usage else None,
        "cached_input_tokens": usage.cached_input_tokens if usage else None,
        "cost": execution.cost,
        "latency_ms": execution.latency_ms,
        "time_to_first_token_ms": execution.time_to_first_token_ms,
        "attempts": execution.attempts,
        "error_code": error.code if error else None,
        "error_message": error.message if error else None,
        "error_provider_status": error.provider_status if error else None,
        "provider_request_id": execution.provider_request_id,
        "completed_at": execution.completed_at,
    }


def _is_idempotency_clash(error: IntegrityError) -> bool:
    # PostgreSQL names the unique index; SQLite names its columns.
    return "idempotency_key" in str(error.orig)


# Built once: building the INSERT per call took three times the CPU of running
# it (python -m bench profile --pyinstrument, execute). Executed with a dict of
# column values, each statement sets exactly the columns that dict names.
_INSERT = PreparedWrite(insert(executions))
_EXECUTION_IN_PROMPT = PreparedQuery(
    _EXECUTION_SELECT.where(
        executions.c.id == bindparam("execution_id"),
        executions.c.prompt_id == bindparam("prompt_id"),
    )
)
_FINISH = PreparedWrite(
    update(executions).where(
        executions.c.id == bindparam("finished_id"),
        executions.c.status == ExecutionStatus.RUNNING.value,
    )
)


class SqlExecutionRepository(SqlRepository):
    async def add(self, execution: Execution) -> None:
        values = {
            "id": execution.id,
            "project_id": execution.project_id,
            "session_id": execution.session_id,
            "prompt_id": execution.prompt_id,
            "model": execution.model,
            "provider": execution.provider,
            "messages": messages_to_json(execution.messages),
            "variables": execution.variables,
            "parameters": execution.parameters.to_dict(),
            "streamed": execution.streamed,
            "idempotency_key": execution.idempotency_key,
            "request_fingerprint": execution.request_fingerprint,
            "created_by": execution.created_by,
            "created_at": execution.created_at,
            "deadline_at": execution.deadline_at,
            **_outcome_values(execution),
        }
        try:
            await self._uow.write(_INSERT, values)
        except IntegrityError as error:
            if execution.idempotency_key is not None and _is_idempotency_clash(error):
                raise DuplicateIdempotencyKeyError(
                    execution.created_by, execution.idempotency_key
                ) from error
            raise

    async def get(self, prompt_id: uuid.UUID, execution_id: uuid.UUID) -> Execution | None:
        rows = await self._uow.fetch_all(
            _EXECUTION_IN_PROMPT, {"execution_id": execution_id, "prompt_id": prompt_id}
        )
        return execution_from_row(_ExecutionRow._make(rows[0])) if rows else None

    async def get_by_idempotency_key(
        self, user_id: uuid.UUID, idempotency_key: str
    ) -> Execution | None:
        result = await self._uow.execute(
            _EXECUTION_SELECT.where(
                executions.c.created_by == user_id,
                executions.c.idempotency_key == idempotency_key,
            )
        )
        row = result.first()
        return execution_from_row(row) if row else None

    async def list_for_prompt(
        self, prompt_id: uuid.UUID, filters: ExecutionFilter, page: PageRequest
    ) -> Page[Execution]:
        statement = _EXECUTION_SELECT.where(executions.c.prompt_id == prompt_id)
        if filters.status is not None:
            statement = statement.where(executions.c.status == filters.status.value)
        if filters.model is not None:
            statement = statement.where(executions.c.model == filters.model)
        result = await self._uow.execute(keyset(statement, executions, page))
        items = [execution_from_row(row) for row in result]
        return to_page(items, page, lambda execution: (execution.created_at, execution.id))

    async def finish(self, execution: Execution) -> bool:
        parameters = {"finished_id": execution.id, **_outcome_values(execution)}
        return await self._uow.write(_FINISH, parameters) == 1

    async def fail_overdue(self, now: datetime, error: ExecutionError) -> int:
        result = await self._uow.execute(
            update(executions)
            .where(
                executions.c.status == ExecutionStatus.RUNNING.value,
                executions.c.deadline_at < now,
            )
            .values(
                status=ExecutionStatus.FAILED.value,
                error_code=error.code,
                error_message=error.message,
                error_provider_status=error.provider_status,
                completed_at=now,
            )
        )
        return result.rowcount
