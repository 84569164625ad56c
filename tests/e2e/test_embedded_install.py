"""The embedded default (SQLite) serves without the `postgres` extra installed.

`make serve` installs promptlab without asyncpg, so no module that the app
imports on SQLite may import asyncpg. The test suite's own install has it,
so a child process hides it before importing the app.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SERVE_WITHOUT_ASYNCPG = textwrap.dedent(
    """
    import sys

    class HideAsyncpg:
        def find_spec(self, name, path=None, target=None):
            if name == "asyncpg" or name.startswith("asyncpg."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, HideAsyncpg())

    from pathlib import Path

    from litestar.testing import TestClient

    from promptlab.entrypoints.http.app import create_app
    from promptlab.entrypoints.settings import Settings

    # Built here, not with the tests' helpers, which import asyncpg themselves.
    data_dir = Path(sys.argv[1])
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'promptlab.db'}",
        secret_key=b"embedded-install-test-secret-key-for-hs256",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        argon2_parallelism=1,
    )
    with TestClient(create_app(settings)) as client:
        health = client.get("/health/")
        registered = client.post(
            "/api/auth/register/",
            json={
                "email": "embedded@example.com",
                "password": "correct horse battery staple",
                "full_name": "Embedded",
            },
        )
    assert "asyncpg" not in sys.modules, "asyncpg was imported"
    print(health.status_code, registered.status_code)
    """
)


def test_sqlite_app_serves_without_asyncpg(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SERVE_WITHOUT_ASYNCPG, str(tmp_path)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["200", "201"]
