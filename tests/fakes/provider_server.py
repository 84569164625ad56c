"""A fake model-provider server speaking OpenAI's and Anthropic's real wire formats.

It serves `POST /v1/chat/completions` (OpenAI chat completions) and
`POST /v1/messages` (Anthropic Messages), plain and streamed as server-sent
events, on 127.0.0.1. By default it responds at once with an echo of the last
user message and usage counted in whitespace-separated words, one word per
token. Tests script failures per request with `enqueue(Behavior...)` and
inspect every request received through `requests`.

In tests:

    with FakeProviderServer() as server:
        server.enqueue(Behavior.error(429, retry_after="2"))
        provider = OpenAICompatibleProvider(name="fake", base_url=server.openai_base_url)

Standalone, for benchmarks and load scripts (stops on Ctrl-C):

    python -m tests.fakes.provider_server --port 8900
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import uvicorn

from tests.fakes.behaviors import Behavior, BehaviorKind

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

LOOPBACK = "127.0.0.1"
OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"

# Bounds on waiting for the server thread, so a broken start or stop fails
# the test instead of hanging it.
START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0

# Tokens the fake charges per message on top of its words, like the role
# markers of a real chat template.
TOKENS_PER_MESSAGE = 3

_OPENAI_ERROR_TYPES = {
    400: ("invalid_request_error", "invalid_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    422: ("invalid_request_error", "invalid_request"),
    429: ("requests", "rate_limit_exceeded"),
}
_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


@attrs.frozen
class RecordedRequest:
    """One request as the fake server received it. Header names are lower case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _StreamCut(Exception):
    """Raised after part of a body was sent, so uvicorn drops the connection."""


class _SuppressStreamCut(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _StreamCut))


