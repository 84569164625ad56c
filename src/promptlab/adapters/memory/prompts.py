"""In-memory repositories for prompt sessions and prompts."""

from __future__ import annotations

import copy
import json
import uuid

from promptlab.adapters.memory.store import InMemoryRepository, paginate
from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.prompts import ListedPrompt, RowLock
from promptlab.application.text_forms import timestamp_text
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession, SessionCounts, SessionStatus

SESSIONS = "prompt_sessions"
PROMPTS = "prompts"
# Owned by the executions repository; read here only to count a session's executions.
EXECUTIONS = "executions"


class InMemorySessionRepository(InMemoryRepository):
    async def add(self, session: PromptSession) -> None:
        table = await self._table(SESSIONS)
        if session.id in table:
            raise ValueError(f"a session with id {session.id} already exists")
        table[session.id] = copy.deepcopy(session)

    async def get(
        self, project_id: uuid.UUID, session_id: uuid.UUID, *, lock: RowLock | None = None
    ) -> PromptSession | None:
        # A write unit of work holds the database's write lock from its first
        # statement, which is stronger than any row lock.
        session = (await self._table(SESSIONS)).get(session_id)
        if session is None or session.project_id != project_id:
            return None
        return copy.deepcopy(session)

    async def update(self, session: PromptSession) -> None:
        table = await self._table(SESSIONS)
        if session.id in table:
            table[session.id] = copy.deepcopy(session)

    async def list_for_project(
        self,
        project_id: uuid.UUID,
        page: PageRequest,
        *,
        status: SessionStatus | None = None,
    ) -> Page[PromptSession]:
        sessions = [
            copy.deepcopy(session)
            for session in (await self._table(SESSIONS)).values()
            if session.project_id == project_id and (status is None or session.status is status)
        ]
        return paginate(sessions, page, lambda session: (session.created_at, session.id))

    async def count_contents(self, session_id: uuid.UUID) -> SessionCounts:
        prompt_ids = {
            prompt.id
            for prompt in (await self._table(PROMPTS)).values()
            if prompt.session_id == session_id
        }
        executions = sum(
            1
            for execution in (await self._table(EXECUTIONS)).values()
            if execution.prompt_id in prompt_ids
        )
        return SessionCounts(prompts=len(prompt_ids), executions=executions)


class InMemoryPromptRepository(InMemoryRepository):
    async def add(self, prompt: Prompt) -> None:
        table = await self._table(PROMPTS)
        if prompt.id in table:
            raise ValueError(f"a prompt with id {prompt.id} already exists")
        if prompt.session_id not in await self._table(SESSIONS):
            raise ValueError(f"session {prompt.session_id} does not exist")
        table[prompt.id] = copy.deepcopy(prompt)

    async def get(self, session_id: uuid.UUID, prompt_id: uuid.UUID) -> Prompt | None:
        prompt = (await self._table(PROMPTS)).get(prompt_id)
        if prompt is None or prompt.session_id != session_id:
            return None
        return copy.deepcopy(prompt)

    async def get_in_project(self, project_id: uuid.UUID, prompt_id: uuid.UUID) -> Prompt | None:
        prompt = (await self._table(PROMPTS)).get(prompt_id)
        if prompt is None or prompt.project_id != project_id:
            return None
        return copy.deepcopy(prompt)

    async def list_for_session(
        self, project_id: uuid.UUID, session_id: uuid.UUID, page: PageRequest
    ) -> Page[ListedPrompt]:
        prompts = [
            prompt
            for prompt in (await self._table(PROMPTS)).values()
            if prompt.session_id == session_id and prompt.project_id == project_id
        ]
        found = paginate(prompts, page, lambda prompt: (prompt.created_at, prompt.id))
        return Page(items=[listed(prompt) for prompt in found.items], next=found.next)


def listed(prompt: Prompt) -> ListedPrompt:
    """Return `prompt` in the text form of a list."""
    return ListedPrompt(
        id=str(prompt.id),
        name=prompt.name,
        messages_json=json.dumps(
            [
                {"role": message.role.value, "content": message.content}
                for message in prompt.messages
            ]
        ),
        variables_json=json.dumps(list(prompt.variables)),
        parent_id=None if prompt.parent_id is None else str(prompt.parent_id),
        created_by=None if prompt.created_by is None else str(prompt.created_by),
        created_at=timestamp_text(prompt.created_at),
    )
