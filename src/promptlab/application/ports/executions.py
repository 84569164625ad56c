"""Repository for execution logs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

import attrs

from promptlab.application.pagination import Page, PageRequest
from promptlab.domain.executions import Execution, ExecutionError, ExecutionStatus


class DuplicateIdempotencyKeyError(Exception):
    """The user already has an execution log with this Idempotency-Key.

    Raised by `ExecutionRepository.add`. The transaction is unusable afterwards
    on some databases, so the caller rolls back before reading the other log.
    """

    def __init__(self, user_id: uuid.UUID | None, idempotency_key: str) -> None:
        super().__init__(f"user {user_id} already used the Idempotency-Key {idempotency_key!r}")
        self.user_id = user_id
        self.idempotency_key = idempotency_key


@attrs.frozen
class ExecutionFilter:
    """Optional filters of an execution list; None means "any"."""

    status: ExecutionStatus | None = None
    model: str | None = None


class ExecutionRepository(Protocol):
    async def add(self, execution: Execution) -> None:
        """Insert a new log. Raises DuplicateIdempotencyKeyError when its creator already
        has a log with the same idempotency key."""
        ...

    async def get(self, prompt_id: uuid.UUID, execution_id: uuid.UUID) -> Execution | None:
        """Return the log only if it belongs to the prompt."""
        ...

    async def get_by_idempotency_key(
        self, user_id: uuid.UUID, idempotency_key: str
    ) -> Execution | None: ...

    async def list_for_prompt(
        self, prompt_id: uuid.UUID, filters: ExecutionFilter, page: PageRequest
    ) -> Page[Execution]:
        """Return the prompt's logs, newest first."""
        ...

    async def finish(self, execution: Execution) -> bool:
        """Save the outcome fields of `execution` only if the stored log is still running.

        Returns whether the row changed. False means another writer (the
        reaper, or a duplicate worker) recorded an outcome first, and that
        outcome stays.
        """
        ...

    async def fail_overdue(self, now: datetime, error: ExecutionError) -> int:
        """Mark every log still running after its deadline as failed with `error`,
        completed at `now`, in one conditional statement. Returns how many changed."""
        ...
