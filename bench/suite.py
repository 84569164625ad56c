"""The standard benchmark: every scenario on each database and worker count, and the ceiling."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs
import httpx

from bench import report
from bench.databases import BenchDatabase, fresh_database
from bench.gateways import Gateways, provider_environment
from bench.processes import ServerProcess, free_port, memory_mib, server_bin
from bench.scenarios import Scenario, standard_scenarios
from bench.seed import SeedSize, Workspace, register_owner, seed_workspace
from bench.wrk import LoadResult, Request, run_wrk

logger = logging.getLogger("bench")


@attrs.frozen
class SuiteOptions:
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    workers: tuple[int, ...] = (1, 2)
    seconds: float = 5.0
    warmup_seconds: float = 1.0
    connections: int = 16
    latency_seconds: float = 4.0
    litellm: bool = True
    work_dir: Path = attrs.field(factory=lambda: Path(tempfile.mkdtemp(prefix="promptlab-bench-")))


@attrs.define
class Measurement:
    database: str
    workers: int
    scenario: str
    group: str
    connections: int
    result: LoadResult | None
    peak_rss_mib: float | None
    rss_mib: float | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self, recurse=False)
        data["result"] = self.result.as_dict() if self.result else None
        return data


def promptlab_environment(database: BenchDatabase, models_file: Path) -> dict[str, str]:
    """Settings for the server under test. Rate limits are off: they would cap the load."""
    return {
        **database.environment(),
        "PROMPTLAB_RATE_LIMITS_ENABLED": "false",
        "PROMPTLAB_ACCESS_TOKEN_TTL_SECONDS": "7200",
        "PROMPTLAB_MODELS_FILE": str(models_file),
        "PROMPTLAB_LOG_LEVEL": "WARNING",
        "PROMPTLAB_AUTO_MIGRATE": "true",
        **provider_environment(),
    }


def start_promptlab(
    database: BenchDatabase, workers: int, models_file: Path, log_dir: Path
) -> ServerProcess:
    env = promptlab_environment(database, models_file)
    log_path = log_dir / f"promptlab-{database.backend}-{workers}w.log"
    if database.backend != "sqlite":
        # `serve` migrates only the embedded database; a server database is migrated once first.
        with log_path.open("ab") as log:
            subprocess.run(
                [str(server_bin() / "promptlab"), "migrate"],
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=120,
            )
    port = free_port()
    server = ServerProcess(
        f"promptlab serve ({database.backend}, {workers} worker(s))",
        [str(server_bin() / "promptlab"), "serve", "--port", str(port), "--workers", str(workers)],
        port=port,
        ready_path="/health/",
        log_path=log_path,
        env=env,
        supervisor=True,
    )
    return server.start()


def worker_memory(server: ServerProcess) -> tuple[float, float]:
    """Return the largest current RSS and the largest peak RSS among the server's workers."""
    readings = [memory_mib(pid) for pid in server.worker_pids()]
    if not readings:
        return 0.0, 0.0
    return max(rss for rss, _ in readings), max(peak for _, peak in readings)


def check(base_url: str, scenario: Scenario) -> str:
    """Send the scenario's request once; return "" when the status is the expected one, else the reason."""
    request = scenario.request
    response = httpx.request(
        request.method,
        base_url + request.paths[0],
        content=request.body,
        headers={"Content-Type": "application/json", **dict(request.headers)},
        timeout=30.0,
    )
    if response.status_code == scenario.expected_status:
        return ""
    detail = response.text[:200].replace("\n", " ")
    if response.status_code in (404, 405) and "/api/" in request.paths[0]:
        return f"not measured: {response.status_code} ({detail})"
    return (
        f"not measured: expected {scenario.expected_status}, got {response.status_code} ({detail})"
    )


def measure(
    base_url: str,
    request: Request,
    *,
    connections: int,
    seconds: float,
    warmup_seconds: float,
) -> LoadResult:
    if warmup_seconds > 0:
        run_wrk(base_url, request, connections=connections, seconds=warmup_seconds)
    return run_wrk(base_url, request, connections=connections, seconds=seconds)


