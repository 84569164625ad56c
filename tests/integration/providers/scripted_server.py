"""A loopback HTTP/1.1 server that responds with scripted raw bytes.

It produces the transport faults that the fake provider server, built on
uvicorn, cannot: redirects, bodies trickled byte by byte, connections reset
mid-response, error bodies that never end, and forwarding as an HTTP proxy.
It runs in the test's own event loop.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

import attrs

LOOPBACK = "127.0.0.1"

# Bound on reading one request, so a client bug fails the test instead of hanging it.
READ_TIMEOUT_SECONDS = 10.0


@attrs.frozen
class ReceivedRequest:
    """One request as the scripted server read it. Header names are lower case."""

    request_line: str
    headers: dict[str, str]
    body: bytes


Responder = Callable[[ReceivedRequest, asyncio.StreamWriter], Awaitable[None]]


class ScriptedServer:
    """Serves every request on 127.0.0.1 with `respond`, recording what it received.

    `respond` writes the whole response, or misbehaves, through the writer.
    Use as an async context manager. Each connection carries one request,
    and the server closes it after `respond` returns.
    """

    def __init__(self, respond: Responder) -> None:
        self._respond = respond
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.requests: list[ReceivedRequest] = []

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the scripted server is not running")
        port = self._server.sockets[0].getsockname()[1]
        return f"http://{LOOPBACK}:{port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._handle, LOOPBACK, 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            request = await asyncio.wait_for(_read_request(reader), READ_TIMEOUT_SECONDS)
            self.requests.append(request)
            await self._respond(request, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client gave up first, which several tests cause on purpose
        except asyncio.CancelledError:
            # Stopping the server cancels stalled responses. Ending the task
            # normally keeps asyncio from logging the cancellation as an error.
            pass
        finally:
            self._handlers.discard(task)
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> ReceivedRequest:
    head = await reader.readuntil(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return ReceivedRequest(request_line=request_line, headers=headers, body=body)


def response_head(status: int, headers: dict[str, str]) -> bytes:
    """Build a status line and header block for `status` with `headers`."""
    lines = [f"HTTP/1.1 {status} Scripted"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def reset_connection(writer: asyncio.StreamWriter) -> None:
    """Close the connection with a TCP reset (RST) instead of an orderly close (FIN)."""
    sock = writer.get_extra_info("socket")
    # SO_LINGER with a zero timeout makes close() send RST and drop unsent data.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def chunk(data: bytes) -> bytes:
    """Frame `data` as one chunk of a chunked transfer-encoded body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"
