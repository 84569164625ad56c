"""Prompt sessions: one line of work inside a project, with defaults for its prompts."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import datetime

import attrs

from promptlab.domain.errors import ConflictError, FieldError, NotFoundError
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.text import DEFAULT_TEXT_LIMITS, TextLimits, find_text_errors

MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 100
MAX_METADATA_VALUE_LENGTH = 2_000


class SessionStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


@attrs.frozen
class MetadataLimits:
    """Limits of a session's metadata map, in keys and code points. Settings may override each."""

    max_keys: int = MAX_METADATA_KEYS
    max_key_length: int = MAX_METADATA_KEY_LENGTH
    max_value_length: int = MAX_METADATA_VALUE_LENGTH


DEFAULT_METADATA_LIMITS = MetadataLimits()


@attrs.define
class PromptSession:
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    description: str
    default_model: str | None
    default_parameters: GenerationParameters
    metadata: dict[str, str]
    status: SessionStatus
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    def require_active(self) -> None:
        """Raise ConflictError when the session is closed to new prompts and executions."""
        if self.status is SessionStatus.CLOSED:
            raise ConflictError(
                f"Session {self.id} is closed, so it accepts no new prompts or executions. "
                "An editor can reopen it with "
                f"PATCH /api/projects/{self.project_id}/sessions/{self.id}/ "
                'and the body {"status": "active"}.'
            )


@attrs.frozen
class SessionCounts:
    """How many prompts a session has, and how many executions of those prompts."""

    prompts: int
    executions: int


def session_not_found(session_id: uuid.UUID | str) -> NotFoundError:
    """Return the error for a session that is not in the project, or that the caller may not see."""
    return NotFoundError(f"Session {session_id} not found in this project.")


def find_name_errors(
    name: object, *, field: str = "name", limits: TextLimits = DEFAULT_TEXT_LIMITS
) -> list[FieldError]:
    """Return the errors of a session or prompt name: required text of at most the name limit."""
    return find_text_errors(name, field=field, max_length=limits.max_name_length, allow_empty=False)


def find_description_errors(
    description: object,
    *,
    field: str = "description",
    limits: TextLimits = DEFAULT_TEXT_LIMITS,
) -> list[FieldError]:
    """Return the errors of a description: text of at most the description limit, may be empty."""
    return find_text_errors(description, field=field, max_length=limits.max_description_length)


def find_metadata_errors(
    metadata: object,
    *,
    field: str = "metadata",
    limits: MetadataLimits = DEFAULT_METADATA_LIMITS,
) -> list[FieldError]:
    """Return an error for each rule that a metadata map breaks, or an empty list.

    Metadata maps non-empty string keys to string values. Each key and value
    follows the text rules of `find_text_errors`, so neither contains NUL or a
    surrogate. Errors about one entry name the field `metadata.<key>`, and an
    error about the whole map names `metadata`.
    """
    if not isinstance(metadata, Mapping):
        return [FieldError(field, f"must be an object of strings, got {type(metadata).__name__}")]

    errors: list[FieldError] = []
    if len(metadata) > limits.max_keys:
        errors.append(
            FieldError(field, f"must contain at most {limits.max_keys} keys, got {len(metadata)}")
        )

    for key, value in metadata.items():
        if not isinstance(key, str):
            errors.append(FieldError(field, f"keys must be strings, got {type(key).__name__}"))
            continue
        entry = f"{field}.{printable_key(key)}"
        for error in find_text_errors(
            key, field=entry, max_length=limits.max_key_length, allow_empty=False
        ):
            errors.append(FieldError(entry, f"the key {error.message}"))
        for error in find_text_errors(value, field=entry, max_length=limits.max_value_length):
            errors.append(FieldError(entry, f"the value {error.message}"))

    return errors


def printable_key(key: str) -> str:
    """Return `key` with surrogates written as `\\udXXX` escapes, so an error can name it.

    A surrogate cannot be encoded as UTF-8, so an error response that quoted
    the key as it is could not be sent at all.
    """
    return key.encode("utf-8", "backslashreplace").decode("utf-8")
