"""Seed a benchmark database: an owner registered through the API, then bulk rows.

The owner registers through `POST /api/auth/register/`, so their user,
personal organization and token come from the real code path. Everything
else (other tenants, projects, sessions, prompts and execution logs) is
written with SQLAlchemy Core: `executemany` on SQLite, and on PostgreSQL
`executemany` for small batches and COPY for the scale mode. Rows are shaped
as the API would write them, so reads decode them exactly like their own.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import httpx
import uuid_utils
from sqlalchemy import Table, insert

from promptlab.adapters.sqlalchemy.engine import create_engine
from promptlab.adapters.sqlalchemy.tables import (
    executions,
    memberships,
    organizations,
    projects,
    prompt_sessions,
    prompts,
    users,
)

BENCH_MODEL = "bench-echo"
BENCH_PROVIDER = "bench-fake"
OWNER_PASSWORD = "correct horse battery staple"
BATCH_ROWS = 20_000

SYSTEM_MESSAGE = (
    "You are a support assistant for an online bookshop. Answer in at most three "
    "sentences, in a friendly and precise tone, and never invent order details."
)
USER_TEMPLATE = (
    "A customer named {{customer}} writes: '{{question}}'. Their order {{order_id}} "
    "shipped on {{ship_date}}. Draft a reply."
)
VARIABLES = {
    "customer": "Ada",
    "question": "Where is my parcel",
    "order_id": "A-1042",
    "ship_date": "2026-11-30",
}
OUTPUT = (
    "Hi Ada, thank you for your patience. Your order A-1042 left our warehouse on "
    "2026-11-30 and is on its way; you will receive the tracking link by email today."
)


def new_id() -> uuid.UUID:
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def rendered_messages() -> list[dict[str, str]]:
    user = USER_TEMPLATE
    for name, value in VARIABLES.items():
        user = user.replace("{{" + name + "}}", value)
    return [{"role": "system", "content": SYSTEM_MESSAGE}, {"role": "user", "content": user}]


@attrs.frozen
class Owner:
    """The user every scenario authenticates as, with a fresh access token."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    access_token: str


@attrs.frozen
class Workspace:
    """The objects the scenarios address. Ids only; the rows are in the database."""

    project_id: uuid.UUID
    session_id: uuid.UUID
    write_session_id: uuid.UUID
    prompt_id: uuid.UUID
    execution_ids: tuple[uuid.UUID, ...]
    prompt_ids: tuple[uuid.UUID, ...]

    def project_path(self) -> str:
        return f"/api/projects/{self.project_id}/"

    def sessions_path(self) -> str:
        return f"/api/projects/{self.project_id}/sessions/"

    def prompts_path(self, session_id: uuid.UUID | None = None) -> str:
        session = session_id or self.session_id
        return f"/api/projects/{self.project_id}/sessions/{session}/prompts/"

    def prompt_path(self, prompt_id: uuid.UUID | None = None) -> str:
        return self.prompts_path() + f"{prompt_id or self.prompt_id}/"

    def execute_path(self) -> str:
        return self.prompt_path() + "execute/"

    def executions_path(self) -> str:
        return self.prompt_path() + "executions/"

    def execution_path(self, execution_id: uuid.UUID) -> str:
        return self.executions_path() + f"{execution_id}/"


def register_owner(base_url: str, email: str = "owner@bench.example") -> Owner:
    """Register the benchmark's user through the API and return its token."""
    response = httpx.post(
        base_url + "/api/auth/register/",
        json={"email": email, "password": OWNER_PASSWORD, "full_name": "Bench Owner"},
        timeout=30.0,
    )
    if response.status_code != 201:
        raise RuntimeError(
            f"registering the bench user failed: {response.status_code} {response.text}"
        )
    body = response.json()
    return Owner(
        user_id=uuid.UUID(body["user"]["id"]),
        organization_id=uuid.UUID(body["organization"]["id"]),
        email=email,
        access_token=body["access"],
    )


class Timeline:
    """Creation times one millisecond apart, so keyset order is the insertion order."""

    def __init__(self, start: datetime) -> None:
        self._next = start

    def tick(self) -> datetime:
        value = self._next
        self._next += timedelta(milliseconds=1)
        return value


