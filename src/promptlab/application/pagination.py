"""Keyset pagination shared by every list: newest first, by creation time then id."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Generic, TypeVar

import attrs

from promptlab.application.errors import InvalidCursorError
from promptlab.domain.errors import FieldError, ValidationError

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@attrs.frozen
class Cursor:
    """Position after the last item of a page: items strictly older come next."""

    created_at: datetime
    id: uuid.UUID


@attrs.frozen
class PageRequest:
    limit: int = DEFAULT_PAGE_SIZE
    after: Cursor | None = None


@attrs.frozen
class Page(Generic[T]):
    items: list[T]
    next: Cursor | None


def encode_cursor(cursor: Cursor) -> str:
    raw = f"{cursor.created_at.isoformat()}|{cursor.id.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> Cursor:
    """Parse a cursor from a previous page's `next`. Raises InvalidCursorError on anything else."""
    try:
        padded = value + "=" * (-len(value) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
        timestamp, _, hex_id = raw.partition("|")
        created_at = datetime.fromisoformat(timestamp)
        cursor_id = uuid.UUID(hex=hex_id)
    except (ValueError, UnicodeError, binascii.Error) as error:
        raise InvalidCursorError(
            "The cursor is invalid. Pass the `next` value of a previous page unchanged, "
            "or omit `cursor` to start from the first page."
        ) from error
    if created_at.tzinfo is None:
        raise InvalidCursorError("The cursor is invalid: its timestamp has no time zone.")
    try:
        # Stored times are UTC; a time at the edge of the calendar in another
        # offset (0001-01-01T00:00:00+01:00) has no UTC equivalent.
        created_at = created_at.astimezone(UTC)
    except OverflowError as error:
        raise InvalidCursorError(
            "The cursor is invalid: its timestamp is outside the range of dates. Pass the "
            "`next` value of a previous page unchanged, or omit `cursor`."
        ) from error
    return Cursor(created_at=created_at, id=cursor_id)


def build_page_request(
    limit: int | None,
    cursor: str | None,
    *,
    default_limit: int = DEFAULT_PAGE_SIZE,
    max_limit: int = MAX_PAGE_SIZE,
) -> PageRequest:
    """Validate list parameters from a client. An out-of-range limit is a 422 on `limit`."""
    if limit is None:
        limit = default_limit
    if not 1 <= limit <= max_limit:
        raise ValidationError(
            FieldError("limit", f"must be between 1 and {max_limit}, got {limit}")
        )
    after = decode_cursor(cursor) if cursor else None
    return PageRequest(limit=limit, after=after)
