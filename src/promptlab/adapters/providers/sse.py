"""Server-sent events parsing, as the WHATWG HTML standard defines the format."""

from __future__ import annotations

from collections.abc import AsyncIterator

import attrs


@attrs.frozen
class ServerSentEvent:
    """One dispatched event. `event` is None when the server sent no `event:` field."""

    event: str | None
    data: str
    id: str | None = None


async def iter_sse(lines: AsyncIterator[str]) -> AsyncIterator[ServerSentEvent]:
    """Yield the events in a stream of text lines without their line endings.

    An event is dispatched at each blank line. Several `data:` lines are joined
    with newlines, comment lines (starting with a colon) are skipped, and an
    unfinished event at the end of the stream is dropped, as the standard requires.
    """
    event: str | None = None
    data: list[str] = []
    last_id: str | None = None
    has_fields = False

    async for line in lines:
        line = line.rstrip("\r\n")
        if not line:
            if has_fields and (data or event is not None):
                yield ServerSentEvent(event=event, data="\n".join(data), id=last_id)
            event = None
            data = []
            has_fields = False
            continue

        if line.startswith(":"):
            continue

        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]

        if name == "event":
            event = value
            has_fields = True
        elif name == "data":
            data.append(value)
            has_fields = True
        elif name == "id" and "\0" not in value:
            last_id = value
        # "retry" and unknown fields do not affect parsing here.
