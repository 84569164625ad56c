"""Rate limits hold across worker processes of `promptlab serve`, on both databases.

Each test sends its requests over several keep-alive connections and finds,
from /proc, which worker process accepted each connection. So it can tell that
the requests reached both workers, and how many reached each. Every test
sends from a loopback address of its own (127.x.y.z), and uses new emails,
so its counters in the shared Redis start at zero.
"""

from __future__ import annotations

import http.client
import json
import random
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import redis
from redis.exceptions import RedisError

from loadtest.servers import ServerProcess, free_port, promptlab_server
from tests.fakes import FakeProviderServer
from tests.fakes.fixtures import fake_provider_server  # noqa: F401
from tests.integration.test_rate_limiters import REDIS_URL

WINDOW_SECONDS = 60
LOGIN_LIMIT = 4
REGISTER_LIMIT = 4
REFRESH_LIMIT = 4
EXECUTE_LIMIT = 3
EXECUTE_CLIENT_LIMIT = 5
PASSWORD = "rate limit password"
MODEL = "limit-echo"
KEY_VARIABLE = "PROMPTLAB_TEST_LIMITS_FAKE_KEY"
# A worker still starting accepts nothing, so the other takes every connection
# until it is up: keep trying, a short pause apart, for up to about 20 s.
MAX_CONNECTION_ATTEMPTS = 400
CONNECTION_RETRY_PAUSE_SECONDS = 0.05

MODELS_FILE = """
[providers.limit-fake]
kind = "openai_compatible"
base_url = "{base_url}"
api_key_env = "{key_variable}"

[models."{model}"]
provider = "limit-fake"
upstream_name = "echo"
context_window = 8000
max_output_tokens = 256
input_price_per_million = "1"
output_price_per_million = "2"
"""


