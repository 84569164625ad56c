"""SQL repositories for prompt sessions and prompts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select, update

from promptlab.adapters.sqlalchemy.repositories.base import SqlRepository, keyset, to_page
from promptlab.adapters.sqlalchemy.tables import executions, prompt_sessions, prompts
from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.prompts import RowLock
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession, SessionCounts, SessionStatus


def session_from_row(row: Any) -> PromptSession:
    return PromptSession(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        description=row.description,
        default_model=row.default_model,
        default_parameters=GenerationParameters.from_dict(row.default_parameters),
        metadata=dict(row._mapping["metadata"]),
        status=SessionStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def messages_to_json(messages: tuple[Message, ...]) -> list[dict[str, str]]:
    return [{"role": message.role.value, "content": message.content} for message in messages]


# A dict lookup, because calling MessageRole(value) costs ten times as much
# and runs for every message of every prompt and execution log read.
_ROLES = {role.value: role for role in MessageRole}


def messages_from_json(data: list[dict[str, str]]) -> tuple[Message, ...]:
    return tuple(Message(role=_ROLES[item["role"]], content=item["content"]) for item in data)


def prompt_from_row(row: Any) -> Prompt:
    return Prompt(
        id=row.id,
        project_id=row.project_id,
        session_id=row.session_id,
        name=row.name,
        messages=messages_from_json(row.messages),
        variables=tuple(row.variables),
        parent_id=row.parent_id,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _cursor_of(item: PromptSession | Prompt) -> tuple[Any, uuid.UUID]:
    return item.created_at, item.id


class SqlSessionRepository(SqlRepository):
    async def add(self, session: PromptSession) -> None:
        await self._uow.execute(
            insert(prompt_sessions).values(
                id=session.id,
                project_id=session.project_id,
                created_by=session.created_by,
                created_at=session.created_at,
                **_session_values(session),
            )
        )

    async def get(
        self, project_id: uuid.UUID, session_id: uuid.UUID, *, lock: RowLock | None = None
    ) -> PromptSession | None:
        statement = select(prompt_sessions).where(
            prompt_sessions.c.id == session_id, prompt_sessions.c.project_id == project_id
        )
        # SQLite has no row locks; its write transactions take the database
        # lock at BEGIN, which serializes them anyway.
        if lock is not None:
            statement = statement.with_for_update(read=lock == "share")
        row = (await self._uow.execute(statement)).first()
        return session_from_row(row) if row else None

    async def update(self, session: PromptSession) -> None:
        await self._uow.execute(
            update(prompt_sessions)
            .where(prompt_sessions.c.id == session.id)
            .values(**_session_values(session))
        )

    async def list_for_project(
        self,
        project_id: uuid.UUID,
        page: PageRequest,
        *,
        status: SessionStatus | None = None,
    ) -> Page[PromptSession]:
        statement = select(prompt_sessions).where(prompt_sessions.c.project_id == project_id)
        if status is not None:
            statement = statement.where(prompt_sessions.c.status == status.value)
        result = await self._uow.execute(keyset(statement, prompt_sessions, page))
        return to_page([session_from_row(row) for row in result], page, _cursor_of)

    async def count_contents(self, session_id: uuid.UUID) -> SessionCounts:
        prompt_count = (
            select(func.count())
            .select_from(prompts)
            .where(prompts.c.session_id == session_id)
            .scalar_subquery()
        )
        # Executions are reached through the session's prompts, so both
        # counts use the (session_id, ...) and (prompt_id, ...) indexes
        # instead of scanning every execution for its session_id.
        execution_count = (
            select(func.count())
            .select_from(executions.join(prompts, executions.c.prompt_id == prompts.c.id))
            .where(prompts.c.session_id == session_id)
            .scalar_subquery()
        )
        row = (await self._uow.execute(select(prompt_count, execution_count))).one()
        return SessionCounts(prompts=row[0], executions=row[1])


def _session_values(session: PromptSession) -> dict[str, Any]:
    return {
        "name": session.name,
        "description": session.description,
        "default_model": session.default_model,
        "default_parameters": session.default_parameters.to_dict(),
        "metadata": session.metadata,
        "status": session.status.value,
        "updated_at": session.updated_at,
    }


class SqlPromptRepository(SqlRepository):
    async def add(self, prompt: Prompt) -> None:
        await self._uow.execute(
            insert(prompts).values(
                id=prompt.id,
                project_id=prompt.project_id,
                session_id=prompt.session_id,
                name=prompt.name,
                messages=messages_to_json(prompt.messages),
                variables=list(prompt.variables),
                parent_id=prompt.parent_id,
                created_by=prompt.created_by,
                created_at=prompt.created_at,
            )
        )

    async def get(self, session_id: uuid.UUID, prompt_id: uuid.UUID) -> Prompt | None:
        result = await self._uow.execute(
            select(prompts).where(prompts.c.id == prompt_id, prompts.c.session_id == session_id)
        )
        row = result.first()
        return prompt_from_row(row) if row else None

    async def get_in_project(self, project_id: uuid.UUID, prompt_id: uuid.UUID) -> Prompt | None:
        result = await self._uow.execute(
            select(prompts).where(prompts.c.id == prompt_id, prompts.c.project_id == project_id)
        )
        row = result.first()
        return prompt_from_row(row) if row else None

    async def list_for_session(self, session_id: uuid.UUID, page: PageRequest) -> Page[Prompt]:
        statement = select(prompts).where(prompts.c.session_id == session_id)
        result = await self._uow.execute(keyset(statement, prompts, page))
        return to_page([prompt_from_row(row) for row in result], page, _cursor_of)
