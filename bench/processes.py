"""Start and stop the servers a benchmark drives, and read their memory from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

import httpx

LOOPBACK = "127.0.0.1"
REPOSITORY = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A server started as a child process, stopped with SIGINT (then SIGKILL) on `stop`.

    Its output goes to `log_path`, so a failed start can be explained.
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        port: int,
        ready_path: str,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        ready_headers: Mapping[str, str] | None = None,
        supervisor: bool = False,
    ) -> None:
        self.name = name
        self.port = port
        self.base_url = f"http://{LOOPBACK}:{port}"
        self._command = list(command)
        self._ready_path = ready_path
        self._ready_headers = dict(ready_headers or {})
        self._log_path = log_path
        self._env = {**os.environ, **(env or {})}
        self._supervisor = supervisor
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server has not been started"
        return self._process.pid

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> ServerProcess:
        log = self._log_path.open("ab")
        self._process = subprocess.Popen(
            self._command,
            cwd=REPOSITORY,
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self._process.returncode} during startup; "
                    f"its output:\n{self.tail_log()}"
                )
            try:
                response = httpx.get(
                    self.base_url + self._ready_path, headers=self._ready_headers, timeout=2.0
                )
                if response.status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(
            f"{self.name} did not respond at {self._ready_path} within {timeout:.0f} s; "
            f"its output:\n{self.tail_log()}"
        )

    def stop(self) -> None:
        """Stop the server and every process it started (its whole process group)."""
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
            text = self._log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        """Return the PIDs of the processes that serve requests.

        With `supervisor` set (granian), the main process only supervises and
        its children are the workers. Otherwise the process serves requests
        itself, together with any children it started.
        """
        children = _children(self.pid)
        if self._supervisor:
            return children or [self.pid]
        return [self.pid, *children]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return sorted(set(children))


def memory_mib(pid: int) -> tuple[float, float]:
    """Return (current RSS, peak RSS) of `pid` in MiB, from VmRSS and VmHWM in /proc.

    VmHWM is the kernel's high-water mark of resident memory since the process
    started, so no sampling loop can miss a short peak.
    """
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0]) / 1024  # kB
    except FileNotFoundError:
        pass
    return round(values["VmRSS"], 1), round(values["VmHWM"], 1)


def python_command(*arguments: str) -> list[str]:
    """Return a command that runs this interpreter (the project's virtual environment)."""
    return [sys.executable, *arguments]


# The servers under test run from a deployment's install of promptlab
# (`pip install -e '.[postgres]'`, as `make install` does), created by `make
# bench-tools`. The development install also holds the test tools, and
# dependency-injector imports FastAPI, pydantic, Starlette and Werkzeug when
# they are installed: 17 MiB more per worker, measured by blocking those
# imports. Without this environment the servers run from the development one.
SERVER_VENV = REPOSITORY / "bench" / ".venv-server"


def server_bin() -> Path:
    """Return the folder of the interpreter and console scripts that run the servers under test."""
    deployed = SERVER_VENV / "bin"
    return deployed if (deployed / "promptlab").exists() else Path(sys.executable).parent


def server_install() -> str:
    """Describe the install the servers under test run from, for the results page."""
    if server_bin() == SERVER_VENV / "bin":
        return "deployment install (bench/.venv-server: pip install -e '.[postgres]')"
    return (
        "development install (.venv, with the test tools; `make bench-tools` creates the "
        "deployment install, which takes 17 MiB less per worker)"
    )
