"""The summary of a load run, printed per database."""

from __future__ import annotations

import statistics

import attrs

from loadtest.checks import Check
from loadtest.workload import Results


@attrs.frozen
class RunReport:
    backend: str
    workers: int
    clients: int
    results: Results
    checks: list[Check]

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.results.statuses.items() if status[0] == "5")

    @property
    def passed(self) -> bool:
        return (
            self.server_errors == 0
            and self.results.problem_count == 0
            and all(check.passed for check in self.checks)
        )


def percentile(values: list[float], fraction: float) -> float:
    """Return the `fraction` quantile by linear interpolation (0.0 for no values)."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(fraction * 1000) - 1]


def format_report(report: RunReport) -> str:
    results = report.results
    requests = sum(results.statuses.values())
    seconds = results.elapsed_seconds
    rps = requests / seconds if seconds else 0.0
    every_latency = [value for values in results.latencies_ms.values() for value in values]
    p50 = percentile(every_latency, 0.5)
    p99 = percentile(every_latency, 0.99)
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(results.statuses.items()))
    lines = [
        f"== {report.backend}: {report.workers} workers, {report.clients} clients ==",
        f"{'requests':<24}{requests}",
        f"{'seconds':<24}{seconds:.1f}",
        f"{'requests per second':<24}{rps:.1f}",
        f"{'latency p50 / p99 ms':<24}{p50:.1f} / {p99:.1f}",
        f"{'statuses':<24}{statuses}",
        (
            f"{'journeys':<24}{results.journeys_completed} of {results.journeys_started} "
            "completed; the budget cuts off each client's last one"
        ),
        f"{'unexpected responses':<24}{results.problem_count}",
    ]
    lines += [f"  {problem}" for problem in results.problems]
    lines.append("latency by route (requests, p50 ms, p99 ms):")
    for route, values in sorted(results.latencies_ms.items()):
        lines.append(
            f"  {route:<64}{len(values):>6}{percentile(values, 0.5):>9.1f}"
            f"{percentile(values, 0.99):>9.1f}"
        )
    lines.append("checks:")
    lines += [
        f"  {'PASS' if check.passed else 'FAIL'}  {check.name:<24}{check.detail}"
        for check in report.checks
    ]
    lines.append(f"result: {'PASS' if report.passed else 'FAIL'}")
    return "\n".join(lines)
