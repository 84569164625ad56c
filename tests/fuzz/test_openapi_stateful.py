"""Sequences of calls that follow the document's links, fuzzed by Schemathesis on both databases.

Each step may use what an earlier response returned: a project created, then
read, changed or archived; a session created, then a prompt in it, executed,
and its execution log read. Besides the checks of single calls, the stateful
checks look for objects that vanish after creation or stay after deletion.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis import Case, Response
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.stateful.state_machine import StepOutput

from tests.fuzz.schema import EXCLUDED_CHECKS, STATEFUL_SCHEMA
from tests.fuzz.world import STATISTICS, FuzzTarget, current_target

MAX_ROUNDS = 5
MIN_STEPS = 300
# Check failures seen in the current test, in the order they happened.
FAILURES: list[str] = []

# Bounded so that a run on one database takes well under a minute.
STATEFUL_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=8,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


class LinkedCalls(STATEFUL_SCHEMA.as_state_machine()):  # type: ignore[misc]
    def get_call_kwargs(self, case: Case) -> dict[str, Any]:
        target = current_target()
        return {"base_url": target.base_url, "headers": target.headers}

    def validate_response(
        self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        __tracebackhide__ = True
        try:
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=EXCLUDED_CHECKS,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )
        except FailureGroup as group:
            FAILURES.extend(f"{case.operation.label}: {failure}" for failure in group.exceptions)
            raise

    def step(self, input: Any) -> StepOutput:
        output = super().step(input)
        target = current_target()
        STATISTICS.stateful_steps[target.backend] += 1
        STATISTICS.statuses[(target.backend, output.response.status_code)] += 1
        return output


def test_linked_calls_conform(fuzz_target: FuzzTarget) -> None:
    FAILURES.clear()
    steps_before = STATISTICS.stateful_steps[fuzz_target.backend]

    # The server's data changes from one scenario to the next, so a replayed
    # scenario may take another path; Hypothesis reports that as Flaky and
    # stops the round. Every check failure is recorded when it happens, so a
    # new round starts, as Schemathesis's own runner does, and the recorded
    # failures decide the outcome.
    for _ in range(MAX_ROUNDS):
        try:
            LinkedCalls.run(settings=STATEFUL_SETTINGS)
        except Flaky:
            pass
        steps = STATISTICS.stateful_steps[fuzz_target.backend] - steps_before
        if FAILURES or steps >= MIN_STEPS:
            break

    assert not FAILURES, "\n".join(FAILURES)
    assert steps >= MIN_STEPS