class FakeProviderApp:
    """The ASGI application behind FakeProviderServer. Thread-safe for scripting and inspection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._behaviors: deque[Behavior] = deque()
        self._requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    def enqueue(self, *behaviors: Behavior) -> None:
        with self._lock:
            self._behaviors.extend(behaviors)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget recorded requests and drop behaviours not used yet."""
        with self._lock:
            self._behaviors.clear()
            self._requests.clear()

    def release_hangs(self) -> None:
        """End every hang and stall now. The server calls this when it stops."""
        if self._loop is not None and self._stopping is not None:
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:
                pass  # the loop has already closed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if self._stopping is None:
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()

        body = bytearray()
        while True:
            message = await receive()
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request = RecordedRequest(
            method=scope["method"], path=scope["path"], headers=headers, body=bytes(body)
        )
        with self._lock:
            self._requests.append(request)
            behavior = self._behaviors.popleft() if self._behaviors else None
            request_number = next(self._ids)

        path = scope["path"]
        if scope["method"] == "GET" and path in ("/health", "/health/"):
            await _send_json(send, 200, {"status": "ok"})
        elif scope["method"] == "POST" and path == OPENAI_PATH:
            await self._openai(request, behavior, request_number, send)
        elif scope["method"] == "POST" and path == ANTHROPIC_PATH:
            await self._anthropic(request, behavior, request_number, send)
        else:
            await _send_json(send, 404, {"error": {"message": f"No route for {path}."}})

    async def _hang(self, seconds: float) -> None:
        assert self._stopping is not None
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    # OpenAI chat completions

    async def _openai(
        self, request: RecordedRequest, behavior: Behavior | None, number: int, send: Send
    ) -> None:
        request_id = f"req_fake_{number}"
        completion_id = f"chatcmpl-fake-{number}"

        if behavior is not None and behavior.kind == BehaviorKind.HANG:
            await self._hang(behavior.seconds)
        if behavior is not None and behavior.kind == BehaviorKind.STATUS:
            assert behavior.status is not None
            await self._openai_error(send, behavior, request)
            return

        try:
            payload = json.loads(request.body)
        except ValueError:
            await _send_json(
                send, 400, _openai_error_body(400, "We could not parse the JSON body.")
            )
            return
        problem = _openai_request_problem(payload)
        if problem is not None:
            await _send_json(send, 400, _openai_error_body(400, problem))
            return

        model = payload["model"]
        answer = _scripted(
            _answer(
                payload["messages"],
                payload.get("max_completion_tokens") or payload.get("max_tokens"),
                payload.get("stop"),
            ),
            behavior,
        )
        usage: dict[str, Any] = {
            "prompt_tokens": answer.input_tokens,
            "completion_tokens": len(answer.words),
            "total_tokens": answer.input_tokens + len(answer.words),
            "prompt_tokens_details": {"cached_tokens": 0},
        }
        if behavior is not None and behavior.kind == BehaviorKind.USAGE:
            usage.update(behavior.usage or {})
        finish_reason = "length" if answer.truncated else "stop"
        headers = [("x-request-id", request_id)]
        if behavior is not None and behavior.kind == BehaviorKind.NO_REQUEST_ID:
            headers = []

        if not payload.get("stream"):
            if behavior is not None and behavior.kind == BehaviorKind.MALFORMED_JSON:
                await _send_raw(send, 200, b'{"id": "chatcmpl-broken", "choices": [', headers)
                return
            if behavior is not None and behavior.kind == BehaviorKind.MISSING_FIELDS:
                await _send_json(
                    send, 200, {"id": completion_id, "object": "chat.completion"}, headers
                )
                return
            body: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
                "usage": usage,
            }
            if behavior is not None and behavior.kind == BehaviorKind.NO_USAGE:
                del body["usage"]
            await _send_json(send, 200, body, headers)
            return

        include_usage = bool((payload.get("stream_options") or {}).get("include_usage"))
        if behavior is not None and behavior.kind == BehaviorKind.NO_USAGE:
            include_usage = False

        def chunk(choices: list[dict[str, Any]], usage_value: Any = None) -> bytes:
            data: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": choices,
            }
            if include_usage:
                data["usage"] = usage_value
            return _sse(None, data)

        await _start_stream(send, headers)
        await _send_chunk(
            send,
            chunk(
                [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
            ),
        )
        for index, delta in enumerate(answer.deltas):
            if behavior is not None and index == behavior.after_deltas:
                if await self._misbehave_in_stream(send, behavior, openai=True):
                    return
            await _send_chunk(
                send, chunk([{"index": 0, "delta": {"content": delta}, "finish_reason": None}])
            )
        if behavior is not None and behavior.after_deltas >= len(answer.deltas):
            if await self._misbehave_in_stream(send, behavior, openai=True):
                return
        await _send_chunk(send, chunk([{"index": 0, "delta": {}, "finish_reason": finish_reason}]))
        if include_usage:
            await _send_chunk(send, chunk([], usage))
        await _send_chunk(send, b"data: [DONE]\n\n")
        await _end_stream(send)

    async def _openai_error(self, send: Send, behavior: Behavior, request: RecordedRequest) -> None:
        assert behavior.status is not None
        body = behavior.body
        if body is None:
            message = f"The fake server was told to fail with HTTP {behavior.status}."
            if behavior.status == 401:
                # Real servers quote the key they received, and adapters must not repeat it.
                key = request.headers.get("authorization", "").removeprefix("Bearer ")
                message = f"Incorrect API key provided: {key}."
            body = _openai_error_body(behavior.status, message, behavior.error_type)
        await _send_json(send, behavior.status, body, list(behavior.headers))

    # Anthropic Messages

    async def _anthropic(
        self, request: RecordedRequest, behavior: Behavior | None, number: int, send: Send
    ) -> None:
        request_id = f"req_fake_{number}"
        message_id = f"msg_fake_{number}"
        headers = [("request-id", request_id)]
        if behavior is not None and behavior.kind == BehaviorKind.NO_REQUEST_ID:
            headers = []

        if behavior is not None and behavior.kind == BehaviorKind.HANG:
            await self._hang(behavior.seconds)
        if behavior is not None and behavior.kind == BehaviorKind.STATUS:
            assert behavior.status is not None
            body = behavior.body
            if body is None:
                message = f"The fake server was told to fail with HTTP {behavior.status}."
                if behavior.status == 401:
                    message = f"invalid x-api-key: {request.headers.get('x-api-key', '')}"
                body = _anthropic_error_body(
                    behavior.status, message, behavior.error_type, request_id
                )
            await _send_json(send, behavior.status, body, list(behavior.headers) + headers)
            return

        if "x-api-key" not in request.headers:
            await _send_json(
                send,
                401,
                _anthropic_error_body(401, "x-api-key header is required", None, request_id),
                headers,
            )
            return
        if "anthropic-version" not in request.headers:
            await _send_json(
                send,
                400,
                _anthropic_error_body(
                    400, "anthropic-version: header is required", None, request_id
                ),
                headers,
            )
            return
        try:
            payload = json.loads(request.body)
        except ValueError:
            await _send_json(
                send,
                400,
                _anthropic_error_body(400, "The request body is not valid JSON.", None, request_id),
                headers,
            )
            return
        problem = _anthropic_request_problem(payload)
        if problem is not None:
            await _send_json(
                send, 400, _anthropic_error_body(400, problem, None, request_id), headers
            )
            return

        model = payload["model"]
        messages = list(payload["messages"])
        if isinstance(payload.get("system"), str):
            messages.insert(0, {"role": "system", "content": payload["system"]})
        answer = _scripted(
            _answer(messages, payload["max_tokens"], payload.get("stop_sequences")), behavior
        )
        usage: dict[str, Any] = {
            "input_tokens": answer.input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": len(answer.words),
        }
        if behavior is not None and behavior.kind == BehaviorKind.USAGE:
            usage.update(behavior.usage or {})
        if answer.truncated:
            stop_reason, stop_sequence = "max_tokens", None
        elif answer.stop_sequence is not None:
            stop_reason, stop_sequence = "stop_sequence", answer.stop_sequence
        else:
            stop_reason, stop_sequence = "end_turn", None

        if not payload.get("stream"):
            if behavior is not None and behavior.kind == BehaviorKind.MALFORMED_JSON:
                await _send_raw(send, 200, b'{"id": "msg_broken", "content": [', headers)
                return
            if behavior is not None and behavior.kind == BehaviorKind.MISSING_FIELDS:
                await _send_json(send, 200, {"id": message_id, "type": "message"}, headers)
                return
            body = {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": answer.text}],
                "stop_reason": stop_reason,
                "stop_sequence": stop_sequence,
                "usage": usage,
            }
            if behavior is not None and behavior.kind == BehaviorKind.NO_USAGE:
                del body["usage"]
            await _send_json(send, 200, body, headers)
            return

        start_usage = {**usage, "output_tokens": 1}
        final_usage: dict[str, Any] = {"output_tokens": usage["output_tokens"]}
        if behavior is not None and behavior.kind == BehaviorKind.NO_USAGE:
            start_usage = {}
            final_usage = {}

        await _start_stream(send, headers)
        message_start = {
            "type": "message_start",
            "message": {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        }
        await _send_chunk(send, _sse("message_start", message_start))
        await _send_chunk(
            send,
            _sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
        )
        await _send_chunk(send, _sse("ping", {"type": "ping"}))
        for index, delta in enumerate(answer.deltas):
            if behavior is not None and index == behavior.after_deltas:
                if await self._misbehave_in_stream(send, behavior, openai=False):
                    return
            await _send_chunk(
                send,
                _sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": delta},
                    },
                ),
            )
        if behavior is not None and behavior.after_deltas >= len(answer.deltas):
            if await self._misbehave_in_stream(send, behavior, openai=False):
                return
        await _send_chunk(
            send, _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        )
        message_delta: dict[str, Any] = {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
        }
        if final_usage:
            message_delta["usage"] = final_usage
        await _send_chunk(send, _sse("message_delta", message_delta))
        await _send_chunk(send, _sse("message_stop", {"type": "message_stop"}))
        await _end_stream(send)

    async def _misbehave_in_stream(self, send: Send, behavior: Behavior, *, openai: bool) -> bool:
        """Apply a stream behaviour at its position. Returns True when the stream must end."""
        if behavior.kind == BehaviorKind.CUT_STREAM:
            raise _StreamCut()
        if behavior.kind == BehaviorKind.END_STREAM_EARLY:
            await _end_stream(send)
            return True
        if behavior.kind == BehaviorKind.STALL_STREAM:
            await self._hang(behavior.seconds)
            return False
        if behavior.kind == BehaviorKind.MALFORMED_JSON:
            await _send_chunk(send, b"data: {not json\n\n")
            await _end_stream(send)
            return True
        if behavior.kind == BehaviorKind.STREAM_ERROR:
            error_type = behavior.error_type or "overloaded_error"
            if openai:
                error = {
                    "error": {
                        "message": f"The fake server reports {error_type}.",
                        "type": error_type,
                        "code": 503,
                    }
                }
                await _send_chunk(send, _sse(None, error))
            else:
                error = {
                    "type": "error",
                    "error": {
                        "type": error_type,
                        "message": f"The fake server reports {error_type}.",
                    },
                }
                await _send_chunk(send, _sse("error", error))
            await _end_stream(send)
            return True
        return False


