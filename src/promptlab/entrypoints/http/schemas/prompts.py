"""Wire schemas of the prompt endpoints."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from promptlab.application.pagination import Page, encode_cursor
from promptlab.application.ports.prompts import ListedPrompt
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.prompts import Prompt
from promptlab.entrypoints.http.schemas.common import Body

RoleName = Literal["system", "user", "assistant"]

CONTENT_DESCRIPTION = (
    "Template text, stored exactly as sent. `{{ name }}` is a placeholder for the variable "
    "`name`; write `\\{{` for literal braces. By default at most 100,000 characters per "
    "message and 400,000 for all messages together (settings PROMPTLAB_MAX_MESSAGE_LENGTH "
    "and PROMPTLAB_MAX_PROMPT_LENGTH). NUL and unpaired surrogates are rejected."
)


class MessageIn(Body):
    role: RoleName
    content: Annotated[str, msgspec.Meta(description=CONTENT_DESCRIPTION)]


class PromptCreateIn(Body):
    """Give `messages`, or `content` as shorthand for one user message, but not both."""

    name: Annotated[str | None, msgspec.Meta(description="Optional, up to 200 characters.")] = None
    messages: Annotated[
        list[MessageIn] | None,
        msgspec.Meta(
            description="Chat messages in order; by default at most 100 "
            "(setting PROMPTLAB_MAX_MESSAGES_PER_PROMPT)."
        ),
    ] = None
    content: Annotated[str | None, msgspec.Meta(description=CONTENT_DESCRIPTION)] = None
    parent: Annotated[
        uuid.UUID | None,
        msgspec.Meta(description="The prompt this one was derived from, in the same project."),
    ] = None

    def domain_messages(self) -> tuple[Message, ...] | None:
        if self.messages is None:
            return None
        return tuple(
            Message(role=MessageRole(message.role), content=message.content)
            for message in self.messages
        )


class MessageOut(msgspec.Struct):
    role: RoleName
    content: str


class PromptOut(msgspec.Struct):
    id: uuid.UUID
    session: uuid.UUID
    project: uuid.UUID
    name: str | None
    messages: list[MessageOut]
    # Placeholder names of all messages, each once, in order of first appearance.
    variables: list[str]
    parent: uuid.UUID | None
    created_by: uuid.UUID | None
    created_at: datetime


def prompt_out(prompt: Prompt) -> PromptOut:
    return PromptOut(
        id=prompt.id,
        session=prompt.session_id,
        project=prompt.project_id,
        name=prompt.name,
        messages=[
            # MessageRole is a StrEnum, so msgspec encodes the member as its text.
            MessageOut(role=message.role, content=message.content)  # type: ignore[arg-type]
            for message in prompt.messages
        ],
        variables=list(prompt.variables),
        parent=prompt.parent_id,
        created_by=prompt.created_by,
        created_at=prompt.created_at,
    )


class ListedPromptOut(msgspec.Struct):
    """`PromptOut`'s JSON, built from a `ListedPrompt`: the same fields in the same order.

    The identifiers and times are already text in their wire form, and the
    stored JSON of the messages and variables is embedded unparsed.
    """

    id: str
    session: str
    project: str
    name: str | None
    messages: msgspec.Raw
    variables: msgspec.Raw
    parent: str | None
    created_by: str | None
    created_at: str


_encode = msgspec.json.Encoder().encode


class ListedPromptJson:
    """The encoder of pages of listed prompts, which keeps each prompt's JSON object by its id.

    A prompt never changes once written, and its id names one session of
    one project, so the JSON object of a listed prompt never changes either.
    Joining kept objects skips building and encoding 50 structs per page,
    which was a seventh of a list request's time in a running server
    (py-spy). At most `max_bytes` of JSON is kept, the oldest dropped first,
    and an object over an eighth of that is not kept; 0 keeps none.
    """

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._largest = max_bytes // 8
        self._objects: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0

    @property
    def kept_bytes(self) -> int:
        return self._bytes

    def page_json(
        self, page: Page[ListedPrompt], project_id: uuid.UUID, session_id: uuid.UUID
    ) -> bytes:
        """Return the JSON of `PageOut[PromptOut]` for a page of the session's prompts."""
        objects = self._objects
        parts = []
        identifiers: tuple[str, str] | None = None
        for item in page.items:
            encoded = objects.get(item.id)
            if encoded is None:
                if identifiers is None:
                    identifiers = (str(project_id), str(session_id))
                encoded = self._encode_and_keep(item, *identifiers)
            parts.append(encoded)
        next_cursor = _encode(encode_cursor(page.next)) if page.next else b"null"
        return b'{"results":[' + b",".join(parts) + b'],"next":' + next_cursor + b"}"

    def _encode_and_keep(self, item: ListedPrompt, project: str, session: str) -> bytes:
        encoded = _encode(
            ListedPromptOut(
                item.id,
                session,
                project,
                item.name,
                msgspec.Raw(item.messages_json),
                msgspec.Raw(item.variables_json),
                item.parent_id,
                item.created_by,
                item.created_at,
            )
        )
        if len(encoded) > self._largest:
            return encoded
        self._objects[item.id] = encoded
        self._bytes += len(encoded)
        while self._bytes > self._max_bytes:
            _, dropped = self._objects.popitem(last=False)
            self._bytes -= len(dropped)
        return encoded
