"""SQL repositories for prompt sessions and prompts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from promptlab.adapters.sqlalchemy.prepared import PreparedQuery, PreparedWrite
from promptlab.adapters.sqlalchemy.repositories.base import (
    PreparedKeyset,
    SqlRepository,
    check_column_order,
    keyset,
    select_for_reading,
    to_page,
)
from promptlab.adapters.sqlalchemy.tables import executions, prompt_sessions, prompts
from promptlab.adapters.sqlalchemy.text_reads import (
    cache_key_of_uuid_text,
    json_as_text,
    reference_as_text,
    timestamp_as_text,
    uuid_as_key,
    uuid_as_text,
)
from promptlab.adapters.sqlalchemy.types import JsonRead, MessagesRead
from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.prompts import ListedPrompt, RowLock
from promptlab.application.text_forms import cursor_after
from promptlab.domain.messages import Message
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession, SessionCounts, SessionStatus

_SESSION_COLUMNS = check_column_order(
    prompt_sessions,
    "id",
    "project_id",
    "name",
    "description",
    "default_model",
    "default_parameters",
    "metadata",
    "status",
    "created_by",
    "created_at",
    "updated_at",
)


def session_from_row(row: Any) -> PromptSession:
    """Map a row of `select(prompt_sessions)`, read by position."""
    return PromptSession(
        id=row[0],
        project_id=row[1],
        name=row[2],
        description=row[3],
        default_model=row[4],
        default_parameters=GenerationParameters.from_dict(row[5]),
        metadata=dict(row[6]),
        status=SessionStatus(row[7]),
        created_by=row[8],
        created_at=row[9],
        updated_at=row[10],
    )


def messages_to_json(messages: tuple[Message, ...]) -> list[dict[str, str]]:
    return [{"role": message.role.value, "content": message.content} for message in messages]


_PROMPT_COLUMNS = check_column_order(
    prompts,
    "id",
    "project_id",
    "session_id",
    "name",
    "messages",
    "variables",
    "parent_id",
    "created_by",
    "created_at",
)


# The columns of `prompts`, with the messages read as domain Messages.
_PROMPT_SELECT = select_for_reading(prompts, {"messages": MessagesRead, "variables": JsonRead})


def prompt_from_row(row: Any) -> Prompt:
    """Map a row of `_PROMPT_SELECT`, read by position."""
    return Prompt(
        id=row[0],
        project_id=row[1],
        session_id=row[2],
        name=row[3],
        messages=row[4],
        variables=tuple(row[5]),
        parent_id=row[6],
        created_by=row[7],
        created_at=row[8],
    )


# Built once: listing, reading and executing prompts run these on every request.
_SESSION_BY_ID = PreparedQuery(
    select_for_reading(
        prompt_sessions, {"default_parameters": JsonRead, "metadata": JsonRead}
    ).where(
        prompt_sessions.c.id == bindparam("session_id"),
        prompt_sessions.c.project_id == bindparam("project_id"),
    )
)
_SESSION_LOCKED: dict[RowLock, PreparedQuery] = {
    "update": PreparedQuery(_SESSION_BY_ID.statement.with_for_update()),
    "share": PreparedQuery(_SESSION_BY_ID.statement.with_for_update(read=True)),
}
_INSERT_SESSION = PreparedWrite(insert(prompt_sessions))
_INSERT_PROMPT = PreparedWrite(insert(prompts))
_PROMPT_IN_SESSION = PreparedQuery(
    _PROMPT_SELECT.where(
        prompts.c.id == bindparam("prompt_id"), prompts.c.session_id == bindparam("session_id")
    )
)
_PROMPT_IN_PROJECT = PreparedQuery(
    _PROMPT_SELECT.where(
        prompts.c.id == bindparam("prompt_id"), prompts.c.project_id == bindparam("project_id")
    )
)
# The ids of a page, read from the index on (session_id, created_at, id)
# alone, for pages whose prompts are all in the listed-prompt cache.
_LISTED_KEYS = PreparedKeyset(
    select(uuid_as_key(prompts.c.id)).where(prompts.c.session_id == bindparam("session_id")),
    prompts,
)
# A page in full, as `ListedPrompt`s: the fields in their order. The project
# filter makes a session of another project list nothing.
_LISTED_PROMPTS = PreparedKeyset(
    select(
        uuid_as_text(prompts.c.id),
        prompts.c.name,
        json_as_text(prompts.c.messages),
        json_as_text(prompts.c.variables),
        reference_as_text(prompts.c.parent_id),
        reference_as_text(prompts.c.created_by),
        timestamp_as_text(prompts.c.created_at),
    ).where(
        prompts.c.session_id == bindparam("session_id"),
        prompts.c.project_id == bindparam("project_id"),
    ),
    prompts,
    row_type=ListedPrompt,
)


def _cursor_of(item: PromptSession) -> tuple[Any, uuid.UUID]:
    return item.created_at, item.id


class SqlSessionRepository(SqlRepository):
    async def add(self, session: PromptSession) -> None:
        await self._uow.write(
            _INSERT_SESSION,
            {
                "id": session.id,
                "project_id": session.project_id,
                "created_by": session.created_by,
                "created_at": session.created_at,
                **_session_values(session),
            },
        )

    async def get(
        self, project_id: uuid.UUID, session_id: uuid.UUID, *, lock: RowLock | None = None
    ) -> PromptSession | None:
        parameters = {"session_id": session_id, "project_id": project_id}
        # SQLite has no row locks, so it leaves FOR UPDATE out; its write
        # transactions take the database lock at BEGIN, which serializes them anyway.
        query = _SESSION_BY_ID if lock is None else _SESSION_LOCKED[lock]
        rows = await self._uow.fetch_all(query, parameters)
        return session_from_row(rows[0]) if rows else None

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
        await self._uow.write(
            _INSERT_PROMPT,
            {
                "id": prompt.id,
                "project_id": prompt.project_id,
                "session_id": prompt.session_id,
                "name": prompt.name,
                "messages": messages_to_json(prompt.messages),
                "variables": list(prompt.variables),
                "parent_id": prompt.parent_id,
                "created_by": prompt.created_by,
                "created_at": prompt.created_at,
            },
        )

    async def get(self, session_id: uuid.UUID, prompt_id: uuid.UUID) -> Prompt | None:
        rows = await self._uow.fetch_all(
            _PROMPT_IN_SESSION, {"prompt_id": prompt_id, "session_id": session_id}
        )
        return prompt_from_row(rows[0]) if rows else None

    async def get_in_project(self, project_id: uuid.UUID, prompt_id: uuid.UUID) -> Prompt | None:
        rows = await self._uow.fetch_all(
            _PROMPT_IN_PROJECT, {"prompt_id": prompt_id, "project_id": project_id}
        )
        return prompt_from_row(rows[0]) if rows else None

    async def list_for_session(
        self, project_id: uuid.UUID, session_id: uuid.UUID, page: PageRequest
    ) -> Page[ListedPrompt]:
        cache = self._uow.listed_prompts
        project = project_id.int
        if cache is not None:
            parameters: dict[str, Any] = {"session_id": session_id}
            keys = await self._uow.fetch_all(_LISTED_KEYS.query(page, parameters), parameters)
            cached = cache.page([row[0] for row in keys], project)
            if cached is not None:
                return to_page(cached, page, _cursor_of_listed)

        parameters = {"session_id": session_id, "project_id": project_id}
        query = _LISTED_PROMPTS.query(page, parameters)
        items: list[ListedPrompt] = await self._uow.fetch_all(query, parameters)  # type: ignore[assignment]
        if cache is not None:
            dialect_name = self._uow.dialect_name
            for item in items:
                cache.put(cache_key_of_uuid_text(dialect_name, item.id), project, item)
        return to_page(items, page, _cursor_of_listed)


def _cursor_of_listed(item: ListedPrompt) -> tuple[Any, uuid.UUID]:
    cursor = cursor_after(item.id, item.created_at)
    return cursor.created_at, cursor.id
