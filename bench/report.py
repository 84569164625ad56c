"""Markdown tables of benchmark results, printed and saved beside the raw JSON."""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.processes import server_install

RESULTS_DIR = Path(__file__).resolve().parent / "results"
LIBRARIES = (
    "litestar",
    "granian",
    "msgspec",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "pyjwt",
    "aiohttp",
    "dependency-injector",
)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render a GitHub-flavoured Markdown table; numbers are right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    numeric = [
        bool(rows)
        and all(isinstance(row[index], int | float) or row[index] is None for row in rows)
        for index in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        padded = [
            value.rjust(widths[index]) if numeric[index] else value.ljust(widths[index])
            for index, value in enumerate(values)
        ]
        return "| " + " | ".join(padded) + " |"

    separator = (
        "|"
        + "|".join(
            "-" * (width + 1) + ":" if numeric[index] else "-" * (width + 2)
            for index, width in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(list(headers)), separator, *(line(row) for row in cells)])


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _command_output(*command: str) -> str:
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> dict[str, Any]:
    """Return the facts a reader needs to compare these numbers with their own."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = _command_output("free", "-h").splitlines()
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "nproc": _command_output("nproc"),
        "memory": memory[1].split()[1] if len(memory) > 1 else "unknown",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": _command_output("psql", "--version") or "unknown",
        "sqlite": _sqlite_version(),
        "wrk": (_command_output("wrk", "--version") or "unknown").splitlines()[0]
        if _command_output("wrk", "--version")
        else "unknown",
        "libraries": versions,
        "server_install": server_install(),
        "load_average": load_average(),
    }


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages: above the core count, other programs
    competed with the benchmark for the processors."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def machine_markdown(facts: dict[str, Any]) -> str:
    libraries = ", ".join(f"{name} {version}" for name, version in facts["libraries"].items())
    return "\n".join(
        [
            f"- Date: {facts['date']}",
            f"- CPU: {facts['cpu']}, `nproc` = {facts['nproc']}, memory {facts['memory']}",
            (
                f"- Linux {facts['kernel']}, Python {facts['python']}, "
                f"SQLite {facts['sqlite']}, {facts['postgresql']}"
            ),
            f"- Load generator: {facts['wrk']}",
            (
                f"- Load average (1, 5, 15 min) at the start: {facts['load_average']}, "
                f"at the end: {facts.get('load_average_end', 'unknown')}"
            ),
            f"- Libraries: {libraries}",
            f"- Servers under test run from: {facts.get('server_install', 'unknown')}",
        ]
    )


def save(name: str, data: dict[str, Any], markdown: str) -> Path:
    """Write `<name>-<time>.json` and `<name>-latest.md` under bench/results/."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = RESULTS_DIR / f"{name}-{stamp}.json"
    json_path.write_text(json.dumps(data, indent=2, default=str))
    (RESULTS_DIR / f"{name}-latest.md").write_text(markdown + "\n")
    return json_path
