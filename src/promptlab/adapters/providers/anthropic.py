"""Chat calls over Anthropic's Messages API (`POST /v1/messages`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs

from promptlab.adapters.providers.errors import (
    OVERLOADED_STATUS,
    classify_status,
    invalid_response_error,
    redact,
    stream_interrupted_error,
)
from promptlab.adapters.providers.http import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    ProviderEndpoint,
    optional_int,
    parse_event_json,
)
from promptlab.application.ports.model_provider import (
    ChatRequest,
    ChatResponse,
    ProviderError,
    ProviderErrorCode,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from promptlab.domain.catalog import Usage
from promptlab.domain.messages import MessageRole

MESSAGES_PATH = "v1/messages"
ANTHROPIC_VERSION = "2023-06-01"

# Anthropic requires max_tokens on every request. This applies only to
# upstream models the catalog does not list, whose real limit is unknown.
FALLBACK_MAX_TOKENS = 4096

# Anthropic's sampling temperature range, narrower than OpenAI's 0 to 2.
MAX_TEMPERATURE = 1.0

# HTTP statuses that Anthropic's error types stand for, so an `error` event
# inside a stream is classified like the same error sent as a status.
_ERROR_TYPE_STATUSES = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": OVERLOADED_STATUS,
}


class AnthropicProvider:
    """A ModelProvider for Anthropic's Messages API.

    `max_output_tokens` maps upstream model names to their output limit, which
    is sent as `max_tokens` when a request does not set one.
    """

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        api_key: str | None,
        max_output_tokens: Mapping[str, int] | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self._name = name
        self._api_key = api_key
        self._max_output_tokens = dict(max_output_tokens or {})
        headers = {"content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION}
        if api_key:
            headers["x-api-key"] = api_key
        self._endpoint = ProviderEndpoint(
            provider=name,
            base_url=base_url,
            path=MESSAGES_PATH,
            headers=headers,
            secret=api_key,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
        )

    @property
    def name(self) -> str:
        return self._name

    async def complete(self, request: ChatRequest, *, timeout: float) -> ChatResponse:
        body, headers = await self._endpoint.post_json(
            self._payload(request, stream=False), timeout=timeout
        )
        return self._parse_message(body, headers)

    async def stream(self, request: ChatRequest, *, timeout: float) -> AsyncIterator[StreamEvent]:
        payload = self._payload(request, stream=True)
        async with self._endpoint.stream(payload, timeout=timeout) as events:
            request_id = events.headers.get("request-id")
            counts = _UsageCounts()
            stop_reason: str | None = None

            while True:
                event = await events.next_event()
                if event is None:
                    raise stream_interrupted_error(
                        self._name, "the body ended without a message_stop event"
                    )

                data = parse_event_json(self._name, event)
                kind = data.get("type", event.event)

                if kind == "message_start":
                    message = data.get("message")
                    if isinstance(message, dict):
                        if request_id is None and isinstance(message.get("id"), str):
                            request_id = message["id"]
                        counts.update(message.get("usage"))
                elif kind == "content_block_delta":
                    delta = data.get("delta")
                    # Thinking, signature and tool-input deltas are not output text.
                    if isinstance(delta, dict) and delta.get("type") == "text_delta":
                        text = delta.get("text")
                        if isinstance(text, str) and text:
                            yield TextDelta(text)
                elif kind == "message_delta":
                    delta = data.get("delta")
                    if isinstance(delta, dict) and isinstance(delta.get("stop_reason"), str):
                        stop_reason = delta["stop_reason"]
                    counts.update(data.get("usage"))
                elif kind == "message_stop":
                    yield StreamEnd(
                        finish_reason=stop_reason, usage=counts.to_usage(), request_id=request_id
                    )
                    return
                elif kind == "error":
                    raise self._stream_error(data)
                # "ping", "content_block_start", "content_block_stop" and event
                # types added later carry nothing needed here.

    async def aclose(self) -> None:
        await self._endpoint.aclose()

    def _payload(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        parameters = request.parameters
        system_parts = [m.content for m in request.messages if m.role == MessageRole.SYSTEM]
        messages = [
            {"role": str(m.role), "content": m.content}
            for m in request.messages
            if m.role != MessageRole.SYSTEM
        ]

        max_tokens = parameters.max_tokens
        if max_tokens is None:
            max_tokens = self._max_output_tokens.get(request.model, FALLBACK_MAX_TOKENS)

        payload: dict[str, Any] = {
            "model": request.model,
            "max_tokens": max_tokens,
            "messages": messages,
            "stream": stream,
        }
        if system_parts:
            # The Messages API takes one top-level system prompt rather than
            # system-role messages, so several are joined in order.
            payload["system"] = "\n\n".join(system_parts)
        if parameters.temperature is not None:
            if parameters.temperature > MAX_TEMPERATURE:
                raise ProviderError(
                    ProviderErrorCode.BAD_REQUEST,
                    f"Provider '{self._name}' accepts a temperature between 0 and "
                    f"{MAX_TEMPERATURE:g}, got {parameters.temperature:g}.",
                )
            payload["temperature"] = parameters.temperature
        if parameters.top_p is not None:
            payload["top_p"] = parameters.top_p
        if parameters.stop:
            payload["stop_sequences"] = list(parameters.stop)
        # `parameters.seed` is not sent: the Messages API has no seed, so
        # Anthropic outputs cannot be made reproducible and the value is ignored.
        return payload

    def _parse_message(self, body: dict[str, Any], headers: Mapping[str, str]) -> ChatResponse:
        content = body.get("content")
        if not isinstance(content, list):
            raise invalid_response_error(self._name, "'content' is missing or not a list")

        texts: list[str] = []
        for block in content:
            if not isinstance(block, dict):
                raise invalid_response_error(self._name, "a content block is not an object")
            if block.get("type") == "text":
                text = block.get("text")
                if not isinstance(text, str):
                    raise invalid_response_error(self._name, "a text block has no text")
                texts.append(text)

        request_id = headers.get("request-id")
        if request_id is None and isinstance(body.get("id"), str):
            request_id = body["id"]

        counts = _UsageCounts()
        counts.update(body.get("usage"))
        stop_reason = body.get("stop_reason")
        return ChatResponse(
            text="".join(texts),
            finish_reason=stop_reason if isinstance(stop_reason, str) else None,
            usage=counts.to_usage(),
            request_id=request_id,
        )

    def _stream_error(self, data: dict[str, Any]) -> ProviderError:
        error = data.get("error")
        error_type = error.get("type") if isinstance(error, dict) else None
        status = _ERROR_TYPE_STATUSES.get(error_type, 500) if isinstance(error_type, str) else 500
        code, retryable = classify_status(status)
        message = _error_message(error) or "no message"
        # `status` stays None: the response itself was a 200, and the status
        # above is only inferred from the error type.
        return ProviderError(
            code,
            redact(
                f"Provider '{self._name}' reported {error_type or 'an error'} inside the "
                f"stream: {message}",
                self._api_key,
            ),
            retryable=retryable,
        )


@attrs.define
class _UsageCounts:
    """Anthropic's usage fields, merged across stream events.

    Anthropic reports cache reads and cache writes apart from `input_tokens`,
    so the total input is the sum of all three. `cached_input_tokens` is the
    cache reads alone, which keeps it a subset of the input as compute_cost
    expects.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None

    def update(self, raw: object) -> None:
        if not isinstance(raw, dict):
            return
        # Counts in message_delta are cumulative, so a later value replaces an earlier one.
        for field in attrs.fields(_UsageCounts):
            value = optional_int(raw.get(field.name))
            if value is not None:
                setattr(self, field.name, value)

    def to_usage(self) -> Usage | None:
        if self.input_tokens is None and self.output_tokens is None:
            return None

        input_tokens = None
        if self.input_tokens is not None:
            input_tokens = (
                self.input_tokens
                + (self.cache_read_input_tokens or 0)
                + (self.cache_creation_input_tokens or 0)
            )
        total_tokens = None
        if input_tokens is not None and self.output_tokens is not None:
            total_tokens = input_tokens + self.output_tokens

        # NOTE: cache writes are billed at 1.25 times the input price (2 times
        # for one-hour entries) but are counted here as ordinary input, so the
        # cost of a request that writes to the prompt cache is understated.
        # promptlab sends no cache_control breakpoints, so its own requests
        # never write to the cache.
        return Usage(
            input_tokens=input_tokens,
            output_tokens=self.output_tokens,
            total_tokens=total_tokens,
            cached_input_tokens=self.cache_read_input_tokens,
        )


def _error_message(error: object) -> str | None:
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    return None