def new_client_address() -> str:
    """A loopback address other than 127.0.0.1, so this test's per-address counters are new."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def new_email() -> str:
    return f"limits-{uuid.uuid4().hex[:12]}@example.com"


@attrs.frozen
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    worker: int


class Connection:
    """One keep-alive HTTP connection from a chosen source address, and the worker serving it."""

    def __init__(self, server: Server, source_address: str) -> None:
        self._server = server
        self._http = http.client.HTTPConnection(
            "127.0.0.1", server.port, timeout=30, source_address=(source_address, 0)
        )
        self.worker = 0

    def send(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> Reply:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None if body is None else json.dumps(body)
        self._http.request(method, path, body=payload, headers=headers)
        response = self._http.getresponse()
        raw = response.read()
        if not self.worker:
            self.worker = self._server.worker_of(self._http.sock.getsockname()[1])
        return Reply(
            status=response.status,
            headers={name.lower(): value for name, value in response.getheaders()},
            body=json.loads(raw) if raw else None,
            worker=self.worker,
        )

    def close(self) -> None:
        self._http.close()


@attrs.define
class Server:
    """A running `promptlab serve` and the process ids of its workers."""

    process: ServerProcess
    port: int
    workers: list[int]
    connections: list[Connection] = attrs.Factory(list)

    def worker_of(self, client_port: int) -> int:
        """Return the worker holding the server end of the connection from `client_port`."""
        inode = _server_side_inode(self.port, client_port)
        for pid in self.workers:
            for descriptor in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if descriptor.readlink().name == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
        raise AssertionError(f"no worker of {self.workers} holds socket inode {inode}")

    def connect(self, source_address: str, per_worker: int = 2) -> list[Connection]:
        """Open `per_worker` connections to each worker from `source_address`.

        They come back alternating between workers, so requests sent round
        robin over them reach every worker equally often.
        """
        by_worker: dict[int, list[Connection]] = {pid: [] for pid in self.workers}
        for _ in range(MAX_CONNECTION_ATTEMPTS):
            if all(len(queue) >= per_worker for queue in by_worker.values()):
                break
            connection = Connection(self, source_address)
            self.connections.append(connection)
            reply = connection.send("GET", "/health/")
            assert reply.status == 200
            if len(by_worker[reply.worker]) >= per_worker:
                time.sleep(CONNECTION_RETRY_PAUSE_SECONDS)
                continue
            by_worker[reply.worker].append(connection)
        counts = {pid: len(queue) for pid, queue in by_worker.items()}
        assert min(counts.values()) >= per_worker, f"connections per worker: {counts}"

        return [by_worker[pid][index] for index in range(per_worker) for pid in self.workers]

    def close(self) -> None:
        for connection in self.connections:
            connection.close()


def _server_side_inode(server_port: int, client_port: int) -> str:
    """Find the socket inode of the server end of a loopback TCP connection in /proc/net/tcp."""
    local = f"0100007F:{server_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].split(":")[1], 16)
        if fields[1] == local and remote_port == client_port:
            return fields[9]
    raise AssertionError(f"no TCP connection from port {client_port} to {server_port}")


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.extend(int(child) for child in (task / "children").read_text().split())
    return children


@pytest.fixture(scope="module")
def start_server(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    fake_provider_server: FakeProviderServer,  # noqa: F811
) -> Iterator[Callable[..., Server]]:
    """Start `promptlab serve` on the session's database with low rate limits."""
    folder = tmp_path_factory.mktemp("limits")
    models_file = folder / "models.toml"
    models_file.write_text(
        MODELS_FILE.format(
            base_url=fake_provider_server.openai_base_url, key_variable=KEY_VARIABLE, model=MODEL
        )
    )
    started: list[Server] = []

    def start(*, workers: int, redis: bool) -> Server:
        environment = {
            "PROMPTLAB_DATA_DIR": str(folder / f"data-{len(started)}"),
            "PROMPTLAB_DATABASE_URL": database_url,
            "PROMPTLAB_SECRET_KEY": secrets.token_urlsafe(48),
            "PROMPTLAB_MODELS_FILE": str(models_file),
            KEY_VARIABLE: "sk-limits-fake",
            "PROMPTLAB_RATE_LIMIT_LOGIN": f"{LOGIN_LIMIT}/{WINDOW_SECONDS}",
            "PROMPTLAB_RATE_LIMIT_REGISTER": f"{REGISTER_LIMIT}/{WINDOW_SECONDS}",
            "PROMPTLAB_RATE_LIMIT_REFRESH": f"{REFRESH_LIMIT}/{WINDOW_SECONDS}",
            "PROMPTLAB_RATE_LIMIT_EXECUTE": f"{EXECUTE_LIMIT}/{WINDOW_SECONDS}",
            "PROMPTLAB_RATE_LIMIT_EXECUTE_PER_CLIENT": f"{EXECUTE_CLIENT_LIMIT}/{WINDOW_SECONDS}",
            "PROMPTLAB_ARGON2_TIME_COST": "1",
            "PROMPTLAB_ARGON2_MEMORY_COST": "1024",
            "PROMPTLAB_ARGON2_PARALLELISM": "1",
            "PROMPTLAB_LOG_LEVEL": "WARNING",
        }
        if redis:
            environment["PROMPTLAB_REDIS_URL"] = REDIS_URL
        port = free_port()
        process = promptlab_server(port, workers, environment, folder / f"server-{port}.log")
        process.start()
        server = Server(process, port, [])
        started.append(server)
        server.workers = _children(process.pid)
        assert len(server.workers) == workers, server.workers
        return server

    yield start
    for server in started:
        server.close()
        server.process.stop()


@pytest.fixture(scope="module")
def shared_server(start_server: Callable[..., Server]) -> Server:
    """Two workers counting in Redis."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except (RedisError, OSError) as error:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({error}). Start it with "
            "`redis-server --bind 127.0.0.1 --port 6379 --save '' --daemonize yes`, "
            "or point PROMPTLAB_TEST_REDIS_URL at a running server. CI starts one in .ci/run."
        )
    finally:
        client.close()
    return start_server(workers=2, redis=True)


@pytest.fixture(scope="module")
def memory_server(start_server: Callable[..., Server]) -> Server:
    """One worker counting in its own memory."""
    return start_server(workers=1, redis=False)


@pytest.fixture(scope="module")
def unshared_server(start_server: Callable[..., Server]) -> Server:
    """Two workers, each counting in its own memory: the set-up the limits must not rely on."""
    return start_server(workers=2, redis=False)


def register(server: Server, email: str | None = None) -> tuple[str, dict[str, Any]]:
    """Register a user from an address of its own, so no test's budget pays for it."""
    email = email or new_email()
    connection = Connection(server, new_client_address())
    server.connections.append(connection)
    reply = connection.send(
        "POST",
        "/api/auth/register/",
        {"email": email, "password": PASSWORD, "full_name": "Limit Tester"},
    )
    assert reply.status == 201, reply.body
    return email, reply.body


