"""Server-sent events: framing and a streaming response that always closes its source."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar.background_tasks import BackgroundTask
from litestar.response import Stream

EVENT_STREAM_MEDIA_TYPE = "text/event-stream"


def sse_event(event: str, data: Any) -> bytes:
    """Frame one event. `data` is encoded as JSON, which never contains a line break."""
    return b"event: " + event.encode("ascii") + b"\ndata: " + msgspec.json.encode(data) + b"\n\n"


def event_stream(events: AsyncIterator[bytes], *, status_code: int) -> Stream:
    """Stream `events`, and close the generator after the response ends however it ends.

    When the client disconnects while the server is sending, Litestar cancels
    the send and drops the generator without closing it. Closing it as a
    background task runs its cleanup (recording a cancelled execution) at once
    rather than whenever it is garbage-collected.
    """
    return Stream(
        events,
        status_code=status_code,
        media_type=EVENT_STREAM_MEDIA_TYPE,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(events.aclose),  # type: ignore[attr-defined]
    )
