"""Repositories for prompt sessions and prompts."""

from __future__ import annotations

import uuid
from typing import Literal, NamedTuple, Protocol

from promptlab.application.pagination import Page, PageRequest
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession, SessionCounts, SessionStatus

RowLock = Literal["share", "update"]
"""A row lock held until the transaction ends.

`share` keeps others from changing the row while allowing other share locks,
so prompts can be added to a session concurrently while a status change waits.
`update` also excludes other `share` and `update` locks, for read-modify-write.
"""


class ListedPrompt(NamedTuple):
    """A prompt as a list shows it: each field in the text form every client receives.

    Lists are read often, and a page of prompts contains hundreds of
    values. Read this way, the database hands over text that is already in
    its final form: stored JSON is not parsed, and identifiers and times
    become no objects. `ListPrompts` returns these instead of `Prompt`s.
    The project and session are not fields: they are the ones the list
    request names.
    """

    id: str
    """Canonical UUID text: 36 lowercase characters with hyphens."""
    name: str | None
    messages_json: str
    """The messages as a JSON array of `{"role": ..., "content": ...}` objects, in order."""
    variables_json: str
    """The placeholder names as a JSON array of strings, in order of first appearance."""
    parent_id: str | None
    created_by: str | None
    created_at: str
    """See `timestamp_text`."""


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

    async def list_for_session(
        self, project_id: uuid.UUID, session_id: uuid.UUID, page: PageRequest
    ) -> Page[ListedPrompt]:
        """Return the prompts of a session of the project, newest first.

        A session of another project, or no session at all, gives an empty page.
        """
        ...