def user_row(user_id: uuid.UUID, email: str, at: datetime) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": email,
        "email_normalized": email.lower(),
        "full_name": email.split("@")[0].title(),
        # Not a valid argon2 hash: these users never log in.
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$bench$bench",
        "is_active": True,
        "created_at": at,
        "updated_at": at,
    }


def organization_row(
    organization_id: uuid.UUID, name: str, owner_id: uuid.UUID, at: datetime
) -> dict[str, Any]:
    return {
        "id": organization_id,
        "name": name,
        "description": "Personal organization",
        "is_personal": True,
        "personal_owner_id": owner_id,
        "created_at": at,
        "updated_at": at,
    }


def membership_row(organization_id: uuid.UUID, user_id: uuid.UUID, at: datetime) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "user_id": user_id,
        "role": "owner",
        "created_at": at,
    }


def project_row(
    project_id: uuid.UUID, organization_id: uuid.UUID, name: str, owner_id: uuid.UUID, at: datetime
) -> dict[str, Any]:
    return {
        "id": project_id,
        "organization_id": organization_id,
        "name": name,
        "name_normalized": name.lower(),
        "description": "Replies drafted for the support inbox, tuned per product line.",
        "is_archived": False,
        "archived_at": None,
        "created_by": owner_id,
        "created_at": at,
        "updated_at": at,
    }


def session_row(
    session_id: uuid.UUID, project_id: uuid.UUID, name: str, owner_id: uuid.UUID, at: datetime
) -> dict[str, Any]:
    return {
        "id": session_id,
        "project_id": project_id,
        "name": name,
        "description": "Iterating on tone and length for shipping questions.",
        "default_model": BENCH_MODEL,
        "default_parameters": {"temperature": 0.2, "max_tokens": 256},
        "metadata": {"team": "support", "ticket_queue": "shipping"},
        "status": "active",
        "created_by": owner_id,
        "created_at": at,
        "updated_at": at,
    }


def prompt_row(
    prompt_id: uuid.UUID,
    project_id: uuid.UUID,
    session_id: uuid.UUID,
    number: int,
    owner_id: uuid.UUID,
    at: datetime,
) -> dict[str, Any]:
    return {
        "id": prompt_id,
        "project_id": project_id,
        "session_id": session_id,
        "name": f"shipping reply v{number}",
        "messages": [
            {"role": "system", "content": SYSTEM_MESSAGE},
            {"role": "user", "content": USER_TEMPLATE},
        ],
        "variables": list(VARIABLES),
        "parent_id": None,
        "created_by": owner_id,
        "created_at": at,
    }


def execution_row(
    execution_id: uuid.UUID,
    project_id: uuid.UUID,
    session_id: uuid.UUID,
    prompt_id: uuid.UUID,
    owner_id: uuid.UUID,
    at: datetime,
    messages: list[dict[str, str]],
) -> dict[str, Any]:
    return {
        "id": execution_id,
        "project_id": project_id,
        "session_id": session_id,
        "prompt_id": prompt_id,
        "model": BENCH_MODEL,
        "provider": BENCH_PROVIDER,
        "messages": messages,
        "variables": VARIABLES,
        "parameters": {"temperature": 0.2, "max_tokens": 256},
        "status": "succeeded",
        "output": OUTPUT,
        "finish_reason": "stop",
        "input_tokens": 61,
        "output_tokens": 38,
        "total_tokens": 99,
        "cached_input_tokens": 0,
        "cost": Decimal("0.000137"),
        "latency_ms": 412,
        "time_to_first_token_ms": None,
        "attempts": 1,
        "error_code": None,
        "error_message": None,
        "error_provider_status": None,
        "provider_request_id": f"req_{execution_id.hex[:16]}",
        "streamed": False,
        "idempotency_key": None,
        "request_fingerprint": None,
        "created_by": owner_id,
        "created_at": at,
        "deadline_at": at + timedelta(minutes=5),
        "completed_at": at + timedelta(milliseconds=412),
    }


_JSON_COLUMNS = {
    "executions": ("messages", "variables", "parameters"),
    "prompts": ("messages", "variables"),
    "prompt_sessions": ("default_parameters", "metadata"),
}


