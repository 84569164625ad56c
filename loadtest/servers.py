"""The processes and databases of one load run: a fresh database, the fake provider, the server.

Everything listens on 127.0.0.1 and is stopped (its whole process group) when
the run ends, whether it passed or not.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import attrs
import httpx

LOOPBACK = "127.0.0.1"
REPOSITORY = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_DSN = os.environ.get(
    "PROMPTLAB_LOADTEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
FAKE_KEY_VARIABLE = "PROMPTLAB_LOADTEST_FAKE_KEY"

# Model ids of the load catalog. The unreachable one points at a closed port,
# so its executions end `failed` with connection_failed after the retries.
ECHO_MODEL = "load-echo"
UNREACHABLE_MODEL = "load-unreachable"

MODELS_FILE = """
[providers.load-fake]
kind = "openai_compatible"
base_url = "http://{host}:{fake_port}/v1"
api_key_env = "{key_variable}"

[providers.load-unreachable]
kind = "openai_compatible"
base_url = "http://{host}:{closed_port}/v1"
api_key_env = "{key_variable}"

[models."{echo_model}"]
provider = "load-fake"
upstream_name = "echo"
context_window = 8000
max_output_tokens = 256
input_price_per_million = "1"
output_price_per_million = "2"

[models."{unreachable_model}"]
provider = "load-unreachable"
upstream_name = "echo"
context_window = 8000
max_output_tokens = 256
input_price_per_million = "1"
output_price_per_million = "2"
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def executable(name: str) -> str:
    """Return the path of a console script installed beside this interpreter."""
    return str(Path(sys.executable).parent / name)


@attrs.frozen
class LoadDatabase:
    backend: str
    data_dir: Path
    url: str


async def _postgres_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_database(backend: str) -> Iterator[LoadDatabase]:
    """Yield an empty SQLite file or PostgreSQL database, removed with its data folder after."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"promptlab-load-{backend}-"))
    try:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{data_dir / 'promptlab.db'}"
            yield LoadDatabase(backend, data_dir, url)
            return

        name = f"promptlab_load_{uuid.uuid4().hex[:12]}"
        try:
            asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
        except OSError as error:
            raise SystemExit(
                f"loadtest: PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN} ({error}). "
                "Start it, set PROMPTLAB_LOADTEST_POSTGRES_DSN, or run with --databases sqlite."
            ) from error
        try:
            base, _, _ = POSTGRES_ADMIN_DSN.rpartition("/")
            url = f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
            yield LoadDatabase(backend, data_dir, url)
        finally:
            asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def write_models_file(folder: Path, fake_port: int) -> Path:
    path = folder / "models.toml"
    path.write_text(
        MODELS_FILE.format(
            host=LOOPBACK,
            fake_port=fake_port,
            closed_port=free_port(),
            key_variable=FAKE_KEY_VARIABLE,
            echo_model=ECHO_MODEL,
            unreachable_model=UNREACHABLE_MODEL,
        )
    )
    return path


def server_environment(
    database: LoadDatabase, models_file: Path, redis_url: str | None
) -> dict[str, str]:
    """PROMPTLAB_* settings of the load server: the limits allow the whole run.

    Rate limits stay on, counted in Redis when `redis_url` is set, but are
    set far above what the run sends, so the throughput phase never hits
    them. argon2 uses a cheap profile, so the run measures the database and
    the HTTP path rather than password hashing.
    """
    generous = "1000000/60"
    environment = {
        "PROMPTLAB_DATA_DIR": str(database.data_dir),
        "PROMPTLAB_DATABASE_URL": database.url,
        "PROMPTLAB_SECRET_KEY": secrets.token_urlsafe(48),
        "PROMPTLAB_MODELS_FILE": str(models_file),
        FAKE_KEY_VARIABLE: "sk-loadtest-fake",
        "PROMPTLAB_RATE_LIMIT_LOGIN": generous,
        "PROMPTLAB_RATE_LIMIT_REGISTER": generous,
        "PROMPTLAB_RATE_LIMIT_REFRESH": generous,
        "PROMPTLAB_RATE_LIMIT_EXECUTE": generous,
        "PROMPTLAB_RATE_LIMIT_EXECUTE_PER_CLIENT": generous,
        "PROMPTLAB_ARGON2_TIME_COST": "1",
        "PROMPTLAB_ARGON2_MEMORY_COST": "4096",
        "PROMPTLAB_ARGON2_PARALLELISM": "1",
        "PROMPTLAB_PROVIDER_TIMEOUT_SECONDS": "10",
        "PROMPTLAB_PROVIDER_MAX_ATTEMPTS": "2",
        "PROMPTLAB_PROVIDER_BACKOFF_INITIAL_SECONDS": "0.05",
        "PROMPTLAB_PROVIDER_BACKOFF_MAX_SECONDS": "0.1",
        "PROMPTLAB_LOG_LEVEL": "WARNING",
    }
    if redis_url:
        environment["PROMPTLAB_REDIS_URL"] = redis_url
    return environment


class ServerProcess:
    """A child process in its own process group, ready once `ready_path` returns a status below 500."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        port: int,
        ready_path: str,
        log_path: Path,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.base_url = f"http://{LOOPBACK}:{port}"
        self.log_path = log_path
        self._command = list(command)
        self._ready_path = ready_path
        self._environment = {**os.environ, **(environment or {})}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._process.pid

    def start(self) -> Self:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self._command,
                cwd=REPOSITORY,
                env=self._environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self._process.returncode} during startup; "
                    f"its output:\n{self.tail_log()}"
                )
            try:
                if httpx.get(self.base_url + self._ready_path, timeout=2.0).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(
            f"{self.name} did not respond on {self._ready_path} within {START_TIMEOUT_SECONDS:.0f} s; "
            f"its output:\n{self.tail_log()}"
        )

    def stop(self) -> None:
        """Stop the process and every process it started, with SIGINT and then SIGKILL."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def tail_log(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def migrate(environment: Mapping[str, str], log_path: Path) -> None:
    """Run `promptlab migrate`; the server migrates SQLite itself but not PostgreSQL."""
    with log_path.open("ab") as log:
        completed = subprocess.run(
            [executable("promptlab"), "migrate"],
            cwd=REPOSITORY,
            env={**os.environ, **environment},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"promptlab migrate failed; see {log_path}")


def fake_provider(port: int, log_path: Path) -> ServerProcess:
    return ServerProcess(
        "fake provider",
        [sys.executable, "-m", "tests.fakes.provider_server", "--port", str(port)],
        port=port,
        ready_path="/health",
        log_path=log_path,
    )


def promptlab_server(
    port: int, workers: int, environment: Mapping[str, str], log_path: Path
) -> ServerProcess:
    return ServerProcess(
        "promptlab serve",
        [
            executable("promptlab"),
            "serve",
            "--host",
            LOOPBACK,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        port=port,
        ready_path="/health/",
        log_path=log_path,
        environment=environment,
    )
