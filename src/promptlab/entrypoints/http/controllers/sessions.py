"""Prompt session endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from promptlab.application.sessions.create_session import CreateSession, CreateSessionCommand
from promptlab.application.sessions.get_session import GetSession, GetSessionCommand
from promptlab.application.sessions.list_sessions import ListSessions, ListSessionsCommand
from promptlab.application.sessions.update_session import UpdateSession
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.sessions import SessionStatus
from promptlab.entrypoints.http.dependencies import (
    CurrentUser,
    PageCursor,
    PageLimit,
    requested_page,
    use_case,
)
from promptlab.entrypoints.http.requests import StrictTextRequest
from promptlab.entrypoints.http.schemas.common import PageOut, page_out
from promptlab.entrypoints.http.schemas.sessions import (
    SessionCreateIn,
    SessionDetailOut,
    SessionOut,
    SessionUpdateIn,
    StatusName,
    new_session_out,
    session_detail_out,
    session_out,
    update_command,
)

SESSION = "/{session_id:uuid}/"


class SessionController(Controller):
    path = "/api/projects/{project_id:uuid}/sessions"
    tags = ["sessions"]
    request_class = StrictTextRequest

    @get(
        "/",
        dependencies={"list_sessions": use_case("list_sessions")},
        summary="List the sessions of a project, newest first",
    )
    async def list_sessions(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        list_sessions: NamedDependency[ListSessions],
        status: Annotated[
            StatusName | None, QueryParameter(description="Only sessions with this status.")
        ] = None,
        limit: PageLimit = None,
        cursor: PageCursor = None,
    ) -> PageOut[SessionOut]:
        page = requested_page(request, limit, cursor)
        result = await list_sessions(
            ListSessionsCommand(
                user=current_user,
                project_id=project_id,
                page=page,
                status=SessionStatus(status) if status is not None else None,
            )
        )
        return page_out(result, session_out)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        dependencies={"create_session": use_case("create_session")},
        summary="Create a session",
    )
    async def create_session(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[SessionCreateIn],
        create_session: NamedDependency[CreateSession],
    ) -> SessionDetailOut:
        parameters = (
            data.default_parameters.to_domain()
            if data.default_parameters is not None
            else GenerationParameters()
        )
        session = await create_session(
            CreateSessionCommand(
                user=current_user,
                project_id=project_id,
                name=data.name,
                description=data.description,
                default_model=data.default_model,
                default_parameters=parameters,
                metadata=data.metadata,
            )
        )
        return new_session_out(session)

    @get(
        SESSION,
        dependencies={"get_session": use_case("get_session")},
        summary="One session with the counts of its prompts and executions",
    )
    async def get_session(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        get_session: NamedDependency[GetSession],
    ) -> SessionDetailOut:
        detail = await get_session(
            GetSessionCommand(user=current_user, project_id=project_id, session_id=session_id)
        )
        return session_detail_out(detail)

    @patch(
        SESSION,
        dependencies={"update_session": use_case("update_session")},
        summary="Update a session, or close or reopen it",
    )
    async def update_session(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        data: JSONBody[SessionUpdateIn],
        update_session: NamedDependency[UpdateSession],
    ) -> SessionDetailOut:
        detail = await update_session(update_command(data, current_user, project_id, session_id))
        return session_detail_out(detail)
