"""Alembic revisions on SQLite and PostgreSQL: upgrade, stairway, and a schema that matches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.sqlalchemy.engine import WRITE_TRANSACTION, create_engine
from promptlab.adapters.sqlalchemy.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    run_migrations,
)
from promptlab.adapters.sqlalchemy.tables import metadata
from tests.support.databases import fresh_database


@pytest.fixture
async def empty_engine(backend: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a new, empty database of `backend`, dropped after the test."""
    async with fresh_database(backend, tmp_path) as url:
        engine = create_engine(url)
        try:
            yield engine
        finally:
            await engine.dispose()


async def alembic(engine: AsyncEngine, action: str, revision: str) -> None:
    """Run `alembic upgrade|downgrade revision` on a connection of `engine`, as the app does."""

    def run(sync_connection: Any) -> None:
        config = alembic_config()
        config.attributes["connection"] = sync_connection
        getattr(command, action)(config, revision)

    async with engine.connect() as connection:
        await connection.execution_options(**{WRITE_TRANSACTION: True})
        await connection.run_sync(run)
        await connection.commit()


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names) - {"alembic_version"}


async def schema_differences(engine: AsyncEngine) -> list[Any]:
    def compare(sync_connection: Any) -> list[Any]:
        context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


def revisions_in_order() -> list[tuple[str, str]]:
    """Return (revision, previous revision or "base") from the first revision to head."""
    script = ScriptDirectory.from_config(alembic_config())
    steps = [
        (revision.revision, str(revision.down_revision or "base"))
        for revision in script.walk_revisions()
    ]
    return list(reversed(steps))


async def test_upgrade_from_empty_to_head(empty_engine: AsyncEngine) -> None:
    assert await current_revision(empty_engine) is None

    await run_migrations(empty_engine)

    assert await current_revision(empty_engine) == head_revision()
    assert await table_names(empty_engine) == set(metadata.tables)


async def test_upgrade_twice_changes_nothing(empty_engine: AsyncEngine) -> None:
    await run_migrations(empty_engine)

    await run_migrations(empty_engine)

    assert await current_revision(empty_engine) == head_revision()


async def test_schema_matches_metadata(empty_engine: AsyncEngine) -> None:
    await run_migrations(empty_engine)

    assert await schema_differences(empty_engine) == []


async def test_stairway(empty_engine: AsyncEngine) -> None:
    """Each revision goes up, down to its predecessor and up again, then all down and up."""
    steps = revisions_in_order()
    assert steps, "no Alembic revisions found"

    for revision, previous in steps:
        await alembic(empty_engine, "upgrade", revision)
        await alembic(empty_engine, "downgrade", previous)
        await alembic(empty_engine, "upgrade", revision)
        assert await current_revision(empty_engine) == revision

    await alembic(empty_engine, "downgrade", "base")
    assert await current_revision(empty_engine) is None
    assert await table_names(empty_engine) == set()

    await alembic(empty_engine, "upgrade", "head")
    assert await current_revision(empty_engine) == head_revision()
    assert await schema_differences(empty_engine) == []
