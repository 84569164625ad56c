"""`python -m loadtest`: load without loss, on SQLite and on PostgreSQL.

For each database it starts `promptlab serve` with several workers on a fresh
database, next to the fake provider server. Concurrent clients then run a mixed
workload, bounded in requests and seconds. Afterwards the database must hold
every acknowledged write exactly once and nothing unacknowledged, and every
execution must be in a final state.
It prints a summary per database and exits 1 when any of that fails, or on
any 5xx response or transport error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import uuid
from pathlib import Path

from loadtest.checks import check_database, check_server_log
from loadtest.report import RunReport, format_report
from loadtest.servers import (
    fake_provider,
    free_port,
    fresh_database,
    migrate,
    promptlab_server,
    server_environment,
    write_models_file,
)
from loadtest.workload import run_workload

BACKENDS = ("sqlite", "postgresql")
DEFAULT_REDIS_URL = os.environ.get("PROMPTLAB_LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _backends(raw: str) -> tuple[str, ...]:
    values = tuple(item.strip() for item in raw.split(",") if item.strip())
    if not values or not set(values) <= set(BACKENDS):
        raise argparse.ArgumentTypeError(f"choose one or more of {', '.join(BACKENDS)}")
    return values


def _positive(kind: type) -> object:
    def parse(raw: str) -> object:
        value = kind(raw)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be positive")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest",
        description="Load promptlab on 127.0.0.1 and check that no acknowledged write is lost "
        "or duplicated.",
    )
    parser.add_argument(
        "--databases",
        type=_backends,
        default=BACKENDS,
        help="comma-separated databases to run (default sqlite,postgresql)",
    )
    parser.add_argument(
        "--workers", type=_positive(int), default=3, help="server worker processes (default 3)"
    )
    parser.add_argument(
        "--clients", type=_positive(int), default=50, help="concurrent clients (default 50)"
    )
    parser.add_argument(
        "--max-requests",
        type=_positive(int),
        default=5000,
        help="maximum requests per database (default 5000)",
    )
    parser.add_argument(
        "--max-seconds",
        type=_positive(float),
        default=45.0,
        help="maximum seconds of load per database (default 45)",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="Redis for the servers' rate limit counters (default "
        "$PROMPTLAB_LOADTEST_REDIS_URL or redis://127.0.0.1:6379/0); 'none' keeps the "
        "counters in each worker",
    )
    return parser


def require_redis(url: str) -> None:
    """Exit with instructions when Redis is unreachable, rather than fail every request with 503."""
    import redis
    from redis.exceptions import RedisError

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except (RedisError, OSError) as error:
        raise SystemExit(
            f"loadtest: Redis is not reachable at {url} ({error}). Start it with "
            "`redis-server --bind 127.0.0.1 --port 6379 --save '' --daemonize yes`, or pass "
            "--redis-url none to keep the rate limit counters in each worker."
        ) from error
    finally:
        client.close()


def run_database(
    backend: str, arguments: argparse.Namespace, folder: Path, fake_port: int
) -> RunReport:
    run_tag = uuid.uuid4().hex[:10]
    models_file = write_models_file(folder, fake_port)
    log_path = folder / f"promptlab-{backend}.log"
    redis_url = None if arguments.redis_url == "none" else arguments.redis_url

    with fresh_database(backend) as database:
        environment = server_environment(database, models_file, redis_url)
        if backend == "postgresql":
            migrate(environment, log_path)
        with promptlab_server(free_port(), arguments.workers, environment, log_path) as server:
            print(
                f"loadtest: {backend}: server at {server.base_url}, run tag {run_tag}", flush=True
            )
            results = asyncio.run(
                run_workload(
                    server.base_url,
                    clients=arguments.clients,
                    max_requests=arguments.max_requests,
                    max_seconds=arguments.max_seconds,
                    run_tag=run_tag,
                )
            )
            checks = asyncio.run(check_database(database.url, results.acknowledged, run_tag))
        checks.append(check_server_log(log_path))

    report = RunReport(backend, arguments.workers, arguments.clients, results, checks)
    if not report.passed:
        print(f"loadtest: {backend}: last lines of the server log:\n{server.tail_log()}")
    return report


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    if arguments.redis_url != "none":
        require_redis(arguments.redis_url)

    reports = []
    with tempfile.TemporaryDirectory(prefix="promptlab-load-") as raw_folder:
        folder = Path(raw_folder)
        fake_port = free_port()
        with fake_provider(fake_port, folder / "fake-provider.log"):
            for backend in arguments.databases:
                report = run_database(backend, arguments, folder, fake_port)
                print(format_report(report), flush=True)
                reports.append(report)

    # One line in the form test runners close with: every check of every
    # database, plus one per database for its statuses and responses.
    outcomes = [check.passed for report in reports for check in report.checks]
    outcomes += [
        report.server_errors == 0 and report.results.problem_count == 0 for report in reports
    ]
    failed = [report.backend for report in reports if not report.passed]
    if failed:
        print(f"loadtest: FAILED on {', '.join(failed)}", file=sys.stderr)
    print(f"loadtest: {sum(outcomes)} passed, {len(outcomes) - sum(outcomes)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
