"""`python -m bench scale`: list and detail latency at one thousand and at one million rows.

Each database is seeded in two stages. The small stage contains 1,000 prompts
and 1,000 execution logs; the large stage adds rows up to 100,000 prompts
and 1,000,000 logs (bulk inserts: SQLAlchemy Core executemany on SQLite,
COPY on PostgreSQL, each timed). The same requests are measured after each
stage, and the query plans of the statements behind them are printed, taken
from the repositories' own SQL with its real parameters.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import event, func, select

from bench import report
from bench.databases import BenchDatabase, fresh_database
from bench.gateways import models_toml
from bench.processes import ServerProcess
from bench.seed import (
    BulkWriter,
    Owner,
    SeedSize,
    SeedState,
    Workspace,
    register_owner,
    seed_workspace,
    write_executions,
    write_prompts,
)
from bench.suite import start_promptlab
from bench.wrk import LoadResult, Request, run_wrk

logger = logging.getLogger("bench")

# The small stage: 10% of the prompts in the measured session and 10% of the
# logs on the measured prompt; the large stage keeps those shares.
SMALL = SeedSize(
    tenants=20,
    target_prompts=100,
    target_executions=100,
    filler_sessions=40,
    filler_prompts=900,
    filler_executions=900,
)
MAX_RATIO = 1.5


@attrs.frozen
class ScaleOptions:
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    seconds: float = 2.0
    rounds: int = 3
    connections: int = 1
    executions: int = 1_000_000
    prompts: int = 100_000
    work_dir: Path = attrs.field(factory=lambda: Path(tempfile.mkdtemp(prefix="promptlab-scale-")))


@attrs.frozen
class Probe:
    """One measured request and the repository call that issues its main statement."""

    name: str
    request: Request
    plan_call: Any


def _probes(
    workspace: Workspace, token: str, owner: Owner, deep_cursor: str, execution_ids: list[uuid.UUID]
) -> list[Probe]:
    from promptlab.application.pagination import PageRequest, decode_cursor
    from promptlab.application.ports.executions import ExecutionFilter

    auth = (("Authorization", f"Bearer {token}"),)
    first_page = PageRequest(limit=50)
    deep_page = PageRequest(limit=50, after=decode_cursor(deep_cursor))
    return [
        Probe(
            "list 50 prompts",
            Request("GET", (workspace.prompts_path() + "?limit=50",), headers=auth),
            lambda uow: _list_prompts_cold_then_cached(uow, workspace, first_page),
        ),
        Probe(
            "list 50 execution logs",
            Request("GET", (workspace.executions_path() + "?limit=50",), headers=auth),
            lambda uow: uow.executions.list_for_prompt(
                workspace.prompt_id, ExecutionFilter(), first_page
            ),
        ),
        Probe(
            "list 50 execution logs, middle page",
            Request(
                "GET",
                (workspace.executions_path() + f"?limit=50&cursor={deep_cursor}",),
                headers=auth,
            ),
            lambda uow: uow.executions.list_for_prompt(
                workspace.prompt_id, ExecutionFilter(), deep_page
            ),
        ),
        Probe(
            "prompt detail",
            Request("GET", (workspace.prompt_path(),), headers=auth),
            lambda uow: uow.prompts.get(workspace.session_id, workspace.prompt_id),
        ),
        Probe(
            "execution log detail",
            Request("GET", tuple(workspace.execution_path(e) for e in execution_ids), headers=auth),
            lambda uow: uow.executions.get(workspace.prompt_id, execution_ids[0]),
        ),
        Probe(
            "authorization (project grant)",
            Request("GET", (workspace.project_path(),), headers=auth),
            lambda uow: uow.projects.get_grant(workspace.project_id, owner.user_id),
        ),
    ]


async def _list_prompts_cold_then_cached(uow: Any, workspace: Workspace, page: Any) -> None:
    """List the first page twice with a listed-prompt cache of its own, for both statements' plans.

    The first listing finds the cache empty and reads the page in full; the
    second finds every prompt cached and reads only the page's ids.
    """
    from promptlab.adapters.sqlalchemy.listing_cache import ListedPromptCache

    uow.listed_prompts = ListedPromptCache(max_bytes=8 * 1024 * 1024)
    for _ in range(2):
        await uow.prompts.list_for_session(workspace.project_id, workspace.session_id, page)


async def _middle_cursor(url: str, prompt_id: uuid.UUID) -> str:
    """Return the cursor that starts a page halfway through the prompt's execution logs."""
    from promptlab.adapters.sqlalchemy.engine import create_engine
    from promptlab.adapters.sqlalchemy.tables import executions
    from promptlab.application.pagination import Cursor, encode_cursor

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            count = (
                await connection.execute(
                    select(func.count()).where(executions.c.prompt_id == prompt_id)
                )
            ).scalar_one()
            row = (
                await connection.execute(
                    select(executions.c.created_at, executions.c.id)
                    .where(executions.c.prompt_id == prompt_id)
                    .order_by(executions.c.created_at.desc(), executions.c.id.desc())
                    .offset(count // 2)
                    .limit(1)
                )
            ).one()
    finally:
        await engine.dispose()
    return encode_cursor(Cursor(created_at=row.created_at, id=row.id))


async def _query_plans(url: str, probes: list[Probe]) -> dict[str, str]:
    """Return the plans of the SELECTs each probe's repository call sends, with their exact SQL.

    A cursor hook runs EXPLAIN (SQLite: EXPLAIN QUERY PLAN) on the statement
    just before the statement itself, on the same driver cursor.
    """
    from promptlab.adapters.sqlalchemy.engine import create_engine
    from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

    engine = create_engine(url)
    is_sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if is_sqlite else "EXPLAIN (ANALYZE, COSTS OFF, BUFFERS) "
    captured: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def explain(connection, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith("SELECT"):
            return
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
        if is_sqlite:
            lines = [f"{row[3]}" for row in rows]
        else:
            lines = [row[0] for row in rows]
        captured.append(statement.strip() + "\n--\n" + "\n".join(lines))

    plans: dict[str, str] = {}
    try:
        for probe in probes:
            captured.clear()
            # A write unit of work built without the SQLite inline reader and
            # writer, so that every statement goes through this engine and its
            # hook. The factory's units of work run the same SQL text past it.
            async with SqlAlchemyUnitOfWork(engine, write=True) as uow:
                await probe.plan_call(uow)
            plans[probe.name] = "\n\n".join(captured) if captured else "(no SELECT was sent)"
    finally:
        await engine.dispose()
    return plans


def _measure_interleaved(
    small: tuple[str, list[Probe]], large: tuple[str, list[Probe]], options: ScaleOptions
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Measure each probe on both servers in alternation, `options.rounds` times.

    Other programs on the machine slow every run they overlap, so measuring
    the two stages one after the other would compare two different loads.
    Alternating short runs spreads the interference over both, and the
    median of the rounds is reported.
    """
    (small_url, small_probes), (large_url, large_probes) = small, large
    runs: dict[str, dict[str, list[LoadResult]]] = {"small": {}, "large": {}}
    for small_probe, large_probe in zip(small_probes, large_probes, strict=True):
        run_wrk(small_url, small_probe.request, connections=options.connections, seconds=1)
        run_wrk(large_url, large_probe.request, connections=options.connections, seconds=1)
    for _ in range(options.rounds):
        for small_probe, large_probe in zip(small_probes, large_probes, strict=True):
            for stage, url, probe in (
                ("small", small_url, small_probe),
                ("large", large_url, large_probe),
            ):
                result = run_wrk(
                    url, probe.request, connections=options.connections, seconds=options.seconds
                )
                runs[stage].setdefault(probe.name, []).append(result)
                logger.info("%s %s: %s", stage, probe.name, result)

    def summary(results: list[LoadResult]) -> dict[str, Any]:
        return {
            "p50_ms": round(statistics.median(r.p50_ms for r in results), 2),
            "p99_ms": round(statistics.median(r.p99_ms for r in results), 2),
            "p50_ms_rounds": [r.p50_ms for r in results],
            "requests": sum(r.requests for r in results),
            "errors": sum(r.errors for r in results),
        }

    return (
        {name: summary(results) for name, results in runs["small"].items()},
        {name: summary(results) for name, results in runs["large"].items()},
    )


async def _grow(
    url: str, owner: Owner, workspace: Workspace, state: SeedState, options: ScaleOptions
) -> tuple[dict[str, float], list[uuid.UUID]]:
    """Add rows up to the large stage's totals; return the timings and new log ids."""
    writer = BulkWriter(url)
    copy = writer.is_postgresql
    add_prompts = options.prompts - (SMALL.target_prompts + SMALL.filler_prompts)
    add_executions = options.executions - (SMALL.target_executions + SMALL.filler_executions)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        _, new_filler = await write_prompts(
            writer,
            owner,
            SeedSize(
                target_prompts=add_prompts // 10,
                filler_prompts=add_prompts - add_prompts // 10,
            ),
            state.timeline,
            workspace.project_id,
            workspace.session_id,
            state.filler_sessions,
            copy=copy,
        )
        timings["prompts_seconds"] = round(time.perf_counter() - started, 1)

        started = time.perf_counter()
        execution_ids = await write_executions(
            writer,
            owner,
            state.timeline,
            project_id=workspace.project_id,
            session_id=workspace.session_id,
            prompt_id=workspace.prompt_id,
            target_count=add_executions // 10,
            filler_prompts=state.filler_prompts + new_filler,
            filler_count=add_executions - add_executions // 10,
            copy=copy,
        )
        timings["executions_seconds"] = round(time.perf_counter() - started, 1)

        started = time.perf_counter()
        if copy:
            await writer.execute_text("ANALYZE")
        timings["analyze_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        await writer.close()
    return timings, execution_ids


def _seed_small(
    options: ScaleOptions, database: BenchDatabase, port_log: str
) -> tuple[ServerProcess, Owner, Workspace, SeedState]:
    models_file = options.work_dir / "models.toml"
    models_file.write_text(models_toml("http://127.0.0.1:9"))
    log_dir = options.work_dir / port_log
    log_dir.mkdir(exist_ok=True)
    server = start_promptlab(database, 1, models_file, log_dir)
    owner = register_owner(server.base_url)
    workspace, _, state = asyncio.run(
        seed_workspace(database.url, owner, SMALL, copy=database.backend == "postgresql")
    )
    return server, owner, workspace, state


def _run_database(
    options: ScaleOptions, small_db: BenchDatabase, large_db: BenchDatabase
) -> dict[str, Any]:
    """Serve a small and a large database side by side and compare the same requests."""
    servers: list[ServerProcess] = []
    try:
        small_server, small_owner, small_ws, _ = _seed_small(options, small_db, "small")
        servers.append(small_server)
        large_server, large_owner, large_ws, state = _seed_small(options, large_db, "large")
        servers.append(large_server)

        timings, new_ids = asyncio.run(_grow(large_db.url, large_owner, large_ws, state, options))
        logger.info("%s: grew to the large stage: %s", large_db.backend, timings)

        small_cursor = asyncio.run(_middle_cursor(small_db.url, small_ws.prompt_id))
        small_probes = _probes(
            small_ws,
            small_owner.access_token,
            small_owner,
            small_cursor,
            list(small_ws.execution_ids[:50]),
        )
        large_cursor = asyncio.run(_middle_cursor(large_db.url, large_ws.prompt_id))
        large_probes = _probes(
            large_ws,
            large_owner.access_token,
            large_owner,
            large_cursor,
            new_ids[:: max(1, len(new_ids) // 50)][:50],
        )
        small, large = _measure_interleaved(
            (small_server.base_url, small_probes), (large_server.base_url, large_probes), options
        )
        plans = asyncio.run(_query_plans(large_db.url, large_probes))
    finally:
        for server in servers:
            server.stop()
    return {
        "database": large_db.backend,
        "large_counts": {"prompts": options.prompts, "executions": options.executions},
        "timings": timings,
        "small": small,
        "large": large,
        "plans": plans,
    }


def run_scale(options: ScaleOptions) -> dict[str, Any]:
    started = time.monotonic()
    machine = report.machine()
    results = []
    for backend in options.databases:
        with fresh_database(backend) as small_db, fresh_database(backend) as large_db:
            results.append(_run_database(options, small_db, large_db))
    return {
        "machine": {**machine, "load_average_end": report.load_average()},
        "options": {
            "databases": options.databases,
            "seconds": options.seconds,
            "rounds": options.rounds,
            "connections": options.connections,
            "prompts": options.prompts,
            "executions": options.executions,
        },
        "elapsed_seconds": round(time.monotonic() - started, 1),
        "results": results,
    }


def scale_markdown(data: dict[str, Any]) -> str:
    options = data["options"]
    sections = [
        "## Machine\n\n" + report.machine_markdown(data["machine"]),
        (
            f"Run time {data['elapsed_seconds']} s. A small database (1,000 prompts and "
            f"1,000 execution logs) and a large one ({options['prompts']:,} prompts and "
            f"{options['executions']:,} logs) are served side by side, one worker each. "
            f"Each figure is the median of {options['rounds']} wrk runs of "
            f"{options['seconds']} s with {options['connections']} connection(s), the runs "
            "alternating between the two databases after a 1 s warm-up each."
        ),
    ]
    seeding = [
        [
            result["database"],
            result["timings"]["prompts_seconds"],
            result["timings"]["executions_seconds"],
            result["timings"]["analyze_seconds"],
        ]
        for result in data["results"]
    ]
    sections.append(
        "## Bulk insert time (large stage)\n\n"
        + report.table(
            ["database", "prompts s", "execution logs s", "ANALYZE s"],
            seeding,
        )
    )
    rows = []
    for result in data["results"]:
        for name, small in result["small"].items():
            large = result["large"][name]
            ratio = round(large["p50_ms"] / small["p50_ms"], 2) if small["p50_ms"] else None
            if ratio is None:
                verdict = "n/a"
            elif ratio <= MAX_RATIO:
                verdict = "met"
            else:
                verdict = "NOT met"
            rows.append(
                [
                    result["database"],
                    name,
                    small["p50_ms"],
                    small["p99_ms"],
                    large["p50_ms"],
                    large["p99_ms"],
                    ratio,
                    verdict,
                    small["errors"] + large["errors"],
                ]
            )
    sections.append(
        "## Latency at one thousand and one million rows\n\n"
        + report.table(
            [
                "database",
                "request",
                "1k p50 ms",
                "1k p99 ms",
                "1M p50 ms",
                "1M p99 ms",
                "p50 ratio",
                f"ratio <= {MAX_RATIO}",
                "errors",
            ],
            rows,
        )
    )
    for result in data["results"]:
        plan_text = "\n\n".join(
            f"### {result['database']}: {name}\n\n```\n{plan}\n```"
            for name, plan in result["plans"].items()
        )
        sections.append(f"## Query plans, {result['database']}, large stage\n\n" + plan_text)
    return "\n\n".join(sections)
