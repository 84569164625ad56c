"""SQL repositories for prompt sessions and prompts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select

from promptlab.adapters.sqlalchemy.repositories.base import SqlRepository
from promptlab.adapters.sqlalchemy.tables import prompt_sessions, prompts
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession, SessionStatus


def session_from_row(row: Any) -> PromptSession:
    return PromptSession(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        description=row.description,
        default_model=row.default_model,
        default_parameters=GenerationParameters.from_dict(row.default_parameters),
        metadata=dict(row.metadata),
        status=SessionStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def messages_to_json(messages: tuple[Message, ...]) -> list[dict[str, str]]:
    return [{"role": message.role.value, "content": message.content} for message in messages]


def messages_from_json(data: list[dict[str, str]]) -> tuple[Message, ...]:
    return tuple(Message(role=MessageRole(item["role"]), content=item["content"]) for item in data)


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


class SqlSessionRepository(SqlRepository):
    async def add(self, session: PromptSession) -> None:
        await self._uow.execute(
            insert(prompt_sessions).values(
                id=session.id,
                project_id=session.project_id,
                name=session.name,
                description=session.description,
                default_model=session.default_model,
                default_parameters=session.default_parameters.to_dict(),
                metadata=session.metadata,
                status=session.status.value,
                created_by=session.created_by,
                created_at=session.created_at,
                updated_at=session.updated_at,
            )
        )

    async def get(self, project_id: uuid.UUID, session_id: uuid.UUID) -> PromptSession | None:
        result = await self._uow.execute(
            select(prompt_sessions).where(
                prompt_sessions.c.id == session_id, prompt_sessions.c.project_id == project_id
            )
        )
        row = result.first()
        return session_from_row(row) if row else None


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
