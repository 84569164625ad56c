"""Chat messages: the unit of a prompt and of a provider request."""

from __future__ import annotations

import enum

import attrs


class MessageRole(enum.StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


@attrs.frozen
class Message:
    role: MessageRole
    content: str
