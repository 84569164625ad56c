"""The Anthropic Messages adapter over real HTTP against the fake provider server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from promptlab.adapters.providers.anthropic import (
    ANTHROPIC_VERSION,
    FALLBACK_MAX_TOKENS,
    AnthropicProvider,
)
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

API_KEY = "sk-ant-test-0123456789"
MODEL_MAX_OUTPUT = 64000
REQUEST = ChatRequest(
    model="claude-fake",
    messages=(
        Message(MessageRole.SYSTEM, "Be brief."),
        Message(MessageRole.USER, "hello there world"),
    ),
    parameters=GenerationParameters(),
)
# The fake counts one token per word plus 3 per message, the system prompt included.
EXPECTED_USAGE = Usage(input_tokens=11, output_tokens=4, total_tokens=15, cached_input_tokens=0)


@pytest.fixture
async def provider(fake_server: FakeProviderServer) -> AsyncIterator[AnthropicProvider]:
    provider = AnthropicProvider(
        name="fake-anthropic",
        base_url=fake_server.anthropic_base_url,
        api_key=API_KEY,
        max_output_tokens={"claude-fake": MODEL_MAX_OUTPUT},
    )
    yield provider
    await provider.aclose()


async def test_complete_returns_text_and_usage(provider: AnthropicProvider) -> None:
    response = await provider.complete(REQUEST, timeout=5)

    assert response.text == "Echo: hello there world"
    assert response.finish_reason == "end_turn"
    assert response.usage == EXPECTED_USAGE
    assert response.request_id is not None
    assert response.request_id.startswith("req_fake_")


async def test_complete_sends_wire_request(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    request = ChatRequest(
        model="claude-fake",
        messages=REQUEST.messages,
        parameters=GenerationParameters(
            temperature=0.3, top_p=0.9, max_tokens=64, stop=("END",), seed=42
        ),
    )

    await provider.complete(request, timeout=5)

    [recorded] = fake_server.requests
    body = recorded.json
    assert recorded.path == "/v1/messages"
    assert recorded.headers["x-api-key"] == API_KEY
    assert recorded.headers["anthropic-version"] == ANTHROPIC_VERSION
    assert "authorization" not in recorded.headers
    assert recorded.headers["content-type"] == "application/json"
    assert body["model"] == "claude-fake"
    assert body["max_tokens"] == 64
    assert body["temperature"] == 0.3
    assert body["top_p"] == 0.9
    assert body["stop_sequences"] == ["END"]
    assert body["stream"] is False
    assert "stop" not in body
    assert "seed" not in body


async def test_system_messages_go_to_system_field(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    request = ChatRequest(
        model="claude-fake",
        messages=(
            Message(MessageRole.SYSTEM, "You are a poet."),
            Message(MessageRole.USER, "Write about rain."),
            Message(MessageRole.ASSISTANT, "Rain falls."),
            Message(MessageRole.SYSTEM, "Answer in English."),
            Message(MessageRole.USER, "More please."),
        ),
        parameters=GenerationParameters(),
    )

    response = await provider.complete(request, timeout=5)

    body = fake_server.requests[0].json
    assert body["system"] == "You are a poet.\n\nAnswer in English."
    assert body["messages"] == [
        {"role": "user", "content": "Write about rain."},
        {"role": "assistant", "content": "Rain falls."},
        {"role": "user", "content": "More please."},
    ]
    assert response.text == "Echo: More please."


async def test_no_system_messages_sends_no_system(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    request = ChatRequest(
        model="claude-fake",
        messages=(Message(MessageRole.USER, "hi"),),
        parameters=GenerationParameters(),
    )

    await provider.complete(request, timeout=5)

    assert "system" not in fake_server.requests[0].json


async def test_max_tokens_defaults_to_model_limit(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    await provider.complete(REQUEST, timeout=5)

    assert fake_server.requests[0].json["max_tokens"] == MODEL_MAX_OUTPUT


async def test_max_tokens_fallback_for_unlisted_model(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    request = ChatRequest(
        model="claude-unlisted", messages=REQUEST.messages, parameters=GenerationParameters()
    )

    await provider.complete(request, timeout=5)

    assert fake_server.requests[0].json["max_tokens"] == FALLBACK_MAX_TOKENS


async def test_max_tokens_sent_when_streaming(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    await collect_stream(provider, REQUEST)

    body = fake_server.requests[0].json
    assert body["max_tokens"] == MODEL_MAX_OUTPUT
    assert body["stream"] is True
    assert body["system"] == "Be brief."


async def test_max_tokens_reached_is_reported(provider: AnthropicProvider) -> None:
    request = ChatRequest(
        model="claude-fake",
        messages=REQUEST.messages,
        parameters=GenerationParameters(max_tokens=2),
    )

    response = await provider.complete(request, timeout=5)

    assert response.text == "Echo: hello"
    assert response.finish_reason == "max_tokens"


async def test_stop_sequence_is_reported(provider: AnthropicProvider) -> None:
    request = ChatRequest(
        model="claude-fake",
        messages=REQUEST.messages,
        parameters=GenerationParameters(stop=("there",)),
    )

    response = await provider.complete(request, timeout=5)

    assert response.text == "Echo: hello"
    assert response.finish_reason == "stop_sequence"


async def test_temperature_above_one_is_rejected(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    request = ChatRequest(
        model="claude-fake",
        messages=REQUEST.messages,
        parameters=GenerationParameters(temperature=1.5),
    )

    with pytest.raises(ProviderError) as caught:
        await provider.complete(request, timeout=5)

    assert caught.value.code == ProviderErrorCode.BAD_REQUEST
    assert caught.value.retryable is False
    assert "between 0 and 1" in caught.value.message
    assert fake_server.requests == []


async def test_cache_tokens_count_as_input(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(
        Behavior.with_usage(
            {
                "input_tokens": 10,
                "cache_read_input_tokens": 100,
                "cache_creation_input_tokens": 20,
                "output_tokens": 5,
            }
        )
    )

    response = await provider.complete(REQUEST, timeout=5)

    assert response.usage == Usage(
        input_tokens=130, output_tokens=5, total_tokens=135, cached_input_tokens=100
    )


async def test_stream_cache_tokens_count_as_input(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(
        Behavior.with_usage(
            {"input_tokens": 3, "cache_read_input_tokens": 40, "cache_creation_input_tokens": 7}
        )
    )

    events = await collect_stream(provider, REQUEST)

    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.usage == Usage(
        input_tokens=50, output_tokens=4, total_tokens=54, cached_input_tokens=40
    )


async def test_response_without_usage_gives_none(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.no_usage())

    response = await provider.complete(REQUEST, timeout=5)

    assert response.text == "Echo: hello there world"
    assert response.usage is None


async def test_request_id_falls_back_to_message_id(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.without_request_id())

    response = await provider.complete(REQUEST, timeout=5)

    assert response.request_id is not None
    assert response.request_id.startswith("msg_fake_")


async def test_stream_yields_deltas_then_end(provider: AnthropicProvider) -> None:
    events = await collect_stream(provider, REQUEST)

    deltas = events[:-1]
    end = events[-1]
    assert [event.text for event in deltas if isinstance(event, TextDelta)] == [
        "Echo:",
        " hello",
        " there",
        " world",
    ]
    assert len(deltas) == 4
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == "end_turn"
    assert end.usage == EXPECTED_USAGE
    assert end.request_id is not None
    assert end.request_id.startswith("req_fake_")


async def test_stream_without_usage_ends_with_none(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.no_usage())

    events = await collect_stream(provider, REQUEST)

    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.usage is None


async def test_stream_request_id_from_message_start(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.without_request_id())

    events = await collect_stream(provider, REQUEST)

    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.request_id is not None
    assert end.request_id.startswith("msg_fake_")


ERROR_CASES = [
    (400, ProviderErrorCode.BAD_REQUEST, False),
    (401, ProviderErrorCode.AUTHENTICATION_FAILED, False),
    (403, ProviderErrorCode.PERMISSION_DENIED, False),
    (404, ProviderErrorCode.NOT_FOUND, False),
    (413, ProviderErrorCode.BAD_REQUEST, False),
    (429, ProviderErrorCode.RATE_LIMITED, True),
    (500, ProviderErrorCode.SERVER_ERROR, True),
    (502, ProviderErrorCode.SERVER_ERROR, True),
    (503, ProviderErrorCode.SERVER_ERROR, True),
    (504, ProviderErrorCode.SERVER_ERROR, True),
    (529, ProviderErrorCode.OVERLOADED, True),
]


@pytest.mark.parametrize(("status", "code", "retryable"), ERROR_CASES)
async def test_complete_error_status_is_classified(
    provider: AnthropicProvider,
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
    assert "fake-anthropic" in error.message
    assert API_KEY not in error.message
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize(("status", "code", "retryable"), ERROR_CASES)
async def test_stream_error_status_is_classified(
    provider: AnthropicProvider,
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


async def test_overloaded_message_quotes_provider(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(
        Behavior.error(
            529,
            body={
                "type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"},
            },
        )
    )

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert caught.value.code == ProviderErrorCode.OVERLOADED
    assert caught.value.retryable is True
    assert caught.value.message == (
        "Provider 'fake-anthropic' returned HTTP 529 (overloaded): Overloaded"
    )


async def test_authentication_error_hides_key(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.error(401))

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert API_KEY not in caught.value.message
    assert "[redacted]" in caught.value.message


async def test_rate_limit_reads_lowercase_retry_after(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    # Anthropic sends the header in lower case, and HTTP header names are case-insensitive.
    fake_server.enqueue(Behavior.error(429, headers={"retry-after": "12"}))

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert caught.value.code == ProviderErrorCode.RATE_LIMITED
    assert caught.value.retry_after == 12.0


async def test_overloaded_reads_retry_after(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.error(529, retry_after="4"))

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert caught.value.code == ProviderErrorCode.OVERLOADED
    assert caught.value.retry_after == 4.0


async def test_malformed_json_is_invalid_response(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.malformed_json())

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert caught.value.code == ProviderErrorCode.INVALID_RESPONSE
    assert caught.value.retryable is False


async def test_missing_content_is_invalid_response(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.missing_fields())

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=5)

    assert caught.value.code == ProviderErrorCode.INVALID_RESPONSE
    assert "content" in caught.value.message


async def test_hanging_server_times_out(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.hang(seconds=3))
    started = time.monotonic()

    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST, timeout=0.3)

    assert caught.value.code == ProviderErrorCode.TIMEOUT
    assert caught.value.retryable is True
    assert time.monotonic() - started < 2.0


async def test_refused_connection_is_connection_failed() -> None:
    provider = AnthropicProvider(
        name="nowhere", base_url=f"http://127.0.0.1:{unused_port()}", api_key=API_KEY
    )
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.complete(REQUEST, timeout=2)
    finally:
        await provider.aclose()

    assert caught.value.code == ProviderErrorCode.CONNECTION_FAILED
    assert caught.value.retryable is True


async def test_stream_cut_midway_is_interrupted(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.cut_stream(after_deltas=2))

    received, error = await collect_until_error(provider, REQUEST)

    assert received == [TextDelta("Echo:"), TextDelta(" hello")]
    assert error.code == ProviderErrorCode.STREAM_INTERRUPTED
    assert error.retryable is False


async def test_stream_ended_without_message_stop_is_interrupted(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.end_stream_early(after_deltas=3))

    received, error = await collect_until_error(provider, REQUEST)

    assert len(received) == 3
    assert error.code == ProviderErrorCode.STREAM_INTERRUPTED
    assert "message_stop" in error.message


async def test_stream_stall_times_out(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.stall_stream(after_deltas=1, seconds=3))

    received, error = await collect_until_error(provider, REQUEST, timeout=0.3)

    assert received == [TextDelta("Echo:")]
    assert error.code == ProviderErrorCode.TIMEOUT
    assert error.retryable is True


@pytest.mark.parametrize(
    ("error_type", "code", "retryable"),
    [
        ("overloaded_error", ProviderErrorCode.OVERLOADED, True),
        ("api_error", ProviderErrorCode.SERVER_ERROR, True),
        ("rate_limit_error", ProviderErrorCode.RATE_LIMITED, True),
        ("invalid_request_error", ProviderErrorCode.BAD_REQUEST, False),
    ],
)
async def test_stream_error_event_is_classified(
    provider: AnthropicProvider,
    fake_server: FakeProviderServer,
    error_type: str,
    code: str,
    retryable: bool,
) -> None:
    fake_server.enqueue(Behavior.stream_error(error_type, after_deltas=1))

    received, error = await collect_until_error(provider, REQUEST)

    assert received == [TextDelta("Echo:")]
    assert error.code == code
    assert error.retryable is retryable
    assert error.status is None
    assert error_type in error.message


async def test_stream_malformed_event_is_invalid_response(
    provider: AnthropicProvider, fake_server: FakeProviderServer
) -> None:
    fake_server.enqueue(Behavior.malformed_json())

    received, error = await collect_until_error(provider, REQUEST)

    assert received == []
    assert error.code == ProviderErrorCode.INVALID_RESPONSE
