"""Repository for execution logs."""

from __future__ import annotations

import uuid
from typing import Protocol

from promptlab.domain.executions import Execution


class ExecutionRepository(Protocol):
    async def add(self, execution: Execution) -> None: ...

    async def get(self, prompt_id: uuid.UUID, execution_id: uuid.UUID) -> Execution | None:
        """Return the log only if it belongs to the prompt."""
        ...

    async def update(self, execution: Execution) -> None: ...
