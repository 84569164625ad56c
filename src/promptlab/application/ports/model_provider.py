"""Model-provider port: one chat call, plain or streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

import attrs

from promptlab.domain.catalog import ModelSpec, ProviderConfig, Usage
from promptlab.domain.messages import Message
from promptlab.domain.parameters import GenerationParameters


@attrs.frozen
class ChatRequest:
    """Rendered messages for one call. `model` is the provider's own (upstream) model name."""

    model: str
    messages: tuple[Message, ...]
    parameters: GenerationParameters


@attrs.frozen
class ChatResponse:
    text: str
    finish_reason: str | None
    usage: Usage | None
    request_id: str | None = None


@attrs.frozen
class TextDelta:
    """A piece of output text, in arrival order."""

    text: str


@attrs.frozen
class StreamEnd:
    """The last event of a stream: how it finished and what it used."""

    finish_reason: str | None
    usage: Usage | None
    request_id: str | None = None


StreamEvent = TextDelta | StreamEnd


class ProviderError(Exception):
    """A failed provider call, already classified.

    `code` is one of the ProviderErrorCode values. `status` is the provider's
    HTTP status when there was one. `retryable` says whether the same request
    may succeed on another attempt; `retry_after` is the provider's requested
    wait in seconds, when it sent one.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class ProviderErrorCode:
    TIMEOUT = "timeout"
    CONNECTION_FAILED = "connection_failed"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    SERVER_ERROR = "provider_server_error"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "model_not_found"
    INVALID_RESPONSE = "invalid_response"
    STREAM_INTERRUPTED = "stream_interrupted"
    NOT_CONFIGURED = "provider_not_configured"
    UNAVAILABLE = "provider_unavailable"


class ModelProvider(Protocol):
    """One configured provider. Implementations raise only ProviderError."""

    async def complete(self, request: ChatRequest, *, timeout: float) -> ChatResponse:
        """Run one call. `timeout` bounds this attempt, in seconds."""
        ...

    def stream(self, request: ChatRequest, *, timeout: float) -> AsyncIterator[StreamEvent]:
        """Yield TextDelta events as output arrives, then exactly one StreamEnd.

        `timeout` bounds the wait for each event, in seconds.
        """
        ...

    async def aclose(self) -> None:
        """Release connections and loaded models."""
        ...


@attrs.frozen
class ProviderStatus:
    """Whether a provider can serve calls, and if not, what to do about it."""

    configured: bool
    detail: str | None = None


class ModelProviderRegistry(Protocol):
    """The providers of a deployment, by the name the catalog uses."""

    def get(self, provider: str) -> ModelProvider:
        """Return the provider, or raise ProviderError with code provider_not_configured
        or provider_unavailable."""
        ...

    def status(self, provider: str) -> ProviderStatus: ...

    async def aclose(self) -> None: ...


class ModelCatalog(Protocol):
    """The models this deployment serves."""

    def list_models(self) -> list[ModelSpec]: ...

    def find(self, model_id: str) -> ModelSpec | None: ...

    def provider_config(self, provider: str) -> ProviderConfig | None: ...
