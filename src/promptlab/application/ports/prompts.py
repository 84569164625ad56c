"""Repositories for prompt sessions and prompts."""

from __future__ import annotations

import uuid
from typing import Protocol

from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession


class SessionRepository(Protocol):
    async def add(self, session: PromptSession) -> None: ...

    async def get(self, project_id: uuid.UUID, session_id: uuid.UUID) -> PromptSession | None:
        """Return the session only if it belongs to the project."""
        ...


class PromptRepository(Protocol):
    async def add(self, prompt: Prompt) -> None: ...

    async def get(self, session_id: uuid.UUID, prompt_id: uuid.UUID) -> Prompt | None:
        """Return the prompt only if it belongs to the session."""
        ...
