"""Executing prompts and reading execution logs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from promptlab.application.executions.execute import ExecutePrompt
from promptlab.application.executions.get_execution import GetExecution, GetExecutionQuery
from promptlab.application.executions.list_executions import ListExecutions, ListExecutionsQuery
from promptlab.application.executions.starting import ExecutePromptCommand
from promptlab.application.executions.stream import (
    ExecutionFinished,
    ExecutionStarted,
    OutputDelta,
    StreamPromptExecution,
    StreamUpdate,
)
from promptlab.application.ports.executions import ExecutionFilter
from promptlab.application.ports.rate_limit import RateLimit
from promptlab.application.rate_limits import enforce_rate_limit
from promptlab.domain.accounts import User
from promptlab.domain.executions import ExecutionStatus
from promptlab.domain.parameters import GenerationParameters
from promptlab.entrypoints.http.dependencies import (
    CurrentUser,
    PageCursor,
    PageLimit,
    RequestUnitOfWork,
    client_address,
    container_of,
    requested_page,
    use_case,
)
from promptlab.entrypoints.http.requests import StrictTextRequest
from promptlab.entrypoints.http.schemas.common import PageOut, page_out
from promptlab.entrypoints.http.schemas.executions import (
    DeltaOut,
    ExecuteIn,
    ExecutionOut,
    StatusName,
    error_out,
    execution_out,
)
from promptlab.entrypoints.http.sse import event_stream, sse_event

EXECUTE = "/execute/"
EXECUTIONS = "/executions/"
EXECUTION = "/executions/{execution_id:uuid}/"


def _command(
    data: ExecuteIn,
    user: User,
    project_id: uuid.UUID,
    session_id: uuid.UUID,
    prompt_id: uuid.UUID,
    idempotency_key: str | None,
) -> ExecutePromptCommand:
    return ExecutePromptCommand(
        user=user,
        project_id=project_id,
        session_id=session_id,
        prompt_id=prompt_id,
        model=data.model,
        variables=dict(data.variables),
        parameters=data.parameters.to_domain() if data.parameters else GenerationParameters(),
        idempotency_key=idempotency_key,
    )


async def _limit_client(request: Request[Any, Any, Any], state: State) -> None:
    """Count one execution against the client address's own limit.

    The per-user limit is counted by the use case. This one bounds what many
    accounts sending from one client address can run together.
    """
    container = container_of(state)
    settings = container.settings()
    if not settings.rate_limits_enabled:
        return
    setting = settings.rate_limit_execute_per_client
    address = client_address(request, settings.trust_forwarded_for)
    await enforce_rate_limit(
        container.rate_limiter(),
        RateLimit(requests=setting.requests, window_seconds=setting.window_seconds),
        f"execute:address:{address}",
    )


async def _sse_events(updates: AsyncIterator[StreamUpdate]) -> AsyncIterator[bytes]:
    async with aclosing(updates):  # type: ignore[type-var]
        async for update in updates:
            if isinstance(update, ExecutionStarted):
                yield sse_event("execution", execution_out(update.execution))
            elif isinstance(update, OutputDelta):
                yield sse_event("delta", DeltaOut(text=update.text))
            elif isinstance(update, ExecutionFinished):
                error = error_out(update.execution)
                if error is not None:
                    yield sse_event("error", error)
                yield sse_event("done", execution_out(update.execution))


class ExecutionController(Controller):
    path = "/api/projects/{project_id:uuid}/sessions/{session_id:uuid}/prompts/{prompt_id:uuid}"
    tags = ["executions"]
    request_class = StrictTextRequest

    @post(
        EXECUTE,
        status_code=HTTP_201_CREATED,
        summary="Execute the prompt on a model and record the execution log",
        description=(
            "Renders the prompt with `variables`, calls the model's provider (retrying "
            "failures that may pass) and answers 201 with the log, `succeeded` or `failed`. "
            "With `?stream=true` the answer is `text/event-stream`: an `execution` event with "
            "the running log, `delta` events with output text, then `done` with the final log "
            "(preceded by `error` when it failed). An `Idempotency-Key` header makes a "
            "repeated request return the first one's log without calling the provider again."
        ),
    )
    async def execute(
        self,
        request: Request[Any, Any, Any],
        state: State,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        prompt_id: FromPath[uuid.UUID],
        data: JSONBody[ExecuteIn],
        uow: RequestUnitOfWork,
        stream: Annotated[
            bool, QueryParameter(description="Respond with server-sent events as output arrives.")
        ] = False,
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                description="Up to 255 printable ASCII characters, unique per request you mean.",
            ),
        ] = None,
    ) -> Response[ExecutionOut]:
        await _limit_client(request, state)
        command = _command(data, current_user, project_id, session_id, prompt_id, idempotency_key)
        # The use case is built here rather than provided as a dependency: the
        # two would be resolved side by side, in an anyio task group that costs
        # more than building the one this request needs.
        container = container_of(state)
        if stream:
            stream_prompt_execution: StreamPromptExecution = container.stream_prompt_execution(
                uow=uow
            )
            execution_stream = await stream_prompt_execution(command)
            # The schema documents the JSON response; the stream is described above.
            return event_stream(  # type: ignore[return-value]
                _sse_events(execution_stream.updates), status_code=HTTP_201_CREATED
            )

        execute_prompt: ExecutePrompt = container.execute_prompt(uow=uow)
        execution = await execute_prompt(command)
        return Response(execution_out(execution), status_code=HTTP_201_CREATED)

    @get(
        EXECUTIONS,
        dependencies={"list_executions": use_case("list_executions")},
        summary="List the execution logs of a prompt, newest first",
    )
    async def list_executions(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        prompt_id: FromPath[uuid.UUID],
        list_executions: NamedDependency[ListExecutions],
        status: Annotated[
            StatusName | None, QueryParameter(description="Only logs in this status.")
        ] = None,
        model: Annotated[
            str | None, QueryParameter(description="Only logs of this model id.")
        ] = None,
        limit: PageLimit = None,
        cursor: PageCursor = None,
    ) -> PageOut[ExecutionOut]:
        page = requested_page(request, limit, cursor)
        result = await list_executions(
            ListExecutionsQuery(
                user=current_user,
                project_id=project_id,
                session_id=session_id,
                prompt_id=prompt_id,
                filters=ExecutionFilter(
                    status=ExecutionStatus(status) if status else None, model=model
                ),
                page=page,
            )
        )
        return page_out(result, execution_out)

    @get(
        EXECUTION,
        dependencies={"get_execution": use_case("get_execution")},
        summary="One execution log",
    )
    async def get_execution(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        prompt_id: FromPath[uuid.UUID],
        execution_id: FromPath[uuid.UUID],
        get_execution: NamedDependency[GetExecution],
    ) -> ExecutionOut:
        execution = await get_execution(
            GetExecutionQuery(
                user=current_user,
                project_id=project_id,
                session_id=session_id,
                prompt_id=prompt_id,
                execution_id=execution_id,
            )
        )
        return execution_out(execution)
