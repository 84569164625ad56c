"""Apply Alembic revisions on a connection from the application's own engine."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.sqlalchemy.engine import WRITE_TRANSACTION

logger = logging.getLogger(__name__)

MIGRATIONS_DIRECTORY = Path(__file__).parent / "migrations"

# Any constant works; it only has to be the same for every promptlab process.
_POSTGRES_MIGRATION_LOCK = 7_263_121_401


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def run_migrations(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database to `revision`, safely when several processes start at once.

    SQLite serializes concurrent callers through BEGIN IMMEDIATE; PostgreSQL
    through a transaction-scoped advisory lock. The losers then find the
    schema already at head and do nothing.
    """
    async with engine.connect() as connection:
        await connection.execution_options(**{WRITE_TRANSACTION: True})
        if engine.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_MIGRATION_LOCK}
            )
        await connection.run_sync(_upgrade, revision)
        await connection.commit()


def _upgrade(sync_connection: Any, revision: str) -> None:
    before = MigrationContext.configure(sync_connection).get_current_revision()
    config = alembic_config()
    config.attributes["connection"] = sync_connection
    command.upgrade(config, revision)
    after = MigrationContext.configure(sync_connection).get_current_revision()
    if before != after:
        logger.info("database migrated from %s to %s", before or "empty", after)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
