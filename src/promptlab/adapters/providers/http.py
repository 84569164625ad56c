"""HTTP plumbing shared by the OpenAI-compatible and Anthropic adapters.

Every httpx exception and every non-2xx status leaves this module as a
ProviderError, so the adapters only deal with successful bodies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from promptlab.adapters.providers.errors import (
    error_from_status,
    error_from_transport,
    invalid_response_error,
    stream_interrupted_error,
    stream_timeout_error,
    timeout_error,
)
from promptlab.adapters.providers.sse import ServerSentEvent, iter_sse

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_MAX_KEEPALIVE_CONNECTIONS = 20

# Error bodies are only quoted in messages, so a misbehaving server cannot
# make us hold an unbounded body in memory.
MAX_ERROR_BODY_BYTES = 64 * 1024


def build_client(
    base_url: str,
    *,
    headers: Mapping[str, str],
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_keepalive_connections: int = DEFAULT_MAX_KEEPALIVE_CONNECTIONS,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> httpx.AsyncClient:
    """Create the one connection pool a provider uses for all its calls.

    The read timeout is set per request from the caller's attempt timeout.
    Redirects are not followed, because an API endpoint that redirects is
    misconfigured and following it could send the key to another host.
    """
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/") + "/",
        headers=dict(headers),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
        ),
        timeout=httpx.Timeout(60.0, connect=connect_timeout),
        follow_redirects=False,
    )


def request_timeout(client: httpx.AsyncClient, timeout: float) -> httpx.Timeout:
    """Return httpx timeouts for one attempt: the client's connect timeout, capped by `timeout`."""
    connect = client.timeout.connect
    if connect is None or connect > timeout:
        connect = timeout
    return httpx.Timeout(timeout, connect=connect)


async def post_json(
    client: httpx.AsyncClient,
    *,
    provider: str,
    path: str,
    payload: Mapping[str, Any],
    timeout: float,
    secret: str | None,
) -> tuple[dict[str, Any], httpx.Headers]:
    """POST `payload` and return the decoded JSON object and the response headers.

    `timeout` bounds the whole exchange, not only each read, so a server that
    trickles bytes cannot hold the attempt open.
    """
    url = str(client.base_url.join(path))
    try:
        async with asyncio.timeout(timeout):
            response = await client.post(
                path, json=payload, timeout=request_timeout(client, timeout)
            )
    except TimeoutError:
        raise timeout_error(provider, timeout) from None
    except httpx.TransportError as error:
        raise error_from_transport(provider, error, url=url, timeout=timeout) from error

    if response.status_code >= 300:
        raise error_from_status(
            provider,
            response.status_code,
            headers=response.headers,
            body=response.content[:MAX_ERROR_BODY_BYTES],
            secret=secret,
        )

    try:
        body = json.loads(response.content)
    except ValueError:
        raise invalid_response_error(
            provider, "the body is not valid JSON", status=response.status_code
        ) from None
    if not isinstance(body, dict):
        raise invalid_response_error(
            provider, "the body is not a JSON object", status=response.status_code
        )
    return body, response.headers


class EventStream:
    """A streamed POST whose response body is read as server-sent events.

    Use it as an async context manager. Entering sends the request and raises
    ProviderError for a failed status. Then `next_event` returns the events
    one at a time, each wait bounded by `timeout` seconds.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        provider: str,
        path: str,
        payload: Mapping[str, Any],
        timeout: float,
        secret: str | None,
    ) -> None:
        self._client = client
        self._provider = provider
        self._path = path
        self._payload = payload
        self._timeout = timeout
        self._secret = secret
        self._response: httpx.Response | None = None
        self._events: AsyncIterator[ServerSentEvent] | None = None

    @property
    def headers(self) -> httpx.Headers:
        if self._response is None:
            raise RuntimeError("the stream is not open")
        return self._response.headers

    async def __aenter__(self) -> Self:
        url = str(self._client.base_url.join(self._path))
        request = self._client.build_request(
            "POST",
            self._path,
            json=self._payload,
            headers={"accept": "text/event-stream"},
            timeout=request_timeout(self._client, self._timeout),
        )
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._client.send(request, stream=True)
        except TimeoutError:
            raise timeout_error(self._provider, self._timeout) from None
        except httpx.TransportError as error:
            raise error_from_transport(
                self._provider, error, url=url, timeout=self._timeout
            ) from error

        self._response = response
        try:
            await self._check_response(response)
        except BaseException:
            await response.aclose()
            raise

        self._events = iter_sse(response.aiter_lines())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._events is not None:
            await self._events.aclose()  # type: ignore[attr-defined]
        if self._response is not None:
            await self._response.aclose()

    async def next_event(self) -> ServerSentEvent | None:
        """Return the next event, or None when the server closed the body normally."""
        assert self._events is not None, "enter the stream before reading events"
        try:
            async with asyncio.timeout(self._timeout):
                return await anext(self._events, None)
        except TimeoutError:
            raise stream_timeout_error(self._provider, self._timeout) from None
        except httpx.TimeoutException:
            raise stream_timeout_error(self._provider, self._timeout) from None
        except httpx.TransportError as error:
            raise stream_interrupted_error(
                self._provider, f"the connection failed ({error or type(error).__name__})"
            ) from error

    async def _check_response(self, response: httpx.Response) -> None:
        if response.status_code >= 300:
            body = await self._read_error_body(response)
            raise error_from_status(
                self._provider,
                response.status_code,
                headers=response.headers,
                body=body,
                secret=self._secret,
            )

        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/event-stream"):
            raise invalid_response_error(
                self._provider,
                f"expected a text/event-stream body but got '{content_type or 'no content type'}'",
                status=response.status_code,
            )

    async def _read_error_body(self, response: httpx.Response) -> bytes:
        body = bytearray()
        try:
            async with asyncio.timeout(self._timeout):
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) >= MAX_ERROR_BODY_BYTES:
                        break
        except (TimeoutError, httpx.TransportError):
            # The status already identifies the failure, and a partial body
            # only loses the provider's wording.
            pass
        return bytes(body[:MAX_ERROR_BODY_BYTES])


def parse_event_json(provider: str, event: ServerSentEvent) -> dict[str, Any]:
    """Decode the JSON object in an event's data, or raise invalid_response."""
    try:
        data = json.loads(event.data)
    except ValueError:
        raise invalid_response_error(provider, "a stream event is not valid JSON") from None
    if not isinstance(data, dict):
        raise invalid_response_error(provider, "a stream event is not a JSON object")
    return data


def optional_int(value: object) -> int | None:
    """Return `value` when it is a non-negative integer (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value