def send_round_robin(
    connections: list[Connection], count: int, request: Callable[[Connection], Reply]
) -> list[Reply]:
    return [request(connections[index % len(connections)]) for index in range(count)]


def assert_rejected_with_retry_after(replies: list[Reply]) -> None:
    for reply in replies:
        assert reply.status == 429, reply.body
        retry_after = int(reply.headers["retry-after"])
        assert 1 <= retry_after <= WINDOW_SECONDS


def login(email: str) -> Callable[[Connection], Reply]:
    return lambda connection: connection.send(
        "POST", "/api/auth/login/", {"email": email, "password": PASSWORD}
    )


# Login, registration and refresh: the same traffic on each server


def test_login_limit_shared_by_workers(shared_server: Server) -> None:
    email, _ = register(shared_server)
    connections = shared_server.connect(new_client_address())

    # One request more than the limit for each worker.
    replies = send_round_robin(connections, 2 * (LOGIN_LIMIT + 1), login(email))

    allowed = [reply for reply in replies if reply.status == 200]
    rejected = [reply for reply in replies if reply.status != 200]
    assert len(allowed) == LOGIN_LIMIT
    assert_rejected_with_retry_after(rejected)
    assert {reply.worker for reply in replies} == set(shared_server.workers)


def test_login_limit_in_one_worker(memory_server: Server) -> None:
    email, _ = register(memory_server)
    connections = memory_server.connect(new_client_address())

    replies = send_round_robin(connections, 2 * (LOGIN_LIMIT + 1), login(email))

    allowed = [reply for reply in replies if reply.status == 200]
    rejected = [reply for reply in replies if reply.status != 200]
    assert len(allowed) == LOGIN_LIMIT
    assert_rejected_with_retry_after(rejected)


def test_login_limit_per_worker_without_redis(unshared_server: Server) -> None:
    """Without a shared store each worker allows the limit on its own.

    This is what the shared-store test would see if its counters were not
    shared, so that test can fail, and the traffic really reaches both workers.
    """
    email, _ = register(unshared_server)
    connections = unshared_server.connect(new_client_address())

    replies = send_round_robin(connections, 2 * (LOGIN_LIMIT + 1), login(email))

    per_worker = Counter(reply.worker for reply in replies)
    allowed = sum(reply.status == 200 for reply in replies)
    assert per_worker == {pid: LOGIN_LIMIT + 1 for pid in unshared_server.workers}
    assert allowed == 2 * LOGIN_LIMIT


def test_login_limit_per_email_across_clients(shared_server: Server) -> None:
    email, _ = register(shared_server)
    first = shared_server.connect(new_client_address())
    second = shared_server.connect(new_client_address())

    replies = send_round_robin(first + second, LOGIN_LIMIT + 3, login(email))

    allowed = [reply for reply in replies if reply.status == 200]
    assert len(allowed) == LOGIN_LIMIT
    assert_rejected_with_retry_after([reply for reply in replies if reply.status != 200])


def test_login_limit_per_client_across_emails(shared_server: Server) -> None:
    emails = [register(shared_server)[0] for _ in range(LOGIN_LIMIT + 2)]
    connections = shared_server.connect(new_client_address())

    replies = [
        login(email)(connections[index % len(connections)]) for index, email in enumerate(emails)
    ]

    assert [reply.status for reply in replies[:LOGIN_LIMIT]] == [200] * LOGIN_LIMIT
    assert_rejected_with_retry_after(replies[LOGIN_LIMIT:])


def test_register_limit_shared_by_workers(shared_server: Server) -> None:
    connections = shared_server.connect(new_client_address())

    def register_new(connection: Connection) -> Reply:
        return connection.send(
            "POST",
            "/api/auth/register/",
            {"email": new_email(), "password": PASSWORD, "full_name": "Limit Tester"},
        )

    replies = send_round_robin(connections, 2 * (REGISTER_LIMIT + 1), register_new)

    allowed = [reply for reply in replies if reply.status == 201]
    assert len(allowed) == REGISTER_LIMIT
    assert_rejected_with_retry_after([reply for reply in replies if reply.status != 201])
    assert {reply.worker for reply in replies} == set(shared_server.workers)