class BulkWriter:
    """Insert rows in batches with SQLAlchemy Core, or COPY on PostgreSQL when asked."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url)
        self.is_postgresql = self._engine.dialect.name == "postgresql"

    async def insert(self, table: Table, rows: list[dict[str, Any]], *, copy: bool = False) -> None:
        if not rows:
            return
        if copy and self.is_postgresql:
            await self._copy(table, rows)
            return
        async with self._engine.begin() as connection:
            for start in range(0, len(rows), BATCH_ROWS):
                await connection.execute(insert(table), rows[start : start + BATCH_ROWS])

    async def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        columns = list(rows[0])
        json_columns = set(_JSON_COLUMNS.get(table.name, ()))
        records = [
            tuple(json.dumps(row[name]) if name in json_columns else row[name] for name in columns)
            for row in rows
        ]
        async with self._engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.copy_records_to_table(table.name, records=records, columns=columns)
            await connection.commit()

    async def execute_text(self, statement: str) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        async with self._engine.begin() as connection:
            result = await connection.execute(text(statement))
            return [tuple(row) for row in result] if result.returns_rows else []

    async def close(self) -> None:
        await self._engine.dispose()


@attrs.define
class SeedState:
    """State for a later stage that adds rows to the same workspace (the scale mode)."""

    timeline: Timeline
    filler_sessions: list[dict[str, Any]]
    filler_prompts: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]


@attrs.frozen
class SeedSize:
    """How much data to write besides the owner: the workspace the scenarios use, plus filler.

    Filler rows belong to other tenants and to other sessions and prompts, so
    that every table contains rows the scenarios must skip past.
    """

    tenants: int = 20
    target_prompts: int = 200
    target_executions: int = 1_000
    filler_sessions: int = 40
    filler_prompts: int = 2_000
    filler_executions: int = 20_000


async def seed_workspace(
    url: str, owner: Owner, size: SeedSize, *, copy: bool = False
) -> tuple[Workspace, dict[str, Any], SeedState]:
    """Write the owner's project and the filler; return the workspace, row counts and state."""
    started = time.perf_counter()
    writer = BulkWriter(url)
    timeline = Timeline(datetime.now(UTC) - timedelta(days=30))
    try:
        workspace, counts, state = await _write(writer, owner, size, timeline, copy=copy)
    finally:
        await writer.close()
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return workspace, counts, state


async def _write(
    writer: BulkWriter, owner: Owner, size: SeedSize, timeline: Timeline, *, copy: bool
) -> tuple[Workspace, dict[str, Any], SeedState]:
    tenant_users: list[dict[str, Any]] = []
    tenant_organizations: list[dict[str, Any]] = []
    tenant_memberships: list[dict[str, Any]] = []
    project_rows: list[dict[str, Any]] = []
    for number in range(size.tenants):
        at = timeline.tick()
        user_id, organization_id = new_id(), new_id()
        tenant_users.append(user_row(user_id, f"tenant{number}@bench.example", at))
        tenant_organizations.append(
            organization_row(organization_id, f"Tenant {number} workspace", user_id, at)
        )
        tenant_memberships.append(membership_row(organization_id, user_id, at))
        project_rows.append(
            project_row(new_id(), organization_id, f"Tenant {number} support", user_id, at)
        )

    project_id = new_id()
    project_rows.append(
        project_row(
            project_id, owner.organization_id, "Support replies", owner.user_id, timeline.tick()
        )
    )
    session_id, write_session_id = new_id(), new_id()
    filler_sessions = [
        session_row(
            new_id(),
            project_rows[n % len(project_rows)]["id"],
            f"Filler {n}",
            owner.user_id,
            timeline.tick(),
        )
        for n in range(size.filler_sessions)
    ]
    session_rows = [
        *filler_sessions,
        session_row(write_session_id, project_id, "Writes", owner.user_id, timeline.tick()),
        session_row(session_id, project_id, "Shipping questions", owner.user_id, timeline.tick()),
    ]

    await writer.insert(users, tenant_users)
    await writer.insert(organizations, tenant_organizations)
    await writer.insert(memberships, tenant_memberships)
    await writer.insert(projects, project_rows)
    await writer.insert(prompt_sessions, session_rows)

    prompt_ids, filler_prompt_rows = await write_prompts(
        writer, owner, size, timeline, project_id, session_id, filler_sessions, copy=copy
    )
    execution_ids = await write_executions(
        writer,
        owner,
        timeline,
        project_id=project_id,
        session_id=session_id,
        prompt_id=prompt_ids[0],
        target_count=size.target_executions,
        filler_prompts=filler_prompt_rows,
        filler_count=size.filler_executions,
        copy=copy,
    )

    workspace = Workspace(
        project_id=project_id,
        session_id=session_id,
        write_session_id=write_session_id,
        prompt_id=prompt_ids[0],
        execution_ids=tuple(execution_ids[:100]),
        prompt_ids=tuple(prompt_ids[:100]),
    )
    counts = {
        "users": size.tenants + 1,
        "projects": len(project_rows),
        "sessions": len(session_rows),
        "prompts": size.target_prompts + size.filler_prompts,
        "executions": size.target_executions + size.filler_executions,
    }
    return workspace, counts, SeedState(timeline, filler_sessions, filler_prompt_rows)


