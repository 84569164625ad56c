"""The OpenAI-compatible adapter over real HTTP against the fake provider server."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from promptlab.adapters.providers.openai_compatible import OpenAICompatibleProvider
from promptlab.application.ports.model_provider import (
    ChatRequest,
    ProviderError,
    ProviderErrorCode,
    StreamEnd,
    TextDelta,
)
from promptlab.domain.catalog import Usage
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.parameters import GenerationParameters
from tests.fakes import Behavior, FakeProviderServer
from tests.integration.providers.support import (
    collect_stream,
    collect_until_error,
    unused_port,
)

API_KEY = "sk-test-openai-0123456789"
REQUEST = ChatRequest(
    model="gpt-fake",
    messages=(
        Message(MessageRole.SYSTEM, "Be brief."),
        Message(MessageRole.USER, "hello there world"),
    ),
    parameters=GenerationParameters(),
)
# The fake counts one token per word plus 3 per message: (2 + 3) + (3 + 3).
EXPECTED_USAGE = Usage(input_tokens=11, output_tokens=4, total_tokens=15, cached_input_tokens=0)


@pytest.fixture
async def provider(fake_server: FakeProviderServer) -> AsyncIterator[OpenAICompatibleProvider]:
    provider = OpenAICompatibleProvider(
        name="fake-openai", base_url=fake_server.openai_base_url, api_key=API_KEY
    )
    yield provider
    await provider.aclose()


async def test_complete_returns_text_and_usage(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    response = await provider.complete(REQUEST, timeout=5)

    assert response.text == "Echo: hello there world"
    assert response.finish_reason == "stop"
    assert response.usage == EXPECTED_USAGE
    assert response.request_id is not None
    assert response.request_id.startswith("req_fake_")


async def test_complete_sends_wire_request(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    request = ChatRequest(
        model="gpt-fake",
        messages=REQUEST.messages,
        parameters=GenerationParameters(
            temperature=0.3, top_p=0.9, max_tokens=64, stop=("END", "STOP"), seed=42
        ),
    )

    await provider.complete(request, timeout=5)

    [recorded] = fake_server.requests
    body = recorded.json
    assert recorded.path == "/v1/chat/completions"
    assert recorded.headers["authorization"] == f"Bearer {API_KEY}"
    assert recorded.headers["content-type"] == "application/json"
    assert body["model"] == "gpt-fake"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello there world"},
    ]
    assert body["stream"] is False
    assert body["temperature"] == 0.3
    assert body["top_p"] == 0.9
    assert body["max_tokens"] == 64
    assert body["stop"] == ["END", "STOP"]
    assert body["seed"] == 42
    assert "stream_options" not in body


async def test_unset_parameters_are_not_sent(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    await provider.complete(REQUEST, timeout=5)

    body = fake_server.requests[0].json
    for field in ("temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed"):
        assert field not in body


async def test_max_completion_tokens_field(fake_server: FakeProviderServer) -> None:
    provider = OpenAICompatibleProvider(
        name="fake-openai",
        base_url=fake_server.openai_base_url,
        api_key=API_KEY,
        max_tokens_field="max_completion_tokens",
    )
    request = ChatRequest(
        model="gpt-fake", messages=REQUEST.messages, parameters=GenerationParameters(max_tokens=2)
    )
    try:
        response = await provider.complete(request, timeout=5)
    finally:
        await provider.aclose()

    body = fake_server.requests[0].json
    assert body["max_completion_tokens"] == 2
    assert "max_tokens" not in body
    assert response.text == "Echo: hello"
    assert response.finish_reason == "length"


async def test_no_api_key_sends_no_authorization(fake_server: FakeProviderServer) -> None:
    provider = OpenAICompatibleProvider(name="local-vllm", base_url=fake_server.openai_base_url)
    try:
        await provider.complete(REQUEST, timeout=5)
    finally:
        await provider.aclose()

    assert "authorization" not in fake_server.requests[0].headers


async def test_response_without_usage_gives_none(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.no_usage())

    response = await provider.complete(REQUEST, timeout=5)

    assert response.text == "Echo: hello there world"
    assert response.usage is None


async def test_cached_tokens_are_read(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.with_usage({"prompt_tokens_details": {"cached_tokens": 8}}))

    response = await provider.complete(REQUEST, timeout=5)

    assert response.usage is not None
    assert response.usage.input_tokens == 11
    assert response.usage.cached_input_tokens == 8


async def test_request_id_falls_back_to_body_id(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.without_request_id())

    response = await provider.complete(REQUEST, timeout=5)

    assert response.request_id is not None
    assert response.request_id.startswith("chatcmpl-fake-")


async def test_stream_yields_deltas_then_end(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    events = await collect_stream(provider, REQUEST)

    deltas = events[:-1]
    end = events[-1]
    assert all(isinstance(event, TextDelta) for event in deltas)
    assert [event.text for event in deltas] == ["Echo:", " hello", " there", " world"]
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == "stop"
    assert end.usage == EXPECTED_USAGE
    assert end.request_id is not None and end.request_id.startswith("req_fake_")


async def test_stream_asks_for_usage(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    await collect_stream(provider, REQUEST)

    [recorded] = fake_server.requests
    assert recorded.json["stream"] is True
    assert recorded.json["stream_options"] == {"include_usage": True}
    assert recorded.headers["accept"] == "text/event-stream"


async def test_stream_without_usage_ends_with_none(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.no_usage())

    events = await collect_stream(provider, REQUEST)

    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.usage is None
    assert end.finish_reason == "stop"


ERROR_CASES = [
    (400, ProviderErrorCode.BAD_REQUEST, False),
    (401, ProviderErrorCode.AUTHENTICATION_FAILED, False),
    (403, ProviderErrorCode.PERMISSION_DENIED, False),
    (404, ProviderErrorCode.NOT_FOUND, False),
    (422, ProviderErrorCode.BAD_REQUEST, False),
    (429, ProviderErrorCode.RATE_LIMITED, True),
    (500, ProviderErrorCode.SERVER_ERROR, True),
    (501, ProviderErrorCode.SERVER_ERROR, False),
    (502, ProviderErrorCode.SERVER_ERROR, True),
    (503, ProviderErrorCode.SERVER_ERROR, True),
    (504, ProviderErrorCode.SERVER_ERROR, True),
    (529, ProviderErrorCode.OVERLOADED, True),
]


@pytest.mark.parametrize(("status", "code", "retryable"), ERROR_CASES)
async def test_complete_error_status_is_classified(
    provider: OpenAICompatibleProvider,
    fake_server: FakeProviderServer,
    status: int,
    code: str,
    retryable: bool,
) -> None:
    fake_server.enqueue(Behavior.error(status))

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    error = caught.value
    assert error.code == code
    assert error.status == status
    assert error.retryable is retryable
    assert error.retry_after is None
    assert f"HTTP {status}" in error.message
    assert "fake-openai" in error.message
    assert API_KEY not in error.message
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize(("status", "code", "retryable"), ERROR_CASES)
async def test_stream_error_status_is_classified(
    provider: OpenAICompatibleProvider,
    fake_server: FakeProviderServer,
    status: int,
    code: str,
    retryable: bool,
) -> None:
    fake_server.enqueue(Behavior.error(status))

    received, error = await collect_until_error(provider, REQUEST)

    assert received == []
    assert error.code == code
    assert error.status == status
    assert error.retryable is retryable
    assert API_KEY not in error.message


async def test_authentication_error_hides_key(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.error(401))

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert API_KEY not in caught.value.message
    assert API_KEY not in str(caught.value)
    assert "Incorrect API key provided: [redacted]" in caught.value.message


async def test_rate_limit_reads_retry_after_seconds(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.error(429, retry_after="7"))

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert caught.value.code == ProviderErrorCode.RATE_LIMITED
    assert caught.value.retryable is True
    assert caught.value.retry_after == 7.0
    assert "retry after 7 s" in caught.value.message


async def test_rate_limit_reads_retry_after_date(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    moment = datetime.now(UTC) + timedelta(seconds=120)
    fake_server.enqueue(Behavior.error(429, retry_after=format_datetime(moment, usegmt=True)))

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert caught.value.retry_after is not None
    assert 100 <= caught.value.retry_after <= 120


async def test_service_unavailable_reads_retry_after(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.error(503, retry_after="3"))

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert caught.value.code == ProviderErrorCode.SERVER_ERROR
    assert caught.value.retry_after == 3.0


async def test_malformed_json_is_invalid_response(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.malformed_json())

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert caught.value.code == ProviderErrorCode.INVALID_RESPONSE
    assert caught.value.retryable is False
    assert caught.value.status == 200


async def test_missing_choices_is_invalid_response(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.missing_fields())

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert caught.value.code == ProviderErrorCode.INVALID_RESPONSE
    assert caught.value.retryable is False
    assert "choices" in caught.value.message


async def test_hanging_server_times_out(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.hang(seconds=3))
    started = time.monotonic()

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=0.3)

    elapsed = time.monotonic() - started
    assert caught.value.code == ProviderErrorCode.TIMEOUT
    assert caught.value.retryable is True
    assert caught.value.status is None
    assert elapsed < 2.0
    assert len(fake_server.requests) == 1


async def test_refused_connection_is_connection_failed() -> None:
    provider = OpenAICompatibleProvider(
        name="nowhere", base_url=f"http://127.0.0.1:{unused_port()}/v1", api_key=API_KEY
    )
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.complete(REQUEST, timeout=2)
    finally:
        await provider.aclose()

    assert caught.value.code == ProviderErrorCode.CONNECTION_FAILED
    assert caught.value.retryable is True
    assert caught.value.status is None
    assert "nowhere" in caught.value.message


async def test_stream_refused_connection_is_connection_failed() -> None:
    provider = OpenAICompatibleProvider(
        name="nowhere", base_url=f"http://127.0.0.1:{unused_port()}/v1"
    )
    try:
        received, error = await collect_until_error(provider, REQUEST, timeout=2)
    finally:
        await provider.aclose()

    assert received == []
    assert error.code == ProviderErrorCode.CONNECTION_FAILED
    assert error.retryable is True


async def test_stream_hang_before_headers_times_out(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.hang(seconds=3))

    received, error = await collect_until_error(provider, REQUEST, timeout=0.3)

    assert received == []
    assert error.code == ProviderErrorCode.TIMEOUT
    assert error.retryable is True


async def test_stream_cut_midway_is_interrupted(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.cut_stream(after_deltas=2))

    received, error = await collect_until_error(provider, REQUEST)

    assert received == [TextDelta("Echo:"), TextDelta(" hello")]
    assert error.code == ProviderErrorCode.STREAM_INTERRUPTED
    assert error.retryable is False
    assert error.status is None


async def test_stream_ended_without_done_is_interrupted(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.end_stream_early(after_deltas=1))

    received, error = await collect_until_error(provider, REQUEST)

    assert received == [TextDelta("Echo:")]
    assert error.code == ProviderErrorCode.STREAM_INTERRUPTED
    assert "[DONE]" in error.message


async def test_stream_stall_times_out(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.stall_stream(after_deltas=3, seconds=3))
    started = time.monotonic()

    received, error = await collect_until_error(provider, REQUEST, timeout=0.3)

    assert received == [TextDelta("Echo:"), TextDelta(" hello"), TextDelta(" there")]
    assert error.code == ProviderErrorCode.TIMEOUT
    assert error.retryable is True
    assert time.monotonic() - started < 2.0


async def test_stream_malformed_event_is_invalid_response(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.malformed_json())

    received, error = await collect_until_error(provider, REQUEST)

    assert received == []
    assert error.code == ProviderErrorCode.INVALID_RESPONSE
    assert error.retryable is False


async def test_stream_error_chunk_is_classified(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    # The fake sends {"error": {..., "code": 503}} after two deltas, as vLLM does.
    fake_server.enqueue(Behavior.stream_error("server_error", after_deltas=2))

    received, error = await collect_until_error(provider, REQUEST)

    assert received == [TextDelta("Echo:"), TextDelta(" hello")]
    assert error.code == ProviderErrorCode.SERVER_ERROR
    assert error.retryable is True
    assert error.status is None
    assert "server_error" in error.message


async def test_each_call_is_one_attempt(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.error(503), Behavior.error(503))

    for _ in range(2):
        with pytest.raises(ProviderError):
            await provider.complete(REQUEST, timeout=5)
    response = await provider.complete(REQUEST, timeout=5)

    assert response.text == "Echo: hello there world"
    assert len(fake_server.requests) == 3


def test_provider_is_built_outside_event_loop() -> None:
    # The registry builds providers before the server's event loop runs, so
    # the connection pool must wait for the first call.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        provider = OpenAICompatibleProvider(
            name="fake-openai", base_url="https://api.example.test/v1", api_key=API_KEY
        )

    # A loop of its own, which leaves the test session's event loop untouched.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(provider.aclose())
    finally:
        loop.close()


async def test_closed_provider_rejects_calls(fake_server: FakeProviderServer) -> None:
    provider = OpenAICompatibleProvider(
        name="fake-openai", base_url=fake_server.openai_base_url, api_key=API_KEY
    )
    await provider.complete(REQUEST, timeout=5)
    await provider.aclose()

    with pytest.raises(RuntimeError, match="is closed"):
        await provider.complete(REQUEST, timeout=5)
    assert len(fake_server.requests) == 1


async def test_provider_rejects_second_event_loop(
    provider: OpenAICompatibleProvider, fake_server: FakeProviderServer
) -> None:
    await provider.complete(REQUEST, timeout=5)

    def call_from_new_loop() -> None:
        asyncio.run(provider.complete(REQUEST, timeout=5))

    with pytest.raises(RuntimeError, match="another event loop"):
        await asyncio.to_thread(call_from_new_loop)
    assert len(fake_server.requests) == 1
