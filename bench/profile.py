"""`python -m bench profile`: the CPU cost of each scenario inside one process, and where it goes.

The app is built in this process and called through ASGI directly, with no
server and no sockets, so the figure is promptlab's own work per request:
routing, dependencies, token check, authorization, queries, mapping and
encoding. It is CPU time (`time.process_time`, every thread of this
process), which other programs on the machine disturb far less than wall
time. With `--profile`, pyinstrument records one scenario and prints its
call tree.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from bench.databases import BenchDatabase, fresh_database
from bench.gateways import Gateways, provider_environment
from bench.scenarios import Scenario, standard_scenarios
from bench.seed import Owner, SeedSize, seed_workspace
from bench.wrk import Request

BATCH_REQUESTS = 100


class AsgiDriver:
    """Send HTTP requests to an ASGI app in this process and return status and body."""

    def __init__(self, app: Any) -> None:
        self._app = app

    async def send(
        self, method: str, target: str, body: bytes | None, headers: Sequence[tuple[str, str]]
    ) -> tuple[int, bytes]:
        parts = urlsplit(target)
        all_headers = [(k.lower().encode(), v.encode()) for k, v in headers]
        if body is not None:
            all_headers.append((b"content-type", b"application/json"))
            all_headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": all_headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        status = 0
        chunks: list[bytes] = []
        finished = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                # The client disconnects only once the whole response has arrived.
                await finished.wait()
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body or b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    finished.set()

        await self._app(scope, receive, send)
        return status, b"".join(chunks)


@attrs.frozen
class ProfileOptions:
    database: str = "sqlite"
    requests: int = 2_000
    scenario: str | None = None
    profile: bool = False


async def _measure(
    driver: AsgiDriver, scenario: Scenario, requests: int, profile: bool
) -> dict[str, Any]:
    request: Request = scenario.request
    paths = request.paths

    async def once(number: int) -> int:
        status, _ = await driver.send(
            request.method, paths[number % len(paths)], request.body, request.headers
        )
        return status

    for number in range(min(200, requests)):
        await once(number)

    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002, async_mode="disabled")
        profiler.start()
    # Batches, so that the fastest one shows the cost without other programs'
    # interference, and the median shows the typical cost on this machine.
    batch_size = max(1, min(BATCH_REQUESTS, requests))
    batches: list[float] = []
    wall_started = time.perf_counter()
    failures = 0
    for start in range(0, requests, batch_size):
        cpu_started = time.process_time()
        for number in range(start, min(requests, start + batch_size)):
            if await once(number) != scenario.expected_status:
                failures += 1
        batches.append(
            (time.process_time() - cpu_started) / (min(requests, start + batch_size) - start)
        )
    wall = time.perf_counter() - wall_started
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return {
        "scenario": scenario.name,
        "requests": requests,
        "cpu_us_per_request": round(min(batches) * 1e6, 1),
        "median_cpu_us_per_request": round(statistics.median(batches) * 1e6, 1),
        "wall_us_per_request": round(wall / requests * 1e6, 1),
        "failures": failures,
    }


async def _run(
    options: ProfileOptions, work_dir: Path, gateways: Gateways, db: BenchDatabase
) -> list[dict[str, Any]]:
    from bench.suite import promptlab_environment
    from promptlab.entrypoints.http.app import create_app
    from promptlab.entrypoints.settings import Settings

    results: list[dict[str, Any]] = []
    os.environ.update(promptlab_environment(db, gateways.models_file))
    os.environ.update(provider_environment())
    if options.database != "sqlite":
        from promptlab.adapters.sqlalchemy.engine import create_engine
        from promptlab.adapters.sqlalchemy.migrate import run_migrations

        engine = create_engine(db.url)
        await run_migrations(engine)
        await engine.dispose()
    app = create_app(Settings.from_env())
    driver = AsgiDriver(app)
    async with app.lifespan():
        status, body = await driver.send(
            "POST",
            "/api/auth/register/",
            json.dumps(
                {
                    "email": "owner@bench.example",
                    "password": "correct horse battery staple",
                    "full_name": "Bench Owner",
                }
            ).encode(),
            (),
        )
        if status != 201:
            raise RuntimeError(f"registering failed: {status} {body[:300]!r}")
        registered = json.loads(body)
        owner = Owner(
            user_id=uuid.UUID(registered["user"]["id"]),
            organization_id=uuid.UUID(registered["organization"]["id"]),
            email="owner@bench.example",
            access_token=registered["access"],
        )
        workspace, _, _ = await seed_workspace(db.url, owner, SeedSize())
        for scenario in standard_scenarios(workspace, owner.access_token):
            if options.scenario and options.scenario != scenario.name:
                continue
            request = scenario.request
            status, body = await driver.send(
                request.method, request.paths[0], request.body, request.headers
            )
            if status != scenario.expected_status:
                results.append(
                    {"scenario": scenario.name, "note": f"status {status}: {body[:160]!r}"}
                )
                continue
            results.append(await _measure(driver, scenario, options.requests, options.profile))
            if scenario.name == CEILING_OF and not options.scenario:
                results.append(await _measure_ceiling(body, work_dir, options.requests))
    return results


# The scenario whose response the in-process ceiling serves.
CEILING_OF = "list 50 prompts"


async def _measure_ceiling(page: bytes, work_dir: Path, requests: int) -> dict[str, Any]:
    """Measure the bare Litestar app of `bench.ceiling` serving `page`, through the same driver."""
    from bench import ceiling

    page_file = work_dir / "ceiling-page.json"
    page_file.write_bytes(page)
    os.environ[ceiling.PAGE_FILE_VARIABLE] = str(page_file)
    app = ceiling.create_app()
    scenario = Scenario(
        name=f"ceiling: bare Litestar {CEILING_OF.removeprefix('list ')}",
        group="ceiling",
        request=Request("GET", (ceiling.CEILING_PATH,)),
        expected_status=200,
    )
    async with app.lifespan():
        return await _measure(AsgiDriver(app), scenario, requests, profile=False)


def run_profile(options: ProfileOptions) -> list[dict[str, Any]]:
    # The database is created and dropped outside the event loop: fresh_database
    # runs its own administrative statements with asyncio.run.
    with (
        tempfile.TemporaryDirectory(prefix="promptlab-profile-") as folder,
        Gateways(Path(folder), litellm=False) as gateways,
        fresh_database(options.database) as db,
    ):
        return asyncio.run(_run(options, Path(folder), gateways, db))