async def write_prompts(
    writer: BulkWriter,
    owner: Owner,
    size: SeedSize,
    timeline: Timeline,
    project_id: uuid.UUID,
    session_id: uuid.UUID,
    filler_sessions: list[dict[str, Any]],
    *,
    copy: bool = False,
) -> tuple[list[uuid.UUID], list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]]:
    """Insert the target session's prompts and the filler prompts.

    Returns the target prompt ids, newest first, and (project, session,
    prompt) ids of the filler prompts.
    """
    filler: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []
    batch: list[dict[str, Any]] = []
    for number in range(size.filler_prompts):
        session = filler_sessions[number % len(filler_sessions)]
        prompt_id = new_id()
        filler.append((session["project_id"], session["id"], prompt_id))
        batch.append(
            prompt_row(
                prompt_id,
                session["project_id"],
                session["id"],
                number,
                owner.user_id,
                timeline.tick(),
            )
        )
        if len(batch) >= BATCH_ROWS:
            await writer.insert(prompts, batch, copy=copy)
            batch = []
    target: list[uuid.UUID] = []
    for number in range(size.target_prompts):
        prompt_id = new_id()
        target.append(prompt_id)
        batch.append(
            prompt_row(prompt_id, project_id, session_id, number, owner.user_id, timeline.tick())
        )
        if len(batch) >= BATCH_ROWS:
            await writer.insert(prompts, batch, copy=copy)
            batch = []
    await writer.insert(prompts, batch, copy=copy)
    target.reverse()
    return target, filler


async def write_executions(
    writer: BulkWriter,
    owner: Owner,
    timeline: Timeline,
    *,
    project_id: uuid.UUID,
    session_id: uuid.UUID,
    prompt_id: uuid.UUID,
    target_count: int,
    filler_prompts: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]],
    filler_count: int,
    copy: bool = False,
) -> list[uuid.UUID]:
    """Insert `target_count` logs of the target prompt and `filler_count` spread over the filler.

    Returns the target prompt's execution ids, newest first.
    """
    messages = rendered_messages()
    target: list[uuid.UUID] = []

    def rows() -> Iterator[dict[str, Any]]:
        # Interleaved, as a busy deployment writes them.
        total = target_count + filler_count
        every = max(1, total // max(1, target_count)) if target_count else total + 1
        written_target = 0
        for number in range(total):
            execution_id = new_id()
            at = timeline.tick()
            if written_target < target_count and (
                number % every == 0 or total - number <= target_count - written_target
            ):
                written_target += 1
                target.append(execution_id)
                yield execution_row(
                    execution_id, project_id, session_id, prompt_id, owner.user_id, at, messages
                )
            else:
                filler_project, filler_session, filler_prompt = filler_prompts[
                    number % len(filler_prompts)
                ]
                yield execution_row(
                    execution_id,
                    filler_project,
                    filler_session,
                    filler_prompt,
                    owner.user_id,
                    at,
                    messages,
                )

    batch: list[dict[str, Any]] = []
    for row in rows():
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            await writer.insert(executions, batch, copy=copy)
            batch = []
    await writer.insert(executions, batch, copy=copy)
    target.reverse()
    return target
