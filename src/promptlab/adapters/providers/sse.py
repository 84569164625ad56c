"""Server-sent events parsing, as the WHATWG HTML standard defines the format."""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterable, AsyncIterator

import attrs


@attrs.frozen
class ServerSentEvent:
    """One dispatched event. `event` is None when the server sent no `event:` field."""

    event: str | None
    data: str
    id: str | None = None


async def iter_lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[str]:
    """Yield the lines of a UTF-8 byte stream without their line endings.

    Lines end at CRLF, LF or CR, as the event-stream format defines, and at
    nothing else, so U+2028 and other Unicode line breaks inside the data stay
    in it. Invalid UTF-8 becomes U+FFFD. A last line without an ending is
    yielded too.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    # The start of a line whose ending has not arrived yet.
    pending = ""
    async for chunk in chunks:
        text = pending + decoder.decode(chunk)
        # A CR at the end may be the first half of a CRLF split across chunks,
        # so it waits for the next chunk.
        trailing_cr = ""
        if text.endswith("\r"):
            text = text[:-1]
            trailing_cr = "\r"
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        pending = lines.pop() + trailing_cr
        for line in lines:
            yield line

    text = pending + decoder.decode(b"", final=True)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    last = lines.pop()
    for line in lines:
        yield line
    if last:
        yield last


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
        value = value.removeprefix(" ")

        if name == "event":
            event = value
            has_fields = True
        elif name == "data":
            data.append(value)
            has_fields = True
        elif name == "id" and "\0" not in value:
            last_id = value
        # "retry" and unknown fields do not affect parsing here.
