"""Prompts: immutable chat messages with `{{ name }}` placeholders."""

from __future__ import annotations

import uuid
from datetime import datetime

import attrs

from promptlab.domain.messages import Message


@attrs.define
class Prompt:
    """A prompt never changes after creation, so every execution log points at the text that ran."""

    id: uuid.UUID
    project_id: uuid.UUID
    session_id: uuid.UUID
    name: str | None
    messages: tuple[Message, ...]
    variables: tuple[str, ...]
    parent_id: uuid.UUID | None
    created_by: uuid.UUID | None
    created_at: datetime
