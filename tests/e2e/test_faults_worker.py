"""A server killed during an execution: the log it leaves `running` ends `interrupted`.

The real `promptlab serve` (granian, one worker) runs as a subprocess in its
own process group on a fresh SQLite data folder or a fresh PostgreSQL
database. The fake provider hangs, the execution log reaches `running`, and
SIGKILL ends the whole group, so no code of the server runs after it. A new
server on the same database, with a fast reaper, then marks the log failed
with the code `interrupted` once its deadline has passed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from promptlab.adapters.sqlalchemy.engine import create_engine
from promptlab.adapters.sqlalchemy.migrate import run_migrations
from tests.fakes import Behavior, FakeProviderServer
from tests.fakes.fixtures import fake_provider_server, fake_server  # noqa: F401
from tests.support.api import Account, Api
from tests.support.databases import fresh_database

KEY_VARIABLE = "PROMPTLAB_TEST_WORKER_KEY"
SECRET_KEY = "worker-fault-test-secret-key-that-is-long-enough"
# Short, so that the killed log becomes overdue soon. The first server's own
# deadline cannot end the hung call first, because the test kills it at once.
DEADLINE_SECONDS = "4"
REAPER_INTERVAL_SECONDS = "0.5"
START_TIMEOUT_SECONDS = 60.0
# The deadline, the ten seconds of grace the reaper adds, and slack for a slow machine.
REAPED_TIMEOUT_SECONDS = 60.0

MODELS_FILE = """
[providers.fake-openai]
kind = "openai_compatible"
base_url = "{base_url}"
api_key_env = "{key_variable}"

[models."fake-gpt"]
provider = "fake-openai"
upstream_name = "gpt-fake"
context_window = 8000
max_output_tokens = 1000
"""


def wait_for_provider_call(server: FakeProviderServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not server.requests:
        if time.monotonic() > deadline:
            raise AssertionError(f"the provider received no request within {timeout} s")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(database: dict[str, str], models_file: Path, port: int) -> dict[str, str]:
    """The server's environment: this process's, minus any PROMPTLAB_* setting, plus the test's."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("PROMPTLAB_")
    }
    environment.update(database)
    environment.update(
        {
            "PROMPTLAB_PORT": str(port),
            "PROMPTLAB_WORKERS": "1",
            "PROMPTLAB_MODELS_FILE": str(models_file),
            "PROMPTLAB_EXECUTION_DEADLINE_SECONDS": DEADLINE_SECONDS,
            "PROMPTLAB_REAPER_INTERVAL_SECONDS": REAPER_INTERVAL_SECONDS,
            "PROMPTLAB_PROVIDER_MAX_ATTEMPTS": "1",
            "PROMPTLAB_ARGON2_TIME_COST": "1",
            "PROMPTLAB_ARGON2_MEMORY_COST": "1024",
            "PROMPTLAB_ARGON2_PARALLELISM": "1",
            "PROMPTLAB_RATE_LIMITS_ENABLED": "false",
            KEY_VARIABLE: "sk-worker",
        }
    )
    return environment


@contextmanager
def running_server(
    environment: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `promptlab serve` in a process group of its own, and kill the group when done."""
    command = [str(Path(sys.executable).with_name("promptlab")), "serve"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        kill_group(process)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the server exited with {process.returncode}: {log_path.read_text()}"
            )
        try:
            if httpx.get(url + "/health/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(
        f"the server was not healthy within {START_TIMEOUT_SECONDS} s: {log_path.read_text()}"
    )


def wait_for_status(
    api: Api, owner: Account, logs_path: str, statuses: set[str], timeout: float
) -> dict[str, Any]:
    """Poll the prompt's only execution log until its status is one of `statuses`."""
    deadline = time.monotonic() + timeout
    log: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = api.get(logs_path, as_=owner)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        if results:
            log = results[0]
            if log["status"] in statuses:
                return log
        time.sleep(0.05)
    raise AssertionError(f"no log reached {sorted(statuses)} within {timeout} s; last: {log}")


@contextmanager
def fresh_database_settings(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """PROMPTLAB_* variables for a fresh database on `backend`, migrated when it is PostgreSQL."""
    if backend == "sqlite":
        yield {"PROMPTLAB_DATA_DIR": str(tmp_path / "data")}
        return

    state: dict[str, str] = {}
    ready = threading.Event()
    finished = threading.Event()

    async def keep_database() -> None:
        async with fresh_database("postgresql", tmp_path) as url:
            engine = create_engine(url)
            try:
                await run_migrations(engine)
            finally:
                await engine.dispose()
            state["url"] = url
            ready.set()
            await asyncio.to_thread(finished.wait)

    keeper = threading.Thread(target=lambda: asyncio.run(keep_database()), daemon=True)
    keeper.start()
    assert ready.wait(60), "the fresh PostgreSQL database was not created within 60 s"
    try:
        yield {
            "PROMPTLAB_DATA_DIR": str(tmp_path / "data"),
            "PROMPTLAB_DATABASE_URL": state["url"],
            "PROMPTLAB_SECRET_KEY": SECRET_KEY,
        }
    finally:
        finished.set()
        keeper.join(60)


def test_killed_worker_leaves_interrupted_log(
    backend: str,
    fake_server: FakeProviderServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    models_file = tmp_path / "models.toml"
    models_file.write_text(
        MODELS_FILE.format(base_url=fake_server.openai_base_url, key_variable=KEY_VARIABLE)
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"

    with fresh_database_settings(backend, tmp_path) as database:
        environment = server_environment(database, models_file, port)
        api = Api(url)
        try:
            with running_server(environment, log_path) as first:
                wait_until_healthy(url, first, log_path)
                owner = api.register()
                project = api.post("/api/projects/", as_=owner, json={"name": "Killed"}).json()
                session = api.post(
                    f"/api/projects/{project['id']}/sessions/", as_=owner, json={"name": "S"}
                ).json()
                prompt = api.post(
                    f"/api/projects/{project['id']}/sessions/{session['id']}/prompts/",
                    as_=owner,
                    json={"content": "Say hello"},
                ).json()
                prompt_path = (
                    f"/api/projects/{project['id']}/sessions/{session['id']}/prompts/{prompt['id']}"
                )
                fake_server.enqueue(Behavior.hang(30))

                # The execute request never gets a response: its server is killed.
                caller = threading.Thread(
                    target=_post_quietly,
                    args=(url + prompt_path + "/execute/", owner, {"model": "fake-gpt"}),
                    daemon=True,
                )
                caller.start()
                running = wait_for_status(
                    api, owner, prompt_path + "/executions/", {"running", "succeeded", "failed"}, 30
                )
                # The log is committed as running before the provider is called, so
                # wait for the call itself: the kill must land while it is in flight.
                wait_for_provider_call(fake_server, 30)
                kill_group(first)
                caller.join(30)

            assert running["status"] == "running"
            assert len(fake_server.requests) == 1

            with running_server(environment, log_path) as second:
                wait_until_healthy(url, second, log_path)
                reaped = wait_for_status(
                    api,
                    owner,
                    prompt_path + "/executions/",
                    {"succeeded", "failed", "cancelled"},
                    REAPED_TIMEOUT_SECONDS,
                )

            assert reaped["id"] == running["id"]
            assert reaped["status"] == "failed"
            assert reaped["error"]["code"] == "interrupted"
            assert reaped["completed_at"] is not None
            assert reaped["output"] is None
        finally:
            api.close()


def _post_quietly(url: str, owner: Account, body: dict[str, Any]) -> None:
    try:
        httpx.post(url, headers=owner.headers, json=body, timeout=60)
    except httpx.TransportError:
        pass
