"""Repositories for prompt sessions and prompts."""

from __future__ import annotations

import uuid
from typing import Literal, Protocol

from promptlab.application.pagination import Page, PageRequest
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession, SessionCounts, SessionStatus

RowLock = Literal["share", "update"]
"""A row lock held until the transaction ends.

`share` keeps others from changing the row while allowing other share locks,
so prompts can be added to a session concurrently while a status change waits.
`update` also excludes other `share` and `update` locks, for read-modify-write.
"""


class SessionRepository(Protocol):
    async def add(self, session: PromptSession) -> None: ...

    async def get(
        self, project_id: uuid.UUID, session_id: uuid.UUID, *, lock: RowLock | None = None
    ) -> PromptSession | None:
        """Return the session only if it belongs to the project, taking the row lock `lock`."""
        ...

    async def update(self, session: PromptSession) -> None:
        """Save every field of the session except its id, project, creator and creation time."""
        ...

    async def list_for_project(
        self,
        project_id: uuid.UUID,
        page: PageRequest,
        *,
        status: SessionStatus | None = None,
    ) -> Page[PromptSession]:
        """Return the sessions of a project, newest first, optionally only those in `status`."""
        ...

    async def count_contents(self, session_id: uuid.UUID) -> SessionCounts:
        """Count the prompts of the session and the executions of those prompts."""
        ...


class PromptRepository(Protocol):
    async def add(self, prompt: Prompt) -> None: ...

    async def get(self, session_id: uuid.UUID, prompt_id: uuid.UUID) -> Prompt | None:
        """Return the prompt only if it belongs to the session."""
        ...

    async def get_in_project(self, project_id: uuid.UUID, prompt_id: uuid.UUID) -> Prompt | None:
        """Return the prompt only if it belongs to the project, in any of its sessions."""
        ...

    async def list_for_session(self, session_id: uuid.UUID, page: PageRequest) -> Page[Prompt]:
        """Return the prompts of a session, newest first."""
        ...
