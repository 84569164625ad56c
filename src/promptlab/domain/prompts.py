"""Prompts: immutable chat messages with `{{ name }}` placeholders."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import attrs

from promptlab.domain.errors import FieldError, NotFoundError, ValidationError
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.templates import TemplateSyntaxError, parse_messages
from promptlab.domain.text import (
    DEFAULT_TEXT_LIMITS,
    TextLimits,
    find_messages_errors,
    find_text_errors,
)

CONTENT_FIELD = "content"
MESSAGES_FIELD = "messages"


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


@attrs.frozen
class PromptText:
    """The checked text of a new prompt: its messages and their placeholder names."""

    messages: tuple[Message, ...]
    variables: tuple[str, ...]


def prompt_not_found(prompt_id: uuid.UUID | str) -> NotFoundError:
    """Return the error for a prompt that is not in the session, or that the caller may not see."""
    return NotFoundError(f"Prompt {prompt_id} not found in this session.")


def check_prompt_text(
    *,
    messages: Sequence[Message] | None,
    content: str | None,
    name: str | None,
    limits: TextLimits = DEFAULT_TEXT_LIMITS,
) -> PromptText:
    """Check the name and text of a new prompt and find its variables.

    Rules:
    - exactly one of `messages` and `content` is given; `content` is shorthand
      for one user message, and its errors name the field `content`;
    - the messages follow `find_messages_errors`: their count, each length and
      the total length are within `limits`, and no text contains NUL or a
      surrogate;
    - every message is a valid template, and a syntax error names
      `messages.N.content` with the offset of the bad `{{`;
    - `name`, when given, is non-blank text within the name limit.

    Raises ValidationError with every error found. Text is kept exactly as
    given: nothing is trimmed or normalized.
    """
    errors: list[FieldError] = []
    if name is not None:
        errors.extend(
            find_text_errors(
                name, field="name", max_length=limits.max_name_length, allow_empty=False
            )
        )

    if messages is not None and content is not None:
        errors.append(
            FieldError(
                CONTENT_FIELD,
                "give either `content` (one user message) or `messages`, not both",
            )
        )
        raise ValidationError(errors)
    if messages is None and content is None:
        errors.append(
            FieldError(
                MESSAGES_FIELD,
                "is required: give `messages`, or `content` as shorthand for one user message",
            )
        )
        raise ValidationError(errors)

    if content is not None:
        field = CONTENT_FIELD
        prompt_messages: tuple[Message, ...] = (Message(role=MessageRole.USER, content=content),)
    else:
        field = MESSAGES_FIELD
        prompt_messages = tuple(messages or ())

    text_errors = find_messages_errors(prompt_messages, field=MESSAGES_FIELD, limits=limits)
    errors.extend(_renamed(text_errors, field))
    if text_errors:
        raise ValidationError(errors)

    try:
        template = parse_messages(prompt_messages, field=MESSAGES_FIELD)
    except TemplateSyntaxError as error:
        errors.extend(_renamed(error.errors, field))
        raise ValidationError(errors) from error

    if errors:
        raise ValidationError(errors)
    return PromptText(messages=prompt_messages, variables=template.variables)


def _renamed(errors: Sequence[FieldError], field: str) -> list[FieldError]:
    """Name the errors of the `content` shorthand after the field the client sent."""
    if field == MESSAGES_FIELD:
        return list(errors)
    prefix = f"{MESSAGES_FIELD}.0.content"
    return [
        FieldError(
            CONTENT_FIELD if error.field in (prefix, MESSAGES_FIELD) else error.field, error.message
        )
        for error in errors
    ]
