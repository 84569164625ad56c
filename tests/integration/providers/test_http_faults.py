"""Transport faults and HTTP edge cases for both HTTP adapters, over real sockets on loopback.

The fake provider server covers statuses, hangs and streams cut by the
server. These tests use ScriptedServer for what it cannot send: redirects,
trickled bodies, resets, endless error bodies, proxying and raw bytes in
server-sent events.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from promptlab.adapters.providers.anthropic import AnthropicProvider
from promptlab.adapters.providers.http import MAX_ERROR_BODY_BYTES
from promptlab.adapters.providers.openai_compatible import OpenAICompatibleProvider
from promptlab.application.ports.model_provider import (
    ChatRequest,
    ModelProvider,
    ProviderError,
    ProviderErrorCode,
    StreamEnd,
    TextDelta,
)
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.parameters import GenerationParameters
from tests.integration.providers.scripted_server import (
    LAST_CHUNK,
    ReceivedRequest,
    Responder,
    ScriptedServer,
    chunk,
    reset_connection,
    response_head,
)
from tests.integration.providers.support import (
    collect_stream,
    collect_until_error,
    unused_port,
)

API_KEY = "sk-test-faults-0123456789"
REQUEST = ChatRequest(
    model="fake-model",
    messages=(Message(MessageRole.USER, "hello"),),
    parameters=GenerationParameters(max_tokens=16),
)
KINDS = ["openai", "anthropic"]

# How long a scripted server stalls when a test expects the client to give up first.
STALL_SECONDS = 30.0


def make_provider(kind: str, server_url: str, **options: float) -> ModelProvider:
    """Build the adapter of `kind` pointed at `server_url` as its provider would be configured."""
    if kind == "openai":
        return OpenAICompatibleProvider(
            name="fault-openai", base_url=f"{server_url}/v1", api_key=API_KEY, **options
        )
    return AnthropicProvider(
        name="fault-anthropic", base_url=server_url, api_key=API_KEY, **options
    )


async def expect_complete_error(provider: ModelProvider, *, timeout: float) -> ProviderError:
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.complete(REQUEST, timeout=timeout)
    finally:
        await provider.aclose()
    return caught.value


async def expect_stream_error(
    provider: ModelProvider, *, timeout: float
) -> tuple[list[object], ProviderError]:
    try:
        return await collect_until_error(provider, REQUEST, timeout=timeout)
    finally:
        await provider.aclose()


def openai_completion_body(text: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5},
        }
    ).encode()


def openai_stream_events(text: str) -> bytes:
    """An OpenAI stream of one delta containing `text`, encoded as UTF-8 without escaping."""
    chunks = [
        {"id": "chatcmpl-scripted", "choices": [{"index": 0, "delta": {"content": text}}]},
        {
            "id": "chatcmpl-scripted",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        },
    ]
    lines = [f"data: {json.dumps(c, ensure_ascii=False)}\n\n" for c in chunks]
    lines.append("data: [DONE]\n\n")
    return "".join(lines).encode("utf-8")


def first_event(kind: str) -> bytes:
    """One text delta in the wire format of `kind`, as it opens a stream."""
    if kind == "openai":
        data = {"id": "chatcmpl-scripted", "choices": [{"index": 0, "delta": {"content": "Hi"}}]}
        return f"data: {json.dumps(data)}\n\n".encode()
    data = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": "Hi"},
    }
    return f"event: content_block_delta\ndata: {json.dumps(data)}\n\n".encode()


STREAM_HEADERS = {"content-type": "text/event-stream", "transfer-encoding": "chunked"}


# Redirects


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("streamed", [False, True], ids=["complete", "stream"])
async def test_redirect_is_not_followed(kind: str, streamed: bool) -> None:
    async def never_called(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(response_head(200, {"content-length": "0"}))

    async with ScriptedServer(never_called) as target:

        async def redirect(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
            location = f"{target.base_url}/v1/elsewhere"
            writer.write(response_head(307, {"location": location, "content-length": "0"}))

        async with ScriptedServer(redirect) as server:
            provider = make_provider(kind, server.base_url)
            if streamed:
                received, error = await expect_stream_error(provider, timeout=5)
                assert received == []
            else:
                error = await expect_complete_error(provider, timeout=5)

    assert error.status == 307
    assert error.code == ProviderErrorCode.BAD_REQUEST
    assert error.retryable is False
    assert len(server.requests) == 1
    assert target.requests == []


# Slow and endless bodies


@pytest.mark.parametrize("kind", KINDS)
async def test_trickled_body_times_out(kind: str) -> None:
    async def trickle(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(
            response_head(200, {"content-type": "application/json", "content-length": "100000"})
        )
        for _ in range(int(STALL_SECONDS / 0.05)):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.05)

    async with ScriptedServer(trickle) as server:
        started = time.monotonic()
        error = await expect_complete_error(make_provider(kind, server.base_url), timeout=0.5)
        elapsed = time.monotonic() - started

    assert error.code == ProviderErrorCode.TIMEOUT
    assert error.retryable is True
    assert error.status is None
    assert elapsed < 2.0


@pytest.mark.parametrize("kind", KINDS)
async def test_stream_trickle_without_event_times_out(kind: str) -> None:
    # Bytes keep arriving, but never a whole event, so each wait for an event must still end.
    async def trickle(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(response_head(200, STREAM_HEADERS) + chunk(first_event(kind)))
        writer.write(chunk(b"data: {"))
        for _ in range(int(STALL_SECONDS / 0.05)):
            writer.write(chunk(b" "))
            await writer.drain()
            await asyncio.sleep(0.05)

    async with ScriptedServer(trickle) as server:
        started = time.monotonic()
        received, error = await expect_stream_error(
            make_provider(kind, server.base_url), timeout=0.5
        )
        elapsed = time.monotonic() - started

    assert received == [TextDelta("Hi")]
    assert error.code == ProviderErrorCode.TIMEOUT
    assert "no stream event within 0.5 s" in error.message
    assert elapsed < 2.0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("streamed", [False, True], ids=["complete", "stream"])
async def test_endless_error_body_is_cut_at_limit(kind: str, streamed: bool) -> None:
    # The body never ends, so only a client that stops reading at the limit
    # reports the status rather than a timeout.
    async def endless(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(
            response_head(500, {"content-type": "text/plain", "transfer-encoding": "chunked"})
        )
        writer.write(chunk(b"x" * (MAX_ERROR_BODY_BYTES + 1024)))
        await writer.drain()
        await asyncio.sleep(STALL_SECONDS)

    async with ScriptedServer(endless) as server:
        provider = make_provider(kind, server.base_url)
        if streamed:
            _, error = await expect_stream_error(provider, timeout=2)
        else:
            error = await expect_complete_error(provider, timeout=2)

    assert error.code == ProviderErrorCode.SERVER_ERROR
    assert error.status == 500
    assert error.retryable is True
    assert "HTTP 500" in error.message
    assert error.message.endswith("...")


# Resets


@pytest.mark.parametrize("kind", KINDS)
async def test_reset_before_response_is_connection_failed(kind: str) -> None:
    async def reset(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        reset_connection(writer)

    async with ScriptedServer(reset) as server:
        error = await expect_complete_error(make_provider(kind, server.base_url), timeout=5)

    assert error.code == ProviderErrorCode.CONNECTION_FAILED
    assert error.retryable is True
    assert error.status is None
    assert "failed before a complete response arrived" in error.message


@pytest.mark.parametrize("kind", KINDS)
async def test_reset_mid_body_is_connection_failed(kind: str) -> None:
    async def reset(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(
            response_head(200, {"content-type": "application/json", "content-length": "500"})
        )
        writer.write(b'{"id": "partial", ')
        await writer.drain()
        await asyncio.sleep(0.05)
        reset_connection(writer)

    async with ScriptedServer(reset) as server:
        error = await expect_complete_error(make_provider(kind, server.base_url), timeout=5)

    assert error.code == ProviderErrorCode.CONNECTION_FAILED
    assert error.retryable is True
    assert "failed before a complete response arrived" in error.message


@pytest.mark.parametrize("kind", KINDS)
async def test_stream_reset_midway_is_interrupted(kind: str) -> None:
    async def reset(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(response_head(200, STREAM_HEADERS) + chunk(first_event(kind)))
        await writer.drain()
        await asyncio.sleep(0.05)
        reset_connection(writer)

    async with ScriptedServer(reset) as server:
        received, error = await expect_stream_error(make_provider(kind, server.base_url), timeout=5)

    assert received == [TextDelta("Hi")]
    assert error.code == ProviderErrorCode.STREAM_INTERRUPTED
    assert error.retryable is False
    assert "the connection failed" in error.message


# Connecting


@pytest.fixture
def unresponsive_port() -> Iterator[int]:
    """A loopback port whose listener never accepts, so new connections hang in SYN_SENT.

    Linux drops a SYN when the listener's accept queue is full, and a backlog
    of 0 fills it with one or two waiting connections.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_connect_timeout_is_connection_failed(kind: str, unresponsive_port: int) -> None:
    provider = make_provider(kind, f"http://127.0.0.1:{unresponsive_port}", connect_timeout=0.3)
    started = time.monotonic()

    error = await expect_complete_error(provider, timeout=5)

    assert error.code == ProviderErrorCode.CONNECTION_FAILED
    assert error.retryable is True
    assert "within 0.3 s" in error.message
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("kind", KINDS)
async def test_non_http_base_url_is_rejected(kind: str) -> None:
    provider = make_provider(kind, "ftp://127.0.0.1:21")

    error = await expect_complete_error(provider, timeout=5)

    assert error.code == ProviderErrorCode.CONNECTION_FAILED
    assert error.retryable is False
    assert "use http:// or https://" in error.message


