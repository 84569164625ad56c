"""Chat completions over the OpenAI wire format.

One adapter serves OpenAI itself and the servers that copy its
`POST /chat/completions` endpoint: vLLM, Ollama, llama.cpp's server,
LM Studio and OpenRouter.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal

from promptlab.adapters.providers.errors import (
    classify_status,
    invalid_response_error,
    redact,
    stream_interrupted_error,
    upstream_error_message,
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
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from promptlab.domain.catalog import Usage

CHAT_COMPLETIONS_PATH = "chat/completions"

# OpenAI's reasoning models reject `max_tokens` and require
# `max_completion_tokens`, while llama.cpp's server and older compatible
# servers only read `max_tokens`. The registry picks per provider.
MaxTokensField = Literal["max_tokens", "max_completion_tokens"]


class OpenAICompatibleProvider:
    """A ModelProvider for any server speaking OpenAI's chat-completions format.

    `base_url` includes the version prefix, for example
    `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`.
    """

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        api_key: str | None = None,
        max_tokens_field: MaxTokensField = "max_tokens",
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self._name = name
        self._api_key = api_key
        self._max_tokens_field = max_tokens_field
        headers = {"content-type": "application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self._endpoint = ProviderEndpoint(
            provider=name,
            base_url=base_url,
            path=CHAT_COMPLETIONS_PATH,
            headers=headers,
            secret=api_key,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def max_tokens_field(self) -> MaxTokensField:
        """The request field that carries GenerationParameters.max_tokens."""
        return self._max_tokens_field

    async def complete(self, request: ChatRequest, *, timeout: float) -> ChatResponse:
        body, headers = await self._endpoint.post_json(
            self._payload(request, stream=False), timeout=timeout
        )
        return self._parse_completion(body, headers)

    async def stream(self, request: ChatRequest, *, timeout: float) -> AsyncIterator[StreamEvent]:
        payload = self._payload(request, stream=True)
        async with self._endpoint.stream(payload, timeout=timeout) as events:
            request_id = events.headers.get("x-request-id")
            finish_reason: str | None = None
            usage: Usage | None = None

            while True:
                event = await events.next_event()
                if event is None:
                    break
                if event.data == "[DONE]":
                    yield StreamEnd(finish_reason=finish_reason, usage=usage, request_id=request_id)
                    return

                chunk = parse_event_json(self._name, event)
                if "error" in chunk:
                    raise self._stream_error(chunk)
                if request_id is None and isinstance(chunk.get("id"), str):
                    request_id = chunk["id"]

                chunk_usage = _parse_usage(chunk.get("usage"))
                if chunk_usage is not None:
                    usage = chunk_usage

                for choice in _choices(chunk, self._name, allow_empty=True)[:1]:
                    delta = choice.get("delta")
                    text = delta.get("content") if isinstance(delta, dict) else None
                    if isinstance(text, str) and text:
                        yield TextDelta(text)
                    if isinstance(choice.get("finish_reason"), str):
                        finish_reason = choice["finish_reason"]

            # The body ended without "data: [DONE]". Some compatible servers
            # skip the sentinel, so a finish reason counts as a complete output.
            if finish_reason is None:
                raise stream_interrupted_error(self._name, "the body ended without [DONE]")
            yield StreamEnd(finish_reason=finish_reason, usage=usage, request_id=request_id)

    async def aclose(self) -> None:
        await self._endpoint.aclose()

    def _payload(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        parameters = request.parameters
        payload: dict[str, Any] = {
            "model": request.model,
            "messages": [
                {"role": str(message.role), "content": message.content}
                for message in request.messages
            ],
            "stream": stream,
        }
        if stream:
            # Without this option OpenAI sends no usage at all in a stream.
            payload["stream_options"] = {"include_usage": True}
        if parameters.temperature is not None:
            payload["temperature"] = parameters.temperature
        if parameters.top_p is not None:
            payload["top_p"] = parameters.top_p
        if parameters.max_tokens is not None:
            payload[self._max_tokens_field] = parameters.max_tokens
        if parameters.stop:
            payload["stop"] = list(parameters.stop)
        if parameters.seed is not None:
            payload["seed"] = parameters.seed
        return payload

    def _parse_completion(self, body: dict[str, Any], headers: Mapping[str, str]) -> ChatResponse:
        choice = _choices(body, self._name, allow_empty=False)[0]
        message = choice.get("message")
        if not isinstance(message, dict):
            raise invalid_response_error(self._name, "the first choice has no message")

        content = message.get("content")
        if content is None:
            # A refusal or a tool call carries no content. Neither is produced
            # for the plain chat requests sent here, so the output is empty.
            content = ""
        if not isinstance(content, str):
            raise invalid_response_error(self._name, "the message content is not a string")

        finish_reason = choice.get("finish_reason")
        request_id = headers.get("x-request-id")
        if request_id is None and isinstance(body.get("id"), str):
            request_id = body["id"]

        return ChatResponse(
            text=content,
            finish_reason=finish_reason if isinstance(finish_reason, str) else None,
            usage=_parse_usage(body.get("usage")),
            request_id=request_id,
        )

    def _stream_error(self, chunk: dict[str, Any]) -> ProviderError:
        # vLLM and OpenRouter report failures after the 200 status as a chunk
        # holding an `error` object, vLLM with the HTTP status it stands for as `code`.
        error = chunk.get("error")
        status = error.get("code") if isinstance(error, dict) else None
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status < 600:
            status = 500
        code, retryable = classify_status(status)
        message = upstream_error_message(json.dumps(chunk)) or "no message"
        return ProviderError(
            code,
            redact(
                f"Provider '{self._name}' reported an error inside the stream: {message}",
                self._api_key,
            ),
            retryable=retryable,
        )


def _choices(body: dict[str, Any], provider: str, *, allow_empty: bool) -> list[dict[str, Any]]:
    choices = body.get("choices")
    if choices is None and allow_empty:
        return []
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        raise invalid_response_error(provider, "'choices' is missing or not a list of objects")
    if not choices and not allow_empty:
        raise invalid_response_error(provider, "'choices' is empty")
    return choices


def _parse_usage(raw: object) -> Usage | None:
    """Read an OpenAI `usage` object. Missing counts stay None rather than becoming zero."""
    if not isinstance(raw, dict):
        return None

    input_tokens = optional_int(raw.get("prompt_tokens"))
    output_tokens = optional_int(raw.get("completion_tokens"))
    total_tokens = optional_int(raw.get("total_tokens"))
    details = raw.get("prompt_tokens_details")
    cached = optional_int(details.get("cached_tokens")) if isinstance(details, dict) else None

    if input_tokens is None and output_tokens is None and total_tokens is None:
        return None
    if total_tokens is None and input_tokens is not None and output_tokens is not None:
        total_tokens = input_tokens + output_tokens
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total_tokens,
        cached_input_tokens=cached,
    )
