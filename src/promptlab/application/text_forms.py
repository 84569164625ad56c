"""The text forms in which list reads carry identifiers and times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from promptlab.application.pagination import Cursor


def timestamp_text(moment: datetime) -> str:
    """Return `moment` as RFC 3339 text in UTC, ending in `Z`.

    Microseconds appear only when there are any, as six digits:
    "2026-12-05T01:02:03Z", "2026-12-05T01:02:03.000450Z". This is also how
    the HTTP edge encodes a datetime, so a time reads the same in a list
    and in a detail response.
    """
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r} given where an aware time is required")
    # isoformat leaves out a zero fraction and always writes four year digits.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def cursor_after(item_id: str, created_at: str) -> Cursor:
    """Return the cursor that continues a list after the item with this id and creation time."""
    return Cursor(created_at=datetime.fromisoformat(created_at), id=uuid.UUID(item_id))
