"""Test databases: a fresh SQLite file or a fresh PostgreSQL database per test run."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "PROMPTLAB_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def enabled_backends() -> list[str]:
    """Backends to run, from PROMPTLAB_TEST_DATABASES (default both). CI always runs both."""
    raw = os.environ.get("PROMPTLAB_TEST_DATABASES", "sqlite,postgresql")
    backends = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        raise ValueError(f"PROMPTLAB_TEST_DATABASES has unknown backends: {sorted(unknown)}")
    if os.environ.get("CI") and set(backends) != {"sqlite", "postgresql"}:
        raise ValueError("CI must run every test on both SQLite and PostgreSQL")
    return backends


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_database(backend: str, tmp_dir: Path) -> AsyncIterator[str]:
    """Yield the SQLAlchemy URL of a new, empty database, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_dir / f'promptlab-{uuid.uuid4().hex[:8]}.db'}"
        return

    name = f"promptlab_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_ADMIN_URL))
    except (OSError, asyncpg.PostgresError) as error:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({error}). Start it, point "
            "PROMPTLAB_TEST_POSTGRES_URL at a server, or run only SQLite locally with "
            "PROMPTLAB_TEST_DATABASES=sqlite."
        ) from error
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_ADMIN_URL))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