class FakeProviderServer:
    """Runs FakeProviderApp with uvicorn on 127.0.0.1 in a background thread.

    `port` 0 picks a free port. Use as a context manager, or call `start`
    and `stop`.
    """

    def __init__(self, *, port: int = 0) -> None:
        self.app = FakeProviderApp()
        self._requested_port = port
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the fake provider server is not running")
        return f"http://{LOOPBACK}:{self._port}"

    @property
    def openai_base_url(self) -> str:
        """The base URL an OpenAI client expects, with the /v1 prefix."""
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """The base URL an Anthropic client expects, without the /v1/messages that clients add."""
        return self.base_url

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.app.requests

    def enqueue(self, *behaviors: Behavior) -> None:
        """Script the next requests: each behaviour applies to one request, in order."""
        self.app.enqueue(*behaviors)

    def reset(self) -> None:
        self.app.reset()

    def start(self) -> FakeProviderServer:
        logging.getLogger("uvicorn.error").addFilter(_SuppressStreamCut())
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, self._requested_port))
        self._port = sock.getsockname()[1]

        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            daemon=True,
            name=f"fake-provider-{self._port}",
        )
        self._thread.start()

        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the fake provider server did not start on port {self._port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self.app.release_hangs()
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT_SECONDS)
        if self._thread.is_alive():
            raise RuntimeError(f"the fake provider server on port {self._port} did not stop")
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@attrs.frozen
class _Answer:
    words: list[str]
    input_tokens: int
    truncated: bool
    stop_sequence: str | None

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def deltas(self) -> list[str]:
        return [word if index == 0 else f" {word}" for index, word in enumerate(self.words)]


