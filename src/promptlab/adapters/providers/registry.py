"""The providers of a deployment, built once from the catalog and the environment."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from promptlab.adapters.catalog import Catalog
from promptlab.adapters.providers.anthropic import AnthropicProvider
from promptlab.adapters.providers.http import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
)
from promptlab.adapters.providers.llama_cpp_local import (
    DEFAULT_CONTEXT_WINDOW,
    DEFAULT_MAX_OUTPUT_TOKENS,
    LlamaCppLocalProvider,
)
from promptlab.adapters.providers.openai_compatible import (
    MaxTokensField,
    OpenAICompatibleProvider,
)
from promptlab.application.ports.model_provider import (
    ModelProvider,
    ProviderError,
    ProviderErrorCode,
    ProviderStatus,
)
from promptlab.domain.catalog import ProviderConfig, ProviderKind

logger = logging.getLogger(__name__)

# Hosts whose chat-completions endpoint rejects `max_tokens` for current
# models and requires `max_completion_tokens`.
_MAX_COMPLETION_TOKENS_HOSTS = frozenset({"api.openai.com"})


class ProviderRegistry:
    """The ModelProviderRegistry adapter, built from the catalog and the environment.

    One provider instance, with its own connection pool, is built per catalog
    provider whose API key is present in `environ`. `environ` is passed in,
    rather than read from os.environ, so tests can choose which keys exist.
    """

    def __init__(
        self,
        catalog: Catalog,
        environ: Mapping[str, str],
        *,
        local_model_path: Path | None = None,
        local_max_concurrency: int = 1,
        local_threads: int | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self._catalog = catalog
        self._providers: dict[str, ModelProvider] = {}
        self._statuses: dict[str, ProviderStatus] = {}
        self._unavailable_codes: dict[str, str] = {}

        for config in catalog.list_providers():
            if config.kind == ProviderKind.LOCAL:
                local = self._build_local(
                    config,
                    model_path=local_model_path,
                    max_concurrency=local_max_concurrency,
                    threads=local_threads,
                )
                self._statuses[config.name] = local.status()
                if self._statuses[config.name].configured:
                    self._providers[config.name] = local
                else:
                    self._unavailable_codes[config.name] = ProviderErrorCode.UNAVAILABLE
                continue

            api_key = None
            if config.api_key_env is not None:
                api_key = environ.get(config.api_key_env) or None
                if api_key is None:
                    self._statuses[config.name] = ProviderStatus(
                        configured=False,
                        detail=(
                            f"Set the environment variable {config.api_key_env} to the API key "
                            f"of provider '{config.name}' to use its models."
                        ),
                    )
                    self._unavailable_codes[config.name] = ProviderErrorCode.NOT_CONFIGURED
                    continue

            self._providers[config.name] = self._build_http(
                config,
                api_key=api_key,
                max_connections=max_connections,
                connect_timeout=connect_timeout,
            )
            self._statuses[config.name] = ProviderStatus(configured=True)

        for name, status in self._statuses.items():
            if not status.configured:
                logger.info("Provider %s is not available: %s", name, status.detail)

    def get(self, provider: str) -> ModelProvider:
        if provider in self._providers:
            return self._providers[provider]

        status = self.status(provider)
        code = self._unavailable_codes.get(provider, ProviderErrorCode.NOT_CONFIGURED)
        raise ProviderError(code, status.detail or f"Provider '{provider}' is not available.")

    def status(self, provider: str) -> ProviderStatus:
        if provider in self._statuses:
            return self._statuses[provider]
        return ProviderStatus(
            configured=False,
            detail=f"The model catalog has no provider named '{provider}'.",
        )

    async def aclose(self) -> None:
        """Close every provider, even when closing one of them fails."""
        errors: list[BaseException] = []
        for name, provider in self._providers.items():
            try:
                await provider.aclose()
            except Exception as error:
                logger.exception("Closing provider %s failed", name)
                errors.append(error)
        self._providers.clear()
        if errors:
            raise errors[0]

    def _build_local(
        self,
        config: ProviderConfig,
        *,
        model_path: Path | None,
        max_concurrency: int,
        threads: int | None,
    ) -> LlamaCppLocalProvider:
        # One GGUF file serves every catalog model of the local provider, so
        # the largest limits among them size its context.
        models = self._catalog.models_of(config.name)
        context_window = max((m.context_window for m in models), default=DEFAULT_CONTEXT_WINDOW)
        max_output_tokens = max(
            (m.max_output_tokens for m in models), default=DEFAULT_MAX_OUTPUT_TOKENS
        )
        return LlamaCppLocalProvider(
            name=config.name,
            model_path=model_path,
            context_window=context_window,
            max_output_tokens=max_output_tokens,
            max_concurrency=max_concurrency,
            threads=threads,
        )

    def _build_http(
        self,
        config: ProviderConfig,
        *,
        api_key: str | None,
        max_connections: int,
        connect_timeout: float,
    ) -> ModelProvider:
        assert config.base_url is not None, "the catalog loader requires base_url for HTTP kinds"
        if config.kind == ProviderKind.ANTHROPIC:
            return AnthropicProvider(
                name=config.name,
                base_url=config.base_url,
                api_key=api_key,
                max_output_tokens={
                    m.upstream_name: m.max_output_tokens
                    for m in self._catalog.models_of(config.name)
                },
                max_connections=max_connections,
                connect_timeout=connect_timeout,
            )

        max_tokens_field: MaxTokensField = "max_tokens"
        if urlsplit(config.base_url).hostname in _MAX_COMPLETION_TOKENS_HOSTS:
            max_tokens_field = "max_completion_tokens"
        return OpenAICompatibleProvider(
            name=config.name,
            base_url=config.base_url,
            api_key=api_key,
            max_tokens_field=max_tokens_field,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
        )
