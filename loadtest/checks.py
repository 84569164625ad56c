"""Checks of the database after a load run, with SQLAlchemy Core on the server's own URL."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import attrs
from sqlalchemy import Column, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from loadtest.workload import Acknowledged
from promptlab.adapters.sqlalchemy.engine import create_engine
from promptlab.adapters.sqlalchemy.tables import (
    executions,
    organizations,
    projects,
    prompt_sessions,
    prompts,
    users,
)

FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
LOCKED_MESSAGE = "database is locked"


@attrs.frozen
class Check:
    name: str
    passed: bool
    detail: str


def _named_rows_check(
    kind: str, acknowledged: Mapping[str, str], found: list[tuple[str, str]]
) -> Check:
    """Compare rows found by the run's names with the acknowledged (name, id) pairs.

    Every acknowledged name must have exactly one row, with the acknowledged
    id; no name may have two rows; and no row of the run may lack an
    acknowledgement, because every request of the run got a response.
    """
    rows_per_name = Counter(name for name, _ in found)
    ids = {name: row_id for name, row_id in found}
    missing = [name for name in acknowledged if rows_per_name[name] == 0]
    duplicated = [name for name, count in rows_per_name.items() if count > 1]
    wrong_id = [
        name
        for name, row_id in acknowledged.items()
        if rows_per_name[name] == 1 and ids[name] != row_id
    ]
    unacknowledged = [name for name in rows_per_name if name not in acknowledged]
    passed = not (missing or duplicated or wrong_id or unacknowledged)
    detail = (
        f"{len(acknowledged)} acknowledged, {len(found)} rows: {len(missing)} missing, "
        f"{len(duplicated)} duplicated, {len(wrong_id)} with another id, "
        f"{len(unacknowledged)} unacknowledged"
    )
    examples = (missing + duplicated + wrong_id + unacknowledged)[:3]
    if examples:
        detail += f" (for example {', '.join(examples)})"
    return Check(kind, passed, detail)


async def _rows_by_name(
    connection: AsyncConnection, table: Table, name_column: Column[str], prefix: str
) -> list[tuple[str, str]]:
    rows = await connection.execute(
        select(name_column, table.c.id).where(name_column.like(f"{prefix}%"))
    )
    return [(str(name), str(row_id)) for name, row_id in rows]


async def _personal_organizations_check(
    connection: AsyncConnection, acknowledged: set[str]
) -> Check:
    found: set[str] = set()
    wanted = sorted(acknowledged)
    for start in range(0, len(wanted), 500):
        rows = await connection.execute(
            select(organizations.c.id).where(
                organizations.c.id.in_([uuid.UUID(value) for value in wanted[start : start + 500]])
            )
        )
        found.update(str(row_id) for (row_id,) in rows)
    missing = acknowledged - found
    return Check(
        "personal organizations",
        not missing,
        f"{len(acknowledged)} acknowledged, {len(missing)} missing",
    )


async def _executions_check(
    connection: AsyncConnection, acknowledged: Mapping[str, str], project_prefix: str
) -> list[Check]:
    rows = await connection.execute(
        select(executions.c.id, executions.c.status)
        .join(projects, projects.c.id == executions.c.project_id)
        .where(projects.c.name.like(f"{project_prefix}%"))
    )
    stored = {str(row_id): status for row_id, status in rows}
    missing = [key for key in acknowledged if key not in stored]
    changed = [key for key, status in acknowledged.items() if stored.get(key, status) != status]
    unacknowledged = [key for key in stored if key not in acknowledged]
    unfinished = [key for key, status in stored.items() if status not in FINAL_STATUSES]
    statuses = Counter(stored.values())
    return [
        Check(
            "executions",
            not (missing or changed or unacknowledged),
            f"{len(acknowledged)} acknowledged, {len(stored)} rows: {len(missing)} missing, "
            f"{len(changed)} with another status, {len(unacknowledged)} unacknowledged",
        ),
        Check(
            "executions final",
            not unfinished,
            f"{len(unfinished)} not final; "
            + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items())),
        ),
    ]


async def check_database(url: str, acknowledged: Acknowledged, run_tag: str) -> list[Check]:
    """Verify that every acknowledged write is stored once, and nothing else of the run is."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            checks = [
                _named_rows_check(
                    "users",
                    acknowledged.users,
                    await _rows_by_name(connection, users, users.c.email, f"load-{run_tag}-"),
                ),
                await _personal_organizations_check(
                    connection, acknowledged.personal_organizations
                ),
                _named_rows_check(
                    "organizations",
                    acknowledged.organizations,
                    await _rows_by_name(
                        connection, organizations, organizations.c.name, f"org-{run_tag}-"
                    ),
                ),
                _named_rows_check(
                    "projects",
                    acknowledged.projects,
                    await _rows_by_name(
                        connection, projects, projects.c.name, f"project-{run_tag}-"
                    ),
                ),
                _named_rows_check(
                    "sessions",
                    acknowledged.sessions,
                    await _rows_by_name(
                        connection, prompt_sessions, prompt_sessions.c.name, f"session-{run_tag}-"
                    ),
                ),
                _named_rows_check(
                    "prompts",
                    acknowledged.prompts,
                    await _rows_by_name(connection, prompts, prompts.c.name, f"prompt-{run_tag}-"),
                ),
            ]
            checks += await _executions_check(
                connection, acknowledged.executions, f"project-{run_tag}-"
            )
    finally:
        await engine.dispose()
    return checks


def check_server_log(path: Path) -> Check:
    """No writer may have failed on SQLite's lock, and no request may have raised."""
    text = path.read_text(errors="replace") if path.exists() else ""
    locked = text.count(LOCKED_MESSAGE)
    tracebacks = text.count("Traceback (most recent call last)")
    errors = len(re.findall(r"\bERROR\b", text))
    return Check(
        "server log",
        locked == 0 and tracebacks == 0 and errors == 0,
        f"{locked} '{LOCKED_MESSAGE}', {tracebacks} tracebacks, {errors} ERROR lines",
    )