def test_refresh_limit_shared_by_workers(shared_server: Server) -> None:
    _, registered = register(shared_server)
    connections = shared_server.connect(new_client_address())
    refresh_token = registered["refresh"]

    replies = []
    for index in range(2 * (REFRESH_LIMIT + 1)):
        connection = connections[index % len(connections)]
        reply = connection.send("POST", "/api/auth/token/refresh/", {"refresh": refresh_token})
        if reply.status == 200:
            refresh_token = reply.body["refresh"]
        replies.append(reply)

    allowed = [reply for reply in replies if reply.status == 200]
    assert len(allowed) == REFRESH_LIMIT
    assert_rejected_with_retry_after([reply for reply in replies if reply.status != 200])
    assert {reply.worker for reply in replies} == set(shared_server.workers)


def test_refresh_limit_per_user_across_clients(shared_server: Server) -> None:
    _, registered = register(shared_server)
    first = shared_server.connect(new_client_address())
    second = shared_server.connect(new_client_address())
    connections = [first[0], second[0], first[1], second[1]]
    refresh_token = registered["refresh"]

    # Each client address stays within its own budget; only the user's runs out.
    replies = []
    for index in range(REFRESH_LIMIT + 3):
        connection = connections[index % len(connections)]
        reply = connection.send("POST", "/api/auth/token/refresh/", {"refresh": refresh_token})
        if reply.status == 200:
            refresh_token = reply.body["refresh"]
        replies.append(reply)

    allowed = [reply for reply in replies if reply.status == 200]
    assert len(allowed) == REFRESH_LIMIT
    assert_rejected_with_retry_after([reply for reply in replies if reply.status != 200])


# Execute: per user and per client, across workers


@attrs.frozen
class Executor:
    """A user with a prompt ready to execute."""

    access: str
    execute_path: str

    def execute(self, connection: Connection) -> Reply:
        return connection.send(
            "POST", self.execute_path, {"model": MODEL, "variables": {}}, token=self.access
        )


def new_executor(server: Server) -> Executor:
    _, registered = register(server)
    access = registered["access"]
    connection = Connection(server, new_client_address())
    server.connections.append(connection)

    project = connection.send("POST", "/api/projects/", {"name": "Limits"}, token=access)
    assert project.status == 201, project.body
    sessions_path = f"/api/projects/{project.body['id']}/sessions/"
    session = connection.send("POST", sessions_path, {"name": "Limits"}, token=access)
    assert session.status == 201, session.body
    prompts_path = f"{sessions_path}{session.body['id']}/prompts/"
    prompt = connection.send("POST", prompts_path, {"content": "Say hello"}, token=access)
    assert prompt.status == 201, prompt.body
    return Executor(access, f"{prompts_path}{prompt.body['id']}/execute/")


def test_execute_limit_per_user(shared_server: Server) -> None:
    first_user = new_executor(shared_server)
    second_user = new_executor(shared_server)
    client = shared_server.connect(new_client_address())
    other_client = shared_server.connect(new_client_address())

    within = send_round_robin(client, EXECUTE_LIMIT, first_user.execute)
    over = first_user.execute(client[0])
    over_elsewhere = first_user.execute(other_client[0])
    second = second_user.execute(client[1])

    assert [reply.status for reply in within] == [201] * EXECUTE_LIMIT
    assert {reply.worker for reply in within} == set(shared_server.workers)
    # The user's budget follows them to another client address.
    assert_rejected_with_retry_after([over, over_elsewhere])
    # Another user on the same client has a budget of their own.
    assert second.status == 201


def test_execute_limit_per_client(shared_server: Server) -> None:
    users = [new_executor(shared_server) for _ in range(3)]
    client = shared_server.connect(new_client_address())
    other_client = shared_server.connect(new_client_address())

    # Two users spend the client's budget without reaching their own.
    first = send_round_robin(client, EXECUTE_LIMIT, users[0].execute)
    second = send_round_robin(client, EXECUTE_CLIENT_LIMIT - EXECUTE_LIMIT, users[1].execute)
    third_here = users[2].execute(client[0])
    third_elsewhere = users[2].execute(other_client[0])

    assert [reply.status for reply in first + second] == [201] * EXECUTE_CLIENT_LIMIT
    assert {reply.worker for reply in first + second} == set(shared_server.workers)
    assert_rejected_with_retry_after([third_here])
    assert third_elsewhere.status == 201
