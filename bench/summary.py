"""Turn raw suite results into the tables of docs/benchmarks.md, with each target checked."""

from __future__ import annotations

from typing import Any

from bench import report

LIST_SCENARIO = "list 50 prompts"
CEILING_SCENARIO = "ceiling: bare Litestar list 50"

# Targets, stated once so the tables and the docs agree.
MAX_ADDED_P50_MS = 3.0
MIN_THROUGHPUT_RATIO_VS_LITELLM = 5.0
# The target is 150 MB, decimal: 143.05 MiB, the unit /proc reports in.
MAX_PEAK_RSS_MB = 150.0
MAX_PEAK_RSS_MIB = MAX_PEAK_RSS_MB * 1_000_000 / 2**20
MIN_FRACTION_OF_CEILING = 0.35


def _find(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    for row in rows:
        if all(row.get(key) == value for key, value in match.items()):
            return row
    return None


def _met(condition: bool | None) -> str:
    if condition is None:
        return "not measured"
    return "met" if condition else "NOT met"


def main_table(data: dict[str, Any]) -> str:
    rows = []
    ceilings = {
        m["workers"]: m["result"]["requests_per_second"]
        for m in data["measurements"]
        if m["scenario"] == CEILING_SCENARIO and m["result"]
    }
    for m in data["measurements"]:
        result = m["result"]
        ceiling = ceilings.get(m["workers"])
        fraction = (
            round(100 * result["requests_per_second"] / ceiling, 1)
            if result and ceiling and m["group"] != "ceiling"
            else None
        )
        rows.append(
            [
                m["database"],
                m["workers"],
                m["scenario"],
                result["requests_per_second"] if result else None,
                result["p50_ms"] if result else None,
                result["p99_ms"] if result else None,
                result["errors"] if result else None,
                m["rss_mib"],
                m["peak_rss_mib"],
                fraction,
                m["note"],
            ]
        )
    return report.table(
        [
            "database",
            "workers",
            "scenario",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "RSS/worker MiB",
            "peak RSS/worker MiB",
            "% of ceiling",
            "note",
        ],
        rows,
    )


def overhead_table(data: dict[str, Any]) -> str:
    direct = _find(data["overhead"], scenario="direct to fake provider", connections=1)
    direct_result = direct["result"] if direct else None
    rows = []
    for m in data["overhead"]:
        result = m["result"]
        added_p50 = added_p99 = None
        if result and direct_result and m["connections"] == 1 and m is not direct:
            added_p50 = round(result["p50_ms"] - direct_result["p50_ms"], 2)
            added_p99 = round(result["p99_ms"] - direct_result["p99_ms"], 2)
        rows.append(
            [
                m["scenario"],
                m["database"],
                m["connections"],
                result["requests_per_second"] if result else None,
                result["p50_ms"] if result else None,
                result["p99_ms"] if result else None,
                added_p50,
                added_p99,
                result["errors"] if result else None,
                m["peak_rss_mib"],
                m["note"],
            ]
        )
    return report.table(
        [
            "path",
            "database",
            "connections",
            "req/s",
            "p50 ms",
            "p99 ms",
            "added p50 ms",
            "added p99 ms",
            "errors",
            "peak RSS/worker MiB",
            "note",
        ],
        rows,
    )


def targets_table(data: dict[str, Any]) -> str:
    rows = []
    measurements = data["measurements"]
    connections = data["options"]["connections"]

    direct = _find(data["overhead"], scenario="direct to fake provider", connections=1)
    promptlab = _find(
        data["overhead"], scenario="promptlab execute", database="sqlite", connections=1
    )
    added = None
    if direct and promptlab and direct["result"] and promptlab["result"]:
        added = round(promptlab["result"]["p50_ms"] - direct["result"]["p50_ms"], 2)
    rows.append(
        [
            "time added to a model call, p50, SQLite, log persisted",
            f"< {MAX_ADDED_P50_MS} ms",
            f"{added} ms" if added is not None else "n/a",
            _met(None if added is None else added < MAX_ADDED_P50_MS),
        ]
    )

    execute = _find(
        data["overhead"], scenario="promptlab execute", database="sqlite", connections=connections
    )
    litellm = _find(data["overhead"], scenario="LiteLLM proxy", connections=connections)
    ratio = None
    if execute and execute["result"] and litellm and litellm["result"]:
        ratio = round(
            execute["result"]["requests_per_second"] / litellm["result"]["requests_per_second"], 1
        )
    rows.append(
        [
            "execute throughput, 1 worker, vs LiteLLM proxy with 1 worker",
            f">= {MIN_THROUGHPUT_RATIO_VS_LITELLM}x",
            f"{ratio}x" if ratio is not None else f"n/a ({data.get('litellm')})",
            _met(None if ratio is None else ratio >= MIN_THROUGHPUT_RATIO_VS_LITELLM),
        ]
    )

    # Every promptlab worker counts, the execute runs of the overhead table included.
    promptlab_runs = [m for m in measurements if m["group"] != "ceiling"] + [
        m for m in data["overhead"] if m["scenario"] == "promptlab execute"
    ]
    peaks = [m["peak_rss_mib"] for m in promptlab_runs if m["peak_rss_mib"]]
    peak = max(peaks) if peaks else None
    rows.append(
        [
            "peak RSS per worker, no local model",
            f"< {MAX_PEAK_RSS_MB:.0f} MB ({MAX_PEAK_RSS_MIB:.1f} MiB)",
            f"{peak} MiB" if peak is not None else "n/a",
            _met(None if peak is None else peak < MAX_PEAK_RSS_MIB),
        ]
    )

    listing = _find(measurements, database="sqlite", workers=1, scenario=LIST_SCENARIO)
    ceiling = _find(measurements, workers=1, scenario=CEILING_SCENARIO)
    fraction = None
    if listing and listing["result"] and ceiling and ceiling["result"]:
        fraction = (
            listing["result"]["requests_per_second"] / ceiling["result"]["requests_per_second"]
        )
    rows.append(
        [
            "list 50 prompts, SQLite, 1 worker, share of the ceiling",
            f">= {MIN_FRACTION_OF_CEILING:.0%}",
            f"{fraction:.1%}" if fraction is not None else "n/a",
            _met(None if fraction is None else fraction >= MIN_FRACTION_OF_CEILING),
        ]
    )
    return report.table(["target", "goal", "measured", "verdict"], rows)


def markdown(data: dict[str, Any]) -> str:
    options = data["options"]
    return "\n\n".join(
        [
            "## Machine\n\n" + report.machine_markdown(data["machine"]),
            (
                f"Run time {data['elapsed_seconds']} s. Each figure is one wrk run of "
                f"{options['seconds']} s after a warm-up, with {options['connections']} "
                "connections unless stated."
            ),
            "## Throughput and latency\n\n" + main_table(data),
            "## Execution overhead\n\n" + overhead_table(data),
            "## Targets\n\n" + targets_table(data),
        ]
    )
