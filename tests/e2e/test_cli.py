"""The promptlab command reports user mistakes in one line, with exit status 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = [sys.executable, "-m", "promptlab.entrypoints.cli"]


def run(
    arguments: list[str], tmp_path: Path, **environment: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROMPTLAB_DATA_DIR": str(tmp_path / "data"), **environment}
    return subprocess.run(
        [*COMMAND, *arguments], capture_output=True, text=True, env=env, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("arguments", "environment", "expected"),
    [
        (["serve"], {"PROMPTLAB_PORT": "x"}, "must be a whole number, got 'x'"),
        (["serve", "--port", "99999"], {}, "must be a TCP port from 1 to 65535"),
        (["serve", "--workers", "0"], {}, "must be at least 1, got 0"),
        (["migrate"], {"PROMPTLAB_SECRET_KEY": "short"}, "PROMPTLAB_SECRET_KEY is 5 bytes"),
        (["migrate", "nosuchrevision"], {}, "cannot migrate to revision 'nosuchrevision'"),
    ],
)
def test_mistake_is_one_line(
    arguments: list[str], environment: dict[str, str], expected: str, tmp_path: Path
) -> None:
    result = run(arguments, tmp_path, **environment)

    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_help_works_with_bad_environment(tmp_path: Path) -> None:
    result = run(["serve", "--help"], tmp_path, PROMPTLAB_PORT="x", PROMPTLAB_WORKERS="y")

    assert result.returncode == 0
    assert "--workers" in result.stdout


def test_serve_refuses_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        result = run(["serve", "--port", str(port)], tmp_path)

    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_serve_port_check_ignores_time_wait(tmp_path: Path) -> None:
    # A connection closed by the server side stays in TIME_WAIT on the
    # server's port, as after a restart; the port is still free to listen on.
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        accepted.close()
        client.close()

    from promptlab.entrypoints.cli import _check_port_free

    _check_port_free("127.0.0.1", port)
