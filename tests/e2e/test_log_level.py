"""The app keeps the log level its settings give."""

from __future__ import annotations

import logging
from pathlib import Path

from promptlab.entrypoints.http.app import create_app
from promptlab.entrypoints.settings import Settings


async def test_app_keeps_configured_log_level(tmp_path: Path) -> None:
    root = logging.getLogger()
    previous = root.level
    settings = Settings.from_env({}, data_dir=tmp_path, secret_key=b"k" * 48, log_level="WARNING")
    try:
        app = create_app(settings)
        async with app.lifespan():
            level = root.level
    finally:
        root.setLevel(previous)

    assert level == logging.WARNING
