"""Prompt sessions: one line of work inside a project, with defaults for its prompts."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import attrs

from promptlab.domain.errors import ConflictError
from promptlab.domain.parameters import GenerationParameters


class SessionStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


@attrs.define
class PromptSession:
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    description: str
    default_model: str | None
    default_parameters: GenerationParameters
    metadata: dict[str, str]
    status: SessionStatus
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    def require_active(self) -> None:
        """Raise ConflictError when the session is closed to new prompts and executions."""
        if self.status is SessionStatus.CLOSED:
            raise ConflictError(
                f"Session {self.id} is closed, so it accepts no new prompts or executions. "
                "Reopen it with PATCH and the body {\"status\": \"active\"}."
            )