# Proxies from the environment


@pytest.fixture
def proxy_environment(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set the proxy variables for one test, with no others left from the real environment."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)

    def configure(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return configure


async def test_environment_proxy_is_used(proxy_environment: Callable[..., None]) -> None:
    async def proxy(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        body = openai_completion_body("proxied")
        headers = {"content-type": "application/json", "content-length": str(len(body))}
        writer.write(response_head(200, headers) + body)

    async with ScriptedServer(proxy) as server:
        proxy_environment(HTTP_PROXY=server.base_url.replace("http://", "http://user:pa55@"))
        target = f"http://127.0.0.1:{unused_port()}"
        provider = make_provider("openai", target)
        try:
            response = await provider.complete(REQUEST, timeout=5)
        finally:
            await provider.aclose()

    [received] = server.requests
    assert response.text == "proxied"
    assert received.request_line == f"POST {target}/v1/chat/completions HTTP/1.1"
    assert received.headers["proxy-authorization"] == "Basic " + base64.b64encode(
        b"user:pa55"
    ).decode("ascii")
    assert received.headers["authorization"] == f"Bearer {API_KEY}"


async def test_no_proxy_host_is_reached_directly(proxy_environment: Callable[..., None]) -> None:
    async def proxy(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(response_head(500, {"content-length": "0"}))

    async with ScriptedServer(proxy) as server:
        proxy_environment(HTTP_PROXY=server.base_url, NO_PROXY="127.0.0.1")
        # Nothing listens on the target, so a direct connection is refused.
        provider = make_provider("openai", f"http://127.0.0.1:{unused_port()}")
        error = await expect_complete_error(provider, timeout=5)

    assert error.code == ProviderErrorCode.CONNECTION_FAILED
    assert server.requests == []


# Bytes inside server-sent events


def serve_stream(events: bytes, *, piece_size: int = 7) -> Responder:
    """Respond with `events` as a stream, sent in pieces of `piece_size` bytes.

    Small pieces split events, line ends and UTF-8 sequences across reads.
    """

    async def respond(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(response_head(200, STREAM_HEADERS))
        for start in range(0, len(events), piece_size):
            writer.write(chunk(events[start : start + piece_size]))
            await writer.drain()
        writer.write(LAST_CHUNK)

    return respond


@pytest.mark.parametrize(
    "text",
    ["line\u2028separator", "paragraph\u2029separator", "next\x85line", "é ü 漢字 🙂"],
    ids=["line-separator", "paragraph-separator", "next-line", "multibyte"],
)
async def test_stream_keeps_unicode_line_breaks(text: str) -> None:
    # The SSE format ends lines only at CR, LF or CRLF. Other Unicode line
    # breaks inside JSON strings belong to the data.
    async with ScriptedServer(serve_stream(openai_stream_events(text))) as server:
        provider = make_provider("openai", server.base_url)
        try:
            events = await collect_stream(provider, REQUEST)
        finally:
            await provider.aclose()

    assert events[0] == TextDelta(text)
    assert isinstance(events[-1], StreamEnd)
    assert events[-1].finish_reason == "stop"


async def test_stream_reads_event_longer_than_buffers() -> None:
    text = "word " * 40_000
    async with ScriptedServer(serve_stream(openai_stream_events(text), piece_size=4096)) as server:
        provider = make_provider("openai", server.base_url)
        try:
            events = await collect_stream(provider, REQUEST, timeout=10)
        finally:
            await provider.aclose()

    assert events[0] == TextDelta(text)
    assert len(events) == 2


async def test_stream_reads_carriage_return_line_ends() -> None:
    events_lf = openai_stream_events("cr only")
    async with ScriptedServer(serve_stream(events_lf.replace(b"\n", b"\r"))) as server:
        provider = make_provider("openai", server.base_url)
        try:
            events = await collect_stream(provider, REQUEST)
        finally:
            await provider.aclose()

    assert events[0] == TextDelta("cr only")
    assert isinstance(events[-1], StreamEnd)


@pytest.mark.parametrize("kind", KINDS)
async def test_tunnel_request_carries_no_api_key(
    kind: str, proxy_environment: Callable[..., None]
) -> None:
    # Through a proxy an https:// provider is reached over a CONNECT tunnel,
    # and the proxy must see only the proxy credentials, never the API key.
    async def reject_tunnel(request: ReceivedRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(response_head(403, {"content-length": "0"}))

    async with ScriptedServer(reject_tunnel) as server:
        proxy_environment(HTTPS_PROXY=server.base_url.replace("http://", "http://user:pa55@"))
        target_port = unused_port()
        provider = make_provider(kind, f"https://127.0.0.1:{target_port}")
        error = await expect_complete_error(provider, timeout=5)

    [received] = server.requests
    assert received.request_line == f"CONNECT 127.0.0.1:{target_port} HTTP/1.1"
    assert received.headers["proxy-authorization"] == "Basic " + base64.b64encode(
        b"user:pa55"
    ).decode("ascii")
    assert API_KEY not in repr(received.headers)
    assert "authorization" not in received.headers
    assert error.code == ProviderErrorCode.CONNECTION_FAILED
    assert API_KEY not in error.message
