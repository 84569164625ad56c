"""Prompt endpoints. Prompts are immutable, so there is no update or delete."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from promptlab.application.prompts.create_prompt import CreatePrompt, CreatePromptCommand
from promptlab.application.prompts.get_prompt import GetPrompt, GetPromptCommand
from promptlab.application.prompts.list_prompts import ListPrompts, ListPromptsCommand
from promptlab.entrypoints.http.dependencies import (
    CurrentUser,
    PageCursor,
    PageLimit,
    request_container,
    requested_page,
    use_case,
)
from promptlab.entrypoints.http.requests import StrictTextRequest
from promptlab.entrypoints.http.schemas.common import PageOut, encoded_json
from promptlab.entrypoints.http.schemas.prompts import (
    PromptCreateIn,
    PromptOut,
    prompt_out,
)

PROMPT = "/{prompt_id:uuid}/"


class PromptController(Controller):
    path = "/api/projects/{project_id:uuid}/sessions/{session_id:uuid}/prompts"
    tags = ["prompts"]
    request_class = StrictTextRequest

    @get(
        "/",
        dependencies={"list_prompts": use_case("list_prompts")},
        summary="List the prompts of a session, newest first",
    )
    async def list_prompts(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        list_prompts: NamedDependency[ListPrompts],
        limit: PageLimit = None,
        cursor: PageCursor = None,
    ) -> Response[PageOut[PromptOut]]:
        page = requested_page(request, limit, cursor)
        result = await list_prompts(
            ListPromptsCommand(
                user=current_user, project_id=project_id, session_id=session_id, page=page
            )
        )
        page_json = request_container(request).listed_prompt_json().page_json
        return encoded_json(page_json(result, project_id, session_id))

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        dependencies={"create_prompt": use_case("create_prompt")},
        summary="Create a prompt from messages or from one user message",
    )
    async def create_prompt(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        data: JSONBody[PromptCreateIn],
        create_prompt: NamedDependency[CreatePrompt],
    ) -> PromptOut:
        prompt = await create_prompt(
            CreatePromptCommand(
                user=current_user,
                project_id=project_id,
                session_id=session_id,
                messages=data.domain_messages(),
                content=data.content,
                name=data.name,
                parent_id=data.parent,
            )
        )
        return prompt_out(prompt)

    @get(
        PROMPT,
        dependencies={"get_prompt": use_case("get_prompt")},
        summary="One prompt",
    )
    async def get_prompt(
        self,
        current_user: CurrentUser,
        project_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        prompt_id: FromPath[uuid.UUID],
        get_prompt: NamedDependency[GetPrompt],
    ) -> PromptOut:
        prompt = await get_prompt(
            GetPromptCommand(
                user=current_user,
                project_id=project_id,
                session_id=session_id,
                prompt_id=prompt_id,
            )
        )
        return prompt_out(prompt)
