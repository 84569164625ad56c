"""Wire schemas of execution requests and execution logs."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from promptlab.domain.executions import Execution
from promptlab.entrypoints.http.schemas.common import Body
from promptlab.entrypoints.http.schemas.prompts import MessageOut
from promptlab.entrypoints.http.schemas.sessions import ParametersIn

StatusName = Literal["pending", "running", "succeeded", "failed", "cancelled"]


class ExecuteIn(Body):
    model: Annotated[
        str | None,
        msgspec.Meta(
            description="A model id from GET /api/models/; required unless the session has a "
            "default_model."
        ),
    ] = None
    variables: Annotated[
        dict[str, str],
        msgspec.Meta(description="A value for every placeholder of the prompt, and nothing else."),
    ] = msgspec.field(default_factory=dict)
    parameters: Annotated[
        ParametersIn | None,
        msgspec.Meta(description="Overrides of the session's default_parameters, field by field."),
    ] = None


class ParametersUsedOut(msgspec.Struct, omit_defaults=True):
    """The parameters sent to the provider; a field that is absent was not set."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    seed: int | None = None


class UsageOut(msgspec.Struct):
    """Token counts as the provider reported them; a null count was not reported."""

    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    cached_input_tokens: int | None


class ExecutionErrorOut(msgspec.Struct):
    code: str
    message: str
    provider_status: int | None


class ExecutionOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    prompt: uuid.UUID
    session: uuid.UUID
    project: uuid.UUID
    model: str
    provider: str
    messages: list[MessageOut]
    variables: dict[str, str]
    parameters: ParametersUsedOut
    status: StatusName
    output: str | None
    finish_reason: str | None
    usage: UsageOut | None
    cost: Annotated[
        str | None,
        msgspec.Meta(description="USD as a decimal string; null when usage or a price is unknown."),
    ]
    latency_ms: int | None
    time_to_first_token_ms: int | None
    attempts: int
    error: ExecutionErrorOut | None
    provider_request_id: Annotated[
        str | None, msgspec.Meta(description="The provider's id of the last call, for support.")
    ]
    created_by: uuid.UUID | None
    created_at: datetime
    completed_at: datetime | None


class DeltaOut(msgspec.Struct):
    text: str


def decimal_string(value: Decimal | None) -> str | None:
    """Return `value` in plain notation without trailing zeros ("0.00006", "2.5", "0")."""
    if value is None:
        return None
    return format(value.normalize(), "f")


def error_out(execution: Execution) -> ExecutionErrorOut | None:
    error = execution.error
    if error is None:
        return None
    return ExecutionErrorOut(
        code=error.code, message=error.message, provider_status=error.provider_status
    )


def execution_out(execution: Execution) -> ExecutionOut:
    usage = execution.usage
    parameters = execution.parameters
    return ExecutionOut(
        id=execution.id,
        prompt=execution.prompt_id,
        session=execution.session_id,
        project=execution.project_id,
        model=execution.model,
        provider=execution.provider,
        messages=[
            MessageOut(role=message.role.value, content=message.content)  # type: ignore[arg-type]
            for message in execution.messages
        ],
        variables=dict(execution.variables),
        parameters=ParametersUsedOut(
            temperature=parameters.temperature,
            top_p=parameters.top_p,
            max_tokens=parameters.max_tokens,
            stop=list(parameters.stop) if parameters.stop is not None else None,
            seed=parameters.seed,
        ),
        status=execution.status.value,  # type: ignore[arg-type]
        output=execution.output,
        finish_reason=execution.finish_reason,
        usage=(
            UsageOut(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                total_tokens=usage.total_tokens,
                cached_input_tokens=usage.cached_input_tokens,
            )
            if usage is not None
            else None
        ),
        cost=decimal_string(execution.cost),
        latency_ms=execution.latency_ms,
        time_to_first_token_ms=execution.time_to_first_token_ms,
        attempts=execution.attempts,
        error=error_out(execution),
        provider_request_id=execution.provider_request_id,
        created_by=execution.created_by,
        created_at=execution.created_at,
        completed_at=execution.completed_at,
    )
