"""Mark executions abandoned by a stopped server as failed, and run that periodically."""

from __future__ import annotations

import asyncio
import logging

from promptlab.application.ports.clock import Clock
from promptlab.application.ports.unit_of_work import UnitOfWorkFactory
from promptlab.domain.executions import interrupted_error

logger = logging.getLogger(__name__)


class ReapInterruptedExecutions:
    """Fail every log still `running` past its deadline, with the code `interrupted`.

    Business rules:
    - a log's deadline lies past the longest time its worker may run, so a
      log still running then has no live worker left;
    - one conditional UPDATE does the work, so any number of servers may
      reap at once and a worker that records its own outcome at the same
      moment never has it overwritten (both writes require `running`).
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, *, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(self) -> int:
        async with self._uow_factory() as uow:
            count = await uow.executions.fail_overdue(self._clock.now(), interrupted_error())
            await uow.commit()
        if count:
            logger.warning("Marked %d abandoned executions as interrupted", count)
        return count


class PeriodicReaper:
    """Runs a reaper now and then every `interval` seconds, as one background task."""

    def __init__(self, reap: ReapInterruptedExecutions, *, interval: float) -> None:
        self._reap = reap
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="promptlab-execution-reaper")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    async def _run(self) -> None:
        while True:
            try:
                await self._reap()
            except Exception:
                # A database outage must not end the loop; the next round retries.
                logger.exception(
                    "Reaping abandoned executions failed; retrying in %g s", self._interval
                )
            await asyncio.sleep(self._interval)
