"""Parsing shared by the HTTP adapters: Retry-After, error bodies, lines and server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from promptlab.adapters.providers.errors import (
    parse_retry_after,
    retry_after_from_headers,
    upstream_error_message,
)
from promptlab.adapters.providers.sse import ServerSentEvent, iter_lines, iter_sse

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (" 30 ", 30.0),
        ("Fri, 04 Dec 2026 12:00:45 GMT", 45.0),
        ("Fri, 04 Dec 2026 11:59:00 GMT", 0.0),
        ("-3", None),
        ("soon", None),
        ("", None),
        ("inf", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_retry_after_ms_takes_precedence() -> None:
    headers = {"retry-after-ms": "1500", "retry-after": "9"}

    assert retry_after_from_headers(headers) == 1.5


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '{"error": {"message": "Rate limit reached.", "type": "requests"}}',
            "Rate limit reached.",
        ),
        (
            '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
            "Overloaded",
        ),
        ('{"detail": "Not Found"}', "Not Found"),
        ('{"error": "model not loaded"}', "model not loaded"),
        ("<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
        ("", None),
    ],
)
def test_upstream_error_message(body: str, expected: str | None) -> None:
    assert upstream_error_message(body) == expected


def test_upstream_error_message_is_shortened() -> None:
    message = upstream_error_message("x" * 1000)

    assert message is not None
    assert len(message) == 300
    assert message.endswith("...")


async def lines_of(text: str) -> AsyncIterator[str]:
    for line in text.splitlines():
        yield line


async def parse(text: str) -> list[ServerSentEvent]:
    return [event async for event in iter_sse(lines_of(text))]


async def test_sse_events_with_names_and_data() -> None:
    events = await parse('event: message_start\ndata: {"a": 1}\n\nevent: ping\ndata: {}\n\n')

    assert events == [
        ServerSentEvent(event="message_start", data='{"a": 1}'),
        ServerSentEvent(event="ping", data="{}"),
    ]


async def test_sse_joins_data_lines_and_skips_comments() -> None:
    events = await parse(": keep-alive\ndata: first\ndata:second\nid: 7\n\n")

    assert events == [ServerSentEvent(event=None, data="first\nsecond", id="7")]


async def test_sse_handles_crlf_line_endings() -> None:
    events = await parse("data: one\r\n\r\ndata: two\r\n\r\n")

    assert [event.data for event in events] == ["one", "two"]


async def test_sse_drops_unfinished_final_event() -> None:
    events = await parse("data: complete\n\ndata: cut")

    assert [event.data for event in events] == ["complete"]


async def test_sse_ignores_blank_lines_between_events() -> None:
    events = await parse("\n\ndata: [DONE]\n\n\n")

    assert events == [ServerSentEvent(event=None, data="[DONE]")]


async def chunks_of(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def split(*pieces: bytes) -> list[str]:
    return [line async for line in iter_lines(chunks_of(*pieces))]


async def test_lines_split_at_lf_crlf_and_cr() -> None:
    assert await split(b"one\ntwo\r\nthree\rfour\n") == ["one", "two", "three", "four"]


async def test_lines_join_crlf_across_chunks() -> None:
    assert await split(b"one\r", b"\ntwo\r", b"\r\n") == ["one", "two", ""]


async def test_lines_keep_blank_lines() -> None:
    assert await split(b"data: x\n\n", b"\n") == ["data: x", "", ""]


async def test_lines_join_pieces_of_one_line() -> None:
    assert await split(b"da", b"ta: ", b"split\n") == ["data: split"]


async def test_lines_decode_utf8_split_across_chunks() -> None:
    encoded = "data: 漢字 🙂\n".encode()

    assert await split(encoded[:8], encoded[8:9], encoded[9:]) == ["data: 漢字 🙂"]


async def test_lines_keep_unicode_line_breaks() -> None:
    text = "a\u2028b\u2029c\x85d\x0be\x0cf\x1cg"

    assert await split(f"{text}\n".encode()) == [text]


async def test_lines_replace_invalid_utf8() -> None:
    assert await split(b"bad \xff byte\n") == ["bad \ufffd byte"]


async def test_lines_yield_last_line_without_end() -> None:
    assert await split(b"one\ntwo") == ["one", "two"]


async def test_lines_end_with_final_cr() -> None:
    assert await split(b"one\r") == ["one"]


async def test_lines_of_empty_body() -> None:
    assert await split() == []
