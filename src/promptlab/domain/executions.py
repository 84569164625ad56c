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


class ExecutionStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a streaming client went away before the end


FINAL_STATUSES = frozenset(
    {ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED}
)


@attrs.frozen
class ExecutionError:
    """Why an execution failed: a stable code, a plain message and the provider's HTTP status."""

    code: str
    message: str
    provider_status: int | None = None


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
