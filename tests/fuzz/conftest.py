"""Fixtures of the schema fuzzing tests, and the summary line they print at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from promptlab.entrypoints.settings import Settings
from tests.e2e.route_world import build_world, routes_of, world_api, world_server  # noqa: F401
from tests.fakes.fixtures import fake_provider_server  # noqa: F401
from tests.fuzz.world import CURRENT, STATISTICS, FuzzTarget
from tests.support.api import Api
from tests.support.server import LiveServer


@pytest.fixture(scope="module")
def fuzz_target(
    backend: str,
    world_server: LiveServer,  # noqa: F811
    settings_factory: Callable[..., Settings],
) -> Iterator[FuzzTarget]:
    """The app on `backend` with a world of objects, fuzzed as the world's owner."""
    api = Api(world_server.url)
    try:
        world = build_world(api, routes_of(settings_factory()))
    finally:
        api.close()
    ids = world.ids
    target = FuzzTarget(
        backend=backend,
        base_url=world_server.url,
        user=world.accounts["owner"],
        ids={
            "organization_id": ids["organization"],
            "project_id": ids["project"],
            "session_id": ids["session"],
            "prompt_id": ids["prompt"],
            "execution_id": ids["execution"],
            "member_id": ids["teammate"],
            "collaborator_id": ids["guest"],
        },
    )
    CURRENT["target"] = target
    yield target
    CURRENT.pop("target", None)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many examples the fuzzer sent and how many fuzz tests failed."""
    examples = STATISTICS.examples
    if not examples and not STATISTICS.stateful_steps:
        return
    operations = {label for _, label in examples}
    backends = sorted({backend for backend, _ in examples} | set(STATISTICS.stateful_steps))
    # An operation without any input, such as GET /health, has only a few distinct requests.
    below_target = sorted(
        {label: count for (_, label), count in examples.items() if count < 100}.items()
    )
    fewest = min(examples.values()) if examples else 0
    failed = [
        report
        for report in terminalreporter.stats.get("failed", [])
        if "tests/fuzz/" in getattr(report, "nodeid", "")
    ]
    server_errors = sum(
        count for (_, status), count in STATISTICS.statuses.items() if status >= 500
    )
    steps = ", ".join(f"{backend} {STATISTICS.stateful_steps[backend]}" for backend in backends)
    terminalreporter.write_line(
        f"schema fuzzing: {len(operations)} operations x {len(backends)} backends "
        f"({', '.join(backends)}), {sum(examples.values())} examples "
        f"(fewest for one operation on one backend: {fewest}), stateful steps: {steps or 'none'}, "
        f"5xx responses: {server_errors}, failed fuzz tests: {len(failed)}"
    )
    if below_target:
        listed = ", ".join(f"{label} ({count})" for label, count in below_target)
        terminalreporter.write_line(f"schema fuzzing: under 100 examples: {listed}")
