"""Fresh databases for a benchmark run: a SQLite file in a temporary folder, or a new
PostgreSQL database created on 127.0.0.1:5432 and dropped afterwards."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs

POSTGRES_ADMIN_DSN = os.environ.get(
    "PROMPTLAB_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


@attrs.frozen
class BenchDatabase:
    """The data folder of one benchmark server and the settings that point it there."""

    backend: str
    data_dir: Path
    url: str
    secret_key: str

    def environment(self) -> dict[str, str]:
        return {
            "PROMPTLAB_DATA_DIR": str(self.data_dir),
            "PROMPTLAB_DATABASE_URL": self.url,
            "PROMPTLAB_SECRET_KEY": self.secret_key,
        }


def _admin_dsn_for(database: str) -> str:
    base, _, _ = POSTGRES_ADMIN_DSN.rpartition("/")
    return f"{base}/{database}"


async def _admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_database(backend: str) -> Iterator[BenchDatabase]:
    """Yield an empty database of `backend` and remove it, with its data folder, afterwards."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    data_dir = Path(tempfile.mkdtemp(prefix=f"promptlab-bench-{backend}-"))
    secret_key = secrets.token_urlsafe(48)
    try:
        if backend == "sqlite":
            yield BenchDatabase(
                backend=backend,
                data_dir=data_dir,
                url=f"sqlite+aiosqlite:///{data_dir / 'promptlab.db'}",
                secret_key=secret_key,
            )
            return

        name = f"promptlab_bench_{uuid.uuid4().hex[:12]}"
        try:
            asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        except OSError as error:
            raise SystemExit(
                f"bench: PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN} ({error}). Start "
                "it, set PROMPTLAB_BENCH_POSTGRES_DSN, or run with --databases sqlite."
            ) from error
        try:
            dsn = _admin_dsn_for(name)
            yield BenchDatabase(
                backend=backend,
                data_dir=data_dir,
                url=dsn.replace("postgresql://", "postgresql+asyncpg://", 1),
                secret_key=secret_key,
            )
        finally:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
