"""The provider registry: which catalog providers are usable and why the others are not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from promptlab.adapters.catalog import Catalog, load_catalog
from promptlab.adapters.providers.anthropic import AnthropicProvider
from promptlab.adapters.providers.llama_cpp_local import LlamaCppLocalProvider
from promptlab.adapters.providers.openai_compatible import OpenAICompatibleProvider
from promptlab.adapters.providers.registry import ProviderRegistry
from promptlab.application.ports.model_provider import (
    ChatRequest,
    ProviderError,
    ProviderErrorCode,
)
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.parameters import GenerationParameters
from tests.fakes import FakeProviderServer

KEYS = {"OPENAI_API_KEY": "sk-openai-test", "ANTHROPIC_API_KEY": "sk-ant-test"}
REQUEST = ChatRequest(
    model="claude-fake",
    messages=(Message(MessageRole.USER, "hello"),),
    parameters=GenerationParameters(),
)


@pytest.fixture
async def registry() -> AsyncIterator[ProviderRegistry]:
    registry = ProviderRegistry(load_catalog(), KEYS)
    yield registry
    await registry.aclose()


def fake_catalog(tmp_path: Path, server: FakeProviderServer) -> Catalog:
    path = tmp_path / "models.toml"
    path.write_text(
        f"""
        [providers.fake-openai]
        kind = "openai_compatible"
        base_url = "{server.openai_base_url}"

        [providers.fake-anthropic]
        kind = "anthropic"
        base_url = "{server.anthropic_base_url}"
        api_key_env = "FAKE_ANTHROPIC_KEY"

        [models."claude-fake"]
        provider = "fake-anthropic"
        upstream_name = "claude-fake"
        context_window = 100000
        max_output_tokens = 3000
        """,
        encoding="utf-8",
    )
    return load_catalog(path)


async def test_configured_providers_have_right_kind(registry: ProviderRegistry) -> None:
    assert isinstance(registry.get("openai"), OpenAICompatibleProvider)
    assert isinstance(registry.get("anthropic"), AnthropicProvider)
    assert isinstance(registry.get("local"), LlamaCppLocalProvider)
    assert registry.status("openai").configured is True
    assert registry.status("anthropic").configured is True
    assert registry.status("local").configured is True


async def test_get_returns_one_instance(registry: ProviderRegistry) -> None:
    assert registry.get("openai") is registry.get("openai")


async def test_missing_key_is_not_configured() -> None:
    registry = ProviderRegistry(load_catalog(), {"OPENAI_API_KEY": ""})
    try:
        status = registry.status("openai")
        with pytest.raises(ProviderError) as caught:
            registry.get("anthropic")
    finally:
        await registry.aclose()

    assert status.configured is False
    assert status.detail is not None
    assert "OPENAI_API_KEY" in status.detail
    assert caught.value.code == ProviderErrorCode.NOT_CONFIGURED
    assert caught.value.retryable is False
    assert "ANTHROPIC_API_KEY" in caught.value.message


async def test_unknown_provider_is_not_configured(registry: ProviderRegistry) -> None:
    status = registry.status("mistral")

    with pytest.raises(ProviderError) as caught:
        registry.get("mistral")

    assert status.configured is False
    assert status.detail == "The model catalog has no provider named 'mistral'."
    assert caught.value.code == ProviderErrorCode.NOT_CONFIGURED


async def test_missing_local_model_is_unavailable(tmp_path: Path) -> None:
    missing = tmp_path / "absent.gguf"
    registry = ProviderRegistry(load_catalog(), KEYS, local_model_path=missing)
    try:
        status = registry.status("local")
        with pytest.raises(ProviderError) as caught:
            registry.get("local")
    finally:
        await registry.aclose()

    assert status.configured is False
    assert status.detail is not None
    assert str(missing) in status.detail
    assert caught.value.code == ProviderErrorCode.UNAVAILABLE


async def test_openai_host_gets_max_completion_tokens(registry: ProviderRegistry) -> None:
    openai = registry.get("openai")

    assert isinstance(openai, OpenAICompatibleProvider)
    assert openai.max_tokens_field == "max_completion_tokens"


async def test_registry_providers_reach_fake_server(
    tmp_path: Path, fake_server: FakeProviderServer
) -> None:
    registry = ProviderRegistry(
        fake_catalog(tmp_path, fake_server), {"FAKE_ANTHROPIC_KEY": "sk-fake-anthropic"}
    )
    try:
        anthropic_response = await registry.get("fake-anthropic").complete(REQUEST, timeout=5)
        openai_response = await registry.get("fake-openai").complete(REQUEST, timeout=5)
    finally:
        await registry.aclose()

    anthropic_request, openai_request = fake_server.requests
    assert anthropic_response.text == "Echo: hello"
    assert openai_response.text == "Echo: hello"
    # Anthropic's max_tokens comes from the catalog's max_output_tokens.
    assert anthropic_request.json["max_tokens"] == 3000
    assert anthropic_request.headers["x-api-key"] == "sk-fake-anthropic"
    # No key is sent when the catalog names no key variable.
    assert "authorization" not in openai_request.headers


async def test_other_servers_get_max_tokens(
    tmp_path: Path, fake_server: FakeProviderServer
) -> None:
    registry = ProviderRegistry(fake_catalog(tmp_path, fake_server), {})
    try:
        provider = registry.get("fake-openai")
    finally:
        await registry.aclose()

    assert isinstance(provider, OpenAICompatibleProvider)
    assert provider.max_tokens_field == "max_tokens"
