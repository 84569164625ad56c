"""The token signing key: generated once for the embedded setup, validated when given."""

from __future__ import annotations

import hashlib
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from promptlab.entrypoints.http.app import create_app
from promptlab.entrypoints.settings import SECRET_KEY_FILE_NAME, Settings, SettingsError
from tests.support.api import Api
from tests.support.server import LiveServer

CHEAP_ARGON2 = {
    "PROMPTLAB_ARGON2_TIME_COST": "1",
    "PROMPTLAB_ARGON2_MEMORY_COST": "1024",
    "PROMPTLAB_ARGON2_PARALLELISM": "1",
}
PRINT_KEY_DIGEST = (
    "import hashlib, os\n"
    "from promptlab.entrypoints.settings import Settings\n"
    "key = Settings.from_env({'PROMPTLAB_DATA_DIR': os.environ['DATA_DIR']}).secret_key\n"
    "print(hashlib.sha256(key).hexdigest())\n"
)


def embedded_env(data_dir: Path) -> dict[str, str]:
    return {"PROMPTLAB_DATA_DIR": str(data_dir), **CHEAP_ARGON2}


def test_key_generated_once_and_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    first = Settings.from_env(embedded_env(data_dir)).secret_key
    second = Settings.from_env(embedded_env(data_dir)).secret_key

    key_file = data_dir / SECRET_KEY_FILE_NAME
    assert len(first) >= 32
    assert second == first
    assert key_file.read_bytes().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_key_shared_by_processes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    environment = {"DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"}

    # Both start before either has written the key, as workers of one server do.
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PRINT_KEY_DIGEST],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]

    for process, (_, error) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, error
    digests = [output.strip() for output, _ in outputs]
    in_process = Settings.from_env(embedded_env(data_dir)).secret_key
    assert digests[0] == digests[1]
    assert digests[0] == hashlib.sha256(in_process).hexdigest()


def test_token_valid_after_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first_server = LiveServer(create_app(Settings.from_env(embedded_env(data_dir)))).start()
    try:
        first_api = Api(first_server.url)
        account = first_api.register()
        first_api.close()
    finally:
        first_server.stop()

    second_server = LiveServer(create_app(Settings.from_env(embedded_env(data_dir)))).start()
    try:
        second_api = Api(second_server.url)
        response = second_api.get("/api/auth/me/", as_=account)
        second_api.close()
    finally:
        second_server.stop()

    assert response.status_code == 200
    assert response.json()["id"] == account.id


def test_short_secret_key_rejected(tmp_path: Path) -> None:
    environment = {**embedded_env(tmp_path), "PROMPTLAB_SECRET_KEY": "x" * 31}

    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environment)

    message = str(raised.value)
    assert "PROMPTLAB_SECRET_KEY is 31 bytes" in message
    assert "at least 32" in message
    assert "secrets.token_urlsafe" in message


def test_given_secret_key_used(tmp_path: Path) -> None:
    key = "k" * 32
    environment = {**embedded_env(tmp_path), "PROMPTLAB_SECRET_KEY": key}

    settings = Settings.from_env(environment)

    assert settings.secret_key == key.encode()
    assert not (tmp_path / SECRET_KEY_FILE_NAME).exists()


def test_server_database_needs_key(tmp_path: Path) -> None:
    environment = {
        **embedded_env(tmp_path),
        "PROMPTLAB_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/promptlab",
    }

    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environment)

    assert "PROMPTLAB_SECRET_KEY is required" in str(raised.value)
    assert not (tmp_path / SECRET_KEY_FILE_NAME).exists()


def test_truncated_key_file_rejected(tmp_path: Path) -> None:
    tmp_path.joinpath(SECRET_KEY_FILE_NAME).write_text("too short")

    with pytest.raises(SettingsError) as raised:
        Settings.from_env(embedded_env(tmp_path))

    assert "Delete it" in str(raised.value)