def _answer(messages: list[dict[str, Any]], max_tokens: int | None, stop: Any) -> _Answer:
    """Build the echo reply: "Echo:" and the words of the last user message."""
    input_tokens = sum(len(_content_text(m).split()) + TOKENS_PER_MESSAGE for m in messages)
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    words = ["Echo:", *(_content_text(last_user).split() if last_user else [])]

    stop_sequences = [stop] if isinstance(stop, str) else list(stop or [])
    found_stop = None
    text = " ".join(words)
    for sequence in stop_sequences:
        if sequence and sequence in text:
            text = text[: text.index(sequence)]
            found_stop = sequence
            words = text.split()
            break

    truncated = False
    if isinstance(max_tokens, int) and len(words) > max_tokens:
        words = words[:max_tokens]
        truncated = True
        found_stop = None
    return _Answer(
        words=words, input_tokens=input_tokens, truncated=truncated, stop_sequence=found_stop
    )


def _scripted(answer: _Answer, behavior: Behavior | None) -> _Answer:
    """Replace the echo with the words a `Behavior.reply` scripted."""
    if behavior is None or behavior.kind != BehaviorKind.REPLY:
        return answer
    return attrs.evolve(answer, words=list(behavior.words), truncated=False, stop_sequence=None)


def _content_text(message: dict[str, Any] | None) -> str:
    if message is None:
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(block.get("text", "") for block in content if isinstance(block, dict))
    return ""


def _openai_request_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "The request body must be a JSON object."
    if not isinstance(payload.get("model"), str):
        return "you must provide a model parameter"
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array."
    return None


def _anthropic_request_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "The request body must be a JSON object."
    if not isinstance(payload.get("model"), str):
        return "model: Field required"
    if not isinstance(payload.get("max_tokens"), int):
        return "max_tokens: Field required"
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return f'messages.{index}.role: Input should be "user" or "assistant"'
    if "seed" in payload:
        return "seed: Extra inputs are not permitted"
    if "stop" in payload:
        return "stop: Extra inputs are not permitted"
    return None


def _openai_error_body(status: int, message: str, error_type: str | None = None) -> dict[str, Any]:
    default_type, code = _OPENAI_ERROR_TYPES.get(status, ("server_error", None))
    return {
        "error": {
            "message": message,
            "type": error_type or default_type,
            "param": None,
            "code": code,
        }
    }


def _anthropic_error_body(
    status: int, message: str, error_type: str | None, request_id: str
) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {
            "type": error_type or _ANTHROPIC_ERROR_TYPES.get(status, "api_error"),
            "message": message,
        },
        "request_id": request_id,
    }


def _sse(event: str | None, data: Any) -> bytes:
    lines = []
    if event is not None:
        lines.append(f"event: {event}")
    lines.append(f"data: {json.dumps(data)}")
    return ("\n".join(lines) + "\n\n").encode()


async def _send_json(
    send: Send, status: int, body: Any, headers: list[tuple[str, str]] | None = None
) -> None:
    await _send_raw(send, status, json.dumps(body).encode(), headers)


async def _send_raw(
    send: Send, status: int, body: bytes, headers: list[tuple[str, str]] | None = None
) -> None:
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.encode(), v.encode()) for k, v in headers or []]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def _start_stream(send: Send, headers: list[tuple[str, str]]) -> None:
    raw_headers = [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-cache"),
    ]
    raw_headers += [(k.encode(), v.encode()) for k, v in headers]
    await send({"type": "http.response.start", "status": 200, "headers": raw_headers})


async def _send_chunk(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _end_stream(send: Send) -> None:
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Serve fake OpenAI (/v1/chat/completions) and Anthropic (/v1/messages) "
        "endpoints on 127.0.0.1, responding at once with an echo of the last user message."
    )
    parser.add_argument(
        "--port", type=int, default=8900, help="TCP port to listen on (default 8900)"
    )
    arguments = parser.parse_args()

    logging.getLogger("uvicorn.error").addFilter(_SuppressStreamCut())
    print(
        f"Fake provider server on http://{LOOPBACK}:{arguments.port} "
        f"(OpenAI base URL http://{LOOPBACK}:{arguments.port}/v1)",
        flush=True,
    )
    uvicorn.run(
        FakeProviderApp(),
        host=LOOPBACK,
        port=arguments.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
