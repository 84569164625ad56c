"""Execution logs: one run of a prompt on a model, and what happened."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

import attrs

from promptlab.domain.catalog import Usage
from promptlab.domain.messages import Message
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.text import storable_text


class ExecutionStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a streaming client went away before the end


FINAL_STATUSES = frozenset(
    {ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED}
)

# Column sizes of the stored log.
MAX_FINISH_REASON_LENGTH = 64
MAX_PROVIDER_REQUEST_ID_LENGTH = 200

# Error code of a log that was still running past its deadline, so the process
# that ran it must have stopped (a crash, a restart or a lost connection).
INTERRUPTED = "interrupted"


def _storable_message(value: str) -> str:
    return storable_text(value) or ""


def _storable_finish_reason(value: str | None) -> str | None:
    return storable_text(value, max_length=MAX_FINISH_REASON_LENGTH)


def _storable_request_id(value: str | None) -> str | None:
    return storable_text(value, max_length=MAX_PROVIDER_REQUEST_ID_LENGTH)


@attrs.frozen
class ExecutionError:
    """Why an execution failed: a stable code, a plain message and the provider's HTTP status.

    The message may quote the provider, so it is made storable like output.
    """

    code: str
    message: str = attrs.field(converter=_storable_message)
    provider_status: int | None = None


@attrs.frozen
class ExecutionOutcome:
    """What one finished execution produced. Written to its log exactly once."""

    status: ExecutionStatus
    attempts: int
    # Provider text passes through storable_text: a NUL or a lone surrogate in a
    # model's output must not turn a finished call into a database error.
    output: str | None = attrs.field(default=None, converter=storable_text)
    finish_reason: str | None = attrs.field(default=None, converter=_storable_finish_reason)
    usage: Usage | None = None
    cost: Decimal | None = None
    latency_ms: int | None = None
    time_to_first_token_ms: int | None = None
    error: ExecutionError | None = None
    provider_request_id: str | None = attrs.field(default=None, converter=_storable_request_id)

    def __attrs_post_init__(self) -> None:
        if self.status not in FINAL_STATUSES:
            raise ValueError(f"an outcome needs a final status, got {self.status}")


def interrupted_error() -> ExecutionError:
    return ExecutionError(
        code=INTERRUPTED,
        message=(
            "The execution was still running after its deadline, so the server that ran it "
            "stopped before recording an outcome. Execute the prompt again."
        ),
    )


@attrs.define
class Execution:
    id: uuid.UUID
    project_id: uuid.UUID
    session_id: uuid.UUID
    prompt_id: uuid.UUID
    model: str
    provider: str
    messages: tuple[Message, ...]
    variables: dict[str, str]
    parameters: GenerationParameters
    status: ExecutionStatus
    created_by: uuid.UUID | None
    created_at: datetime
    deadline_at: datetime
    output: str | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    cost: Decimal | None = None
    latency_ms: int | None = None
    time_to_first_token_ms: int | None = None
    attempts: int = 0
    error: ExecutionError | None = None
    completed_at: datetime | None = None
    provider_request_id: str | None = None
    streamed: bool = False
    idempotency_key: str | None = None
    request_fingerprint: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def finished(self, outcome: ExecutionOutcome, completed_at: datetime) -> Execution:
        """Return this log with `outcome` applied. Only a running log can finish."""
        if self.status is not ExecutionStatus.RUNNING:
            raise ValueError(f"execution {self.id} is {self.status}, not running")
        return attrs.evolve(
            self,
            status=outcome.status,
            attempts=outcome.attempts,
            output=outcome.output,
            finish_reason=outcome.finish_reason,
            usage=outcome.usage,
            cost=outcome.cost,
            latency_ms=outcome.latency_ms,
            time_to_first_token_ms=outcome.time_to_first_token_ms,
            error=outcome.error,
            provider_request_id=outcome.provider_request_id,
            completed_at=completed_at,
        )
