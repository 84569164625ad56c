"""Building an execution's outcome and writing it exactly once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

from promptlab.application.ports.clock import Clock
from promptlab.application.ports.model_provider import ProviderError
from promptlab.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from promptlab.domain.catalog import ModelSpec, Usage, compute_cost
from promptlab.domain.executions import (
    Execution,
    ExecutionError,
    ExecutionOutcome,
    ExecutionStatus,
)

logger = logging.getLogger(__name__)

# Costs are kept to 12 decimal places, the scale of the cost column, so a log
# reads back the same on SQLite and PostgreSQL.
COST_QUANTUM = Decimal("1e-12")

INTERNAL_ERROR = "internal_error"

# Tasks that record an outcome after their request was cancelled. The event
# loop keeps only weak references to tasks, so without this set a pending
# write could be garbage-collected before it runs.
_PENDING_WRITES: set[asyncio.Task[Any]] = set()


def cost_of(usage: Usage | None, model: ModelSpec) -> Decimal | None:
    """Return the USD cost from catalog prices, or None when a count or a price is unknown."""
    cost = compute_cost(usage, model.prices)
    return None if cost is None else cost.quantize(COST_QUANTUM)


def elapsed_ms(clock: Clock, started: float) -> int:
    return max(0, round((clock.monotonic() - started) * 1000))


def error_of(error: ProviderError) -> ExecutionError:
    return ExecutionError(code=error.code, message=error.message, provider_status=error.status)


def internal_error(execution: Execution) -> ExecutionError:
    return ExecutionError(
        code=INTERNAL_ERROR,
        message=(
            f"An unexpected error occurred while calling provider '{execution.provider}'. "
            "It has been logged; execute the prompt again, or report it if it persists."
        ),
    )


def failed_outcome(
    error: ExecutionError,
    *,
    attempts: int,
    latency_ms: int | None,
    output: str | None = None,
    time_to_first_token_ms: int | None = None,
) -> ExecutionOutcome:
    return ExecutionOutcome(
        status=ExecutionStatus.FAILED,
        attempts=attempts,
        error=error,
        latency_ms=latency_ms,
        output=output,
        time_to_first_token_ms=time_to_first_token_ms,
    )


async def record_outcome(
    uow: UnitOfWork, execution: Execution, outcome: ExecutionOutcome, clock: Clock
) -> Execution:
    """Write `outcome` if the stored log is still running, commit, and return the stored log.

    When another writer (the reaper) finished the log first, its outcome stays
    and is returned, so the client sees what the database holds.
    """
    final = execution.finished(outcome, clock.now())
    if await uow.executions.finish(final):
        await uow.commit()
        return final

    stored = await uow.executions.get(execution.prompt_id, execution.id)
    await uow.rollback()
    logger.warning(
        "Execution %s already had an outcome (%s), so its %s outcome was not recorded",
        execution.id,
        stored.status if stored else "missing",
        outcome.status,
    )
    return stored or final


async def record_outcome_in_new_unit(
    uow_factory: UnitOfWorkFactory, execution: Execution, outcome: ExecutionOutcome, clock: Clock
) -> Execution:
    async with uow_factory() as uow:
        return await record_outcome(uow, execution, outcome, clock)


async def run_to_completion(write: Coroutine[Any, Any, Execution]) -> Execution:
    """Await `write` in its own task, so that cancelling the caller does not cancel it.

    A cancelled caller still gets CancelledError at once; the write finishes
    in the background and is kept referenced until it does.
    """
    task = asyncio.ensure_future(write)
    _PENDING_WRITES.add(task)
    task.add_done_callback(_PENDING_WRITES.discard)
    return await asyncio.shield(task)
