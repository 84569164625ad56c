"""Helpers for provider adapter tests: reading streams and finding an unused port."""

from __future__ import annotations

import socket
from contextlib import aclosing

from promptlab.application.ports.model_provider import (
    ChatRequest,
    ModelProvider,
    ProviderError,
    StreamEvent,
)


async def collect_stream(
    provider: ModelProvider, request: ChatRequest, *, timeout: float = 5.0
) -> list[StreamEvent]:
    """Return every event of a stream that is expected to succeed."""
    async with aclosing(provider.stream(request, timeout=timeout)) as events:  # type: ignore[type-var]
        return [event async for event in events]


async def collect_until_error(
    provider: ModelProvider, request: ChatRequest, *, timeout: float = 5.0
) -> tuple[list[StreamEvent], ProviderError]:
    """Return the events received before a stream failed, and its error."""
    received: list[StreamEvent] = []
    try:
        async with aclosing(provider.stream(request, timeout=timeout)) as events:  # type: ignore[type-var]
            async for event in events:
                received.append(event)
    except ProviderError as error:
        return received, error
    raise AssertionError(f"the stream ended without an error after {received!r}")


def unused_port() -> int:
    """Return a loopback port nothing listens on, for connection failures."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