def run_configuration(
    options: SuiteOptions,
    database: BenchDatabase,
    workers: int,
    gateways: Gateways,
    measurements: list[Measurement],
    overhead: list[Measurement],
) -> bytes | None:
    """Seed one database, serve it with `workers` workers and run every scenario.

    Returns the body of the list-50 response, which the ceiling serves.
    """
    server = start_promptlab(database, workers, gateways.models_file, options.work_dir)
    try:
        owner = register_owner(server.base_url)
        workspace, counts, _ = asyncio.run(seed_workspace(database.url, owner, SeedSize()))
        logger.info(
            "seeded %s in %.1f s: %s", database.backend, counts["seconds"], json.dumps(counts)
        )
        scenarios = standard_scenarios(workspace, owner.access_token)
        page = _list_page(server.base_url, workspace, owner.access_token)

        for scenario in scenarios:
            note = check(server.base_url, scenario)
            result = None
            if not note:
                result = measure(
                    server.base_url,
                    scenario.request,
                    connections=options.connections,
                    seconds=options.seconds,
                    warmup_seconds=options.warmup_seconds,
                )
            rss, peak = worker_memory(server)
            measurements.append(
                Measurement(
                    database.backend,
                    workers,
                    scenario.name,
                    scenario.group,
                    options.connections,
                    result,
                    peak,
                    rss,
                    note,
                )
            )
            logger.info("%s %dw %s: %s %s", database.backend, workers, scenario.name, result, note)

        if workers == 1:
            # The gateway comparison runs while this server is up, right after
            # its own figures, so that all of them meet the same load from
            # other programs on the machine.
            execute = next(s for s in scenarios if s.name == "execute")
            note = check(server.base_url, execute)
            for connections in (1, options.connections):
                result = None
                if not note:
                    result = measure(
                        server.base_url,
                        execute.request,
                        connections=connections,
                        seconds=options.latency_seconds if connections == 1 else options.seconds,
                        warmup_seconds=options.warmup_seconds,
                    )
                rss, peak = worker_memory(server)
                overhead.append(
                    Measurement(
                        database.backend,
                        1,
                        "promptlab execute",
                        "overhead",
                        connections,
                        result,
                        peak,
                        rss,
                        note,
                    )
                )
            if not gateways.measured:
                overhead.extend(gateways.measure(options, measure))
        return page
    finally:
        server.stop()


def _list_page(base_url: str, workspace: Workspace, token: str) -> bytes | None:
    response = httpx.get(
        base_url + workspace.prompts_path() + "?limit=50",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
    )
    return response.content if response.status_code == 200 else None


def run_ceiling(
    options: SuiteOptions, workers: int, page: bytes | None, measurements: list[Measurement]
) -> None:
    page_file = options.work_dir / "ceiling-page.json"
    page_file.write_bytes(page or _synthetic_page())
    port = free_port()
    server = ServerProcess(
        f"ceiling ({workers} worker(s))",
        [
            str(server_bin() / "python"),
            "-m",
            "bench.ceiling",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--page",
            str(page_file),
        ],
        port=port,
        ready_path="/ceiling/prompts/",
        log_path=options.work_dir / f"ceiling-{workers}w.log",
        supervisor=True,
    )
    with server:
        result = measure(
            server.base_url,
            Request("GET", ("/ceiling/prompts/",)),
            connections=options.connections,
            seconds=options.seconds,
            warmup_seconds=options.warmup_seconds,
        )
        rss, peak = worker_memory(server)
    note = "" if page else "synthetic page: the prompt list endpoint did not answer"
    measurements.append(
        Measurement(
            "none",
            workers,
            "ceiling: bare Litestar list 50",
            "ceiling",
            options.connections,
            result,
            peak,
            rss,
            note,
        )
    )


def _synthetic_page() -> bytes:
    from bench.seed import SYSTEM_MESSAGE, USER_TEMPLATE, VARIABLES, new_id

    items = [
        {
            "id": str(new_id()),
            "session": str(new_id()),
            "project": str(new_id()),
            "name": f"shipping reply v{number}",
            "messages": [
                {"role": "system", "content": SYSTEM_MESSAGE},
                {"role": "user", "content": USER_TEMPLATE},
            ],
            "variables": list(VARIABLES),
            "parent": None,
            "created_by": str(new_id()),
            "created_at": "2026-12-04T20:00:00.000000Z",
        }
        for number in range(50)
    ]
    return json.dumps({"results": items, "next": None}).encode()


def run_suite(options: SuiteOptions) -> dict[str, Any]:
    """Run every configuration; return the raw results (also saved under bench/results/)."""
    started = time.monotonic()
    machine = report.machine()
    measurements: list[Measurement] = []
    overhead: list[Measurement] = []
    with Gateways(options.work_dir, litellm=options.litellm) as gateways:
        for workers in options.workers:
            page: bytes | None = None
            for backend in options.databases:
                with fresh_database(backend) as database:
                    body = run_configuration(
                        options, database, workers, gateways, measurements, overhead
                    )
                    page = page or body
            run_ceiling(options, workers, page, measurements)
        if not gateways.measured:
            overhead.extend(gateways.measure(options, measure))
    elapsed = time.monotonic() - started
    return {
        "machine": {**machine, "load_average_end": report.load_average()},
        "options": {
            "databases": options.databases,
            "workers": options.workers,
            "seconds": options.seconds,
            "connections": options.connections,
        },
        "elapsed_seconds": round(elapsed, 1),
        "measurements": [m.as_dict() for m in measurements],
        "overhead": [m.as_dict() for m in overhead],
        "litellm": gateways.litellm_status,
    }
