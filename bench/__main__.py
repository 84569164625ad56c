"""`python -m bench`: the standard benchmark; `python -m bench scale`: the one-million-row run.

See docs/benchmarks.md for what each mode measures and the latest results.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from bench.wrk import require_wrk


def _csv(kind: type, choices: tuple[str, ...] | None = None):  # type: ignore[no-untyped-def]
    def parse(raw: str) -> tuple:  # type: ignore[type-arg]
        values = tuple(kind(item.strip()) for item in raw.split(",") if item.strip())
        if not values:
            raise argparse.ArgumentTypeError("give at least one value")
        if choices is not None and not set(values) <= set(choices):
            raise argparse.ArgumentTypeError(f"choose from {', '.join(choices)}")
        return values

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark promptlab served by `promptlab serve` (granian) on 127.0.0.1.",
    )
    parser.add_argument(
        "mode",
        nargs="?",
        default="suite",
        choices=("suite", "scale", "profile"),
        help="suite (default): every scenario, both databases, 1 and 2 workers, the ceiling "
        "and the gateway comparison, in under ten minutes; scale: list and detail latency "
        "at one thousand and at one million execution logs, with query plans; profile: CPU "
        "time per request of each scenario, in process, without a server",
    )
    parser.add_argument(
        "--databases",
        type=_csv(str, ("sqlite", "postgresql")),
        default=("sqlite", "postgresql"),
        help="comma-separated databases to run (default sqlite,postgresql)",
    )
    parser.add_argument(
        "--workers",
        type=_csv(int),
        default=(1, 2),
        help="comma-separated worker counts for the suite (default 1,2)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="measured seconds per wrk run: suite default 5, scale default 2 (three rounds)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=None,
        help="concurrent connections: suite default 16 (throughput), scale default 1 "
        "(latency without queueing)",
    )
    parser.add_argument(
        "--no-litellm",
        action="store_true",
        help="skip the LiteLLM proxy comparison",
    )
    parser.add_argument(
        "--executions",
        type=int,
        default=1_000_000,
        help="scale mode: execution logs in the large stage (default 1000000)",
    )
    parser.add_argument(
        "--prompts",
        type=int,
        default=100_000,
        help="scale mode: prompts in the large stage (default 100000)",
    )
    parser.add_argument(
        "--scenario",
        help="profile mode: only this scenario (its name as printed, for example 'list 50 prompts')",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=2_000,
        help="profile mode: requests per scenario (default 2000)",
    )
    parser.add_argument(
        "--pyinstrument",
        action="store_true",
        help="profile mode: print pyinstrument's call tree of each measured scenario",
    )
    parser.add_argument("--verbose", action="store_true", help="log every measurement as it ends")
    return parser


def _exit_on_sigterm(signal_number: int, _frame: object) -> None:
    # SystemExit unwinds the context managers, which stop the servers this run
    # started; they run in sessions of their own and would outlive it otherwise.
    raise SystemExit(128 + signal_number)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if arguments.mode == "profile":
        from bench.profile import ProfileOptions, run_profile
        from bench.report import table

        rows = run_profile(
            ProfileOptions(
                database=arguments.databases[0],
                requests=arguments.requests,
                scenario=arguments.scenario,
                profile=arguments.pyinstrument,
            )
        )
        print(
            table(
                [
                    "scenario",
                    "CPU us/request, best batch",
                    "CPU us/request, median batch",
                    "wall us/request",
                    "failures",
                    "note",
                ],
                [
                    [
                        row["scenario"],
                        row.get("cpu_us_per_request"),
                        row.get("median_cpu_us_per_request"),
                        row.get("wall_us_per_request"),
                        row.get("failures"),
                        row.get("note", ""),
                    ]
                    for row in rows
                ],
            )
        )
        return 0

    require_wrk()

    if arguments.mode == "scale":
        from bench.scale import ScaleOptions, run_scale, scale_markdown

        data = run_scale(
            ScaleOptions(
                databases=arguments.databases,
                seconds=arguments.seconds or 2.0,
                connections=arguments.connections or 1,
                executions=arguments.executions,
                prompts=arguments.prompts,
            )
        )
        text = scale_markdown(data)
        name = "scale"
    else:
        from bench.suite import SuiteOptions, run_suite
        from bench.summary import markdown

        data = run_suite(
            SuiteOptions(
                databases=arguments.databases,
                workers=arguments.workers,
                seconds=arguments.seconds or 5.0,
                connections=arguments.connections or 16,
                litellm=not arguments.no_litellm,
            )
        )
        text = markdown(data)
        name = "suite"

    from bench.report import save

    path = save(name, data, text)
    print(text)
    print(
        f"\nRaw results: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
