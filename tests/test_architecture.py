"""The dependency rule, checked on every test run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_layers_point_inward() -> None:
    """import-linter checks the contracts in pyproject.toml: domain and application
    import no framework or driver, and layers import only inward."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_built_at_import_time() -> None:
    """Importing the app module creates no engine, container or app."""
    code = (
        "import sqlalchemy.ext.asyncio as a\n"
        "created = []\n"
        "original = a.create_async_engine\n"
        "a.create_async_engine = lambda *x, **k: created.append(1) or original(*x, **k)\n"
        "import promptlab.entrypoints.http.app, promptlab.entrypoints.cli\n"
        "import promptlab.entrypoints.container\n"
        "assert not created, 'an engine was created at import time'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
