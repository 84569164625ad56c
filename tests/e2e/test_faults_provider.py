"""Providers that fail below HTTP: nothing listening, or a socket closed mid-response.

The executions tests cover every HTTP-level failure through the fake provider
server. These cases need a socket that misbehaves on purpose, so they use a
closed loopback port and a raw TCP server. Either way the request gets 201
and the execution log ends `failed`, with the error recorded.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Self

import attrs
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.catalog import load_catalog
from promptlab.adapters.providers.registry import ProviderRegistry
from promptlab.adapters.sqlalchemy.tables import executions
from promptlab.entrypoints.http.app import create_app
from promptlab.entrypoints.settings import Settings
from tests.support.api import Account, Api
from tests.support.server import LiveServer

KEY_VARIABLE = "PROMPTLAB_TEST_FAULT_KEY"
MAX_ATTEMPTS = 2

MODELS_FILE = """
[providers.refused]
kind = "openai_compatible"
base_url = "http://127.0.0.1:{refused_port}/v1"
api_key_env = "{key_variable}"

[providers.cut-off]
kind = "openai_compatible"
base_url = "http://127.0.0.1:{cut_off_port}/v1"
api_key_env = "{key_variable}"

[models."refused-model"]
provider = "refused"
upstream_name = "gpt-refused"
context_window = 8000
max_output_tokens = 1000

[models."cut-off-model"]
provider = "cut-off"
upstream_name = "gpt-cut-off"
context_window = 8000
max_output_tokens = 1000
"""

# Headers that promise a longer body than the server sends before it closes.
PARTIAL_RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: 400\r\n"
    b"\r\n"
    b'{"id": "chatcmpl-cut", "object": "chat.completion", "choices": [{"ind'
)
PARTIAL_STREAM = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/event-stream\r\n"
    b"Content-Length: 400\r\n"
    b"\r\n"
    b'data: {"id": "chatcmpl-cut", "object": "chat.completion.chunk", "choi'
)


class CuttingServer:
    """A TCP server on loopback that sends half a response to every request, then closes."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        self._socket.settimeout(0.2)
        self.port = int(self._socket.getsockname()[1])
        self.connections = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._thread.join(10)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with connection:
                connection.settimeout(5)
                body = _read_request(connection)
                streamed = b'"stream":true' in body.replace(b" ", b"")
                connection.sendall(PARTIAL_STREAM if streamed else PARTIAL_RESPONSE)


def _read_request(connection: socket.socket) -> bytes:
    """Read one HTTP request and return its body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return body


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@attrs.frozen
class FaultWorld:
    url: str
    cutting: CuttingServer


@pytest.fixture(scope="module")
def fault_world(
    settings_factory: Callable[..., Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultWorld]:
    with CuttingServer() as cutting:
        models_file = tmp_path_factory.mktemp("fault-catalog") / "models.toml"
        models_file.write_text(
            MODELS_FILE.format(
                refused_port=closed_port(), cut_off_port=cutting.port, key_variable=KEY_VARIABLE
            )
        )
        registry = ProviderRegistry(load_catalog(models_file), {KEY_VARIABLE: "sk-fault"})
        settings = settings_factory(
            models_file=models_file,
            provider_timeout_seconds=5.0,
            provider_max_attempts=MAX_ATTEMPTS,
            provider_backoff_initial_seconds=0.05,
            provider_backoff_max_seconds=0.1,
        )
        server = LiveServer(create_app(settings, overrides={"model_providers": registry})).start()
        try:
            yield FaultWorld(url=server.url, cutting=cutting)
        finally:
            server.stop()


def prompt_path(api: Api, owner: Account) -> str:
    project = api.post("/api/projects/", as_=owner, json={"name": f"Faults {uuid.uuid4().hex[:6]}"})
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    session = api.post(f"/api/projects/{project_id}/sessions/", as_=owner, json={"name": "S"})
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]
    prompt = api.post(
        f"/api/projects/{project_id}/sessions/{session_id}/prompts/",
        as_=owner,
        json={"content": "Say hello"},
    )
    assert prompt.status_code == 201, prompt.text
    return f"/api/projects/{project_id}/sessions/{session_id}/prompts/{prompt.json()['id']}"


async def count_logs(engine: AsyncEngine, prompt_id: str) -> int:
    async with engine.connect() as connection:
        result = await connection.execute(
            select(func.count())
            .select_from(executions)
            .where(executions.c.prompt_id == uuid.UUID(prompt_id))
        )
        return int(result.scalar_one())


@pytest.mark.parametrize(
    ("model", "stream", "code", "attempts"),
    [
        pytest.param("refused-model", False, "connection_failed", MAX_ATTEMPTS, id="refused"),
        pytest.param("refused-model", True, "connection_failed", MAX_ATTEMPTS, id="refused-stream"),
        pytest.param("cut-off-model", False, "connection_failed", MAX_ATTEMPTS, id="cut-off"),
        # The stream had begun with its 200 status, so it broke rather than failed to
        # start, and a broken stream is not retried.
        pytest.param("cut-off-model", True, "stream_interrupted", 1, id="cut-off-stream"),
    ],
)
async def test_transport_failure_is_recorded(
    fault_world: FaultWorld,
    engine: AsyncEngine,
    model: str,
    stream: bool,
    code: str,
    attempts: int,
) -> None:
    api = Api(fault_world.url)
    try:
        owner = api.register()
        path = prompt_path(api, owner)
        connections_before = fault_world.cutting.connections

        response = api.post(
            path + "/execute/", as_=owner, params={"stream": stream}, json={"model": model}
        )

        assert response.status_code == 201, response.text
        logs = api.get(path + "/executions/", as_=owner).json()["results"]
        assert len(logs) == 1
        log = logs[0]
        assert log["status"] == "failed"
        assert log["error"]["code"] == code
        assert log["error"]["provider_status"] is None
        assert log["attempts"] == attempts
        assert log["completed_at"] is not None
        assert log["output"] is None
        assert "sk-fault" not in log["error"]["message"]
        assert await count_logs(engine, path.rsplit("/", 1)[-1]) == 1
        if model == "cut-off-model":
            assert fault_world.cutting.connections - connections_before == attempts
    finally:
        api.close()
