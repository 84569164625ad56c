"""Settings read from the environment, with errors that name the variable."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from promptlab.entrypoints.settings import Settings, SettingsError

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/promptlab"
KEY = "k" * 48


def test_postgres_without_driver_names_the_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "asyncpg" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)

    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "PROMPTLAB_DATA_DIR": str(tmp_path),
                "PROMPTLAB_DATABASE_URL": POSTGRES_URL,
                "PROMPTLAB_SECRET_KEY": KEY,
            }
        )

    assert "asyncpg is not installed" in str(caught.value)
    assert ".[postgres]" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PROMPTLAB_RATE_LIMIT_LOGIN", "abc", "REQUESTS/SECONDS"),
        ("PROMPTLAB_MAX_PAGE_SIZE", "0", "positive integer"),
        ("PROMPTLAB_PROVIDER_TIMEOUT_SECONDS", "inf", "positive number of seconds"),
        ("PROMPTLAB_LOG_LEVEL", "loud", "DEBUG, INFO"),
        ("PROMPTLAB_DATABASE_URL", "mysql://x", "is not supported"),
    ],
)
def test_invalid_value_names_variable(name: str, value: str, expected: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"PROMPTLAB_DATA_DIR": str(tmp_path), name: value})

    assert name in str(caught.value)
    assert expected in str(caught.value)
