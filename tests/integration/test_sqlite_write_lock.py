"""SQLite write transactions of one process take turns on the unit of work's lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.sqlalchemy.engine import create_engine
from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.application.errors import ServiceUnavailableError

SELECT_ONE = text("SELECT 1")


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'lock.db'}")
    yield engine
    await engine.dispose()


async def test_second_writer_waits_for_commit(sqlite_engine: AsyncEngine) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sqlite_engine)
    order: list[str] = []

    async def second_writer() -> None:
        async with factory(write=True) as uow:
            await uow.execute(SELECT_ONE)
            order.append("second began")

    async with factory(write=True) as first:
        await first.execute(SELECT_ONE)
        waiting = asyncio.create_task(second_writer())
        await asyncio.sleep(0.05)
        order.append("first commits")
        await first.commit()
    await asyncio.wait_for(waiting, timeout=5)

    assert order == ["first commits", "second began"]


async def test_readers_do_not_wait_for_writer(sqlite_engine: AsyncEngine) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sqlite_engine)

    async with factory(write=True) as writer:
        await writer.execute(SELECT_ONE)
        async with factory(write=False) as reader:
            result = await asyncio.wait_for(reader.execute(SELECT_ONE), timeout=5)
            value = result.scalar_one()

    assert value == 1


async def test_writer_times_out_as_unavailable(sqlite_engine: AsyncEngine) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sqlite_engine, write_lock_timeout=0.05)

    async with factory(write=True) as first:
        await first.execute(SELECT_ONE)
        async with factory(write=True) as second:
            # Far below SQLite's own busy timeout, so only the lock can raise in time.
            with pytest.raises(ServiceUnavailableError):
                await asyncio.wait_for(second.execute(SELECT_ONE), timeout=5)


async def test_lock_is_free_after_rollback(sqlite_engine: AsyncEngine) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(sqlite_engine, write_lock_timeout=0.5)

    async with factory(write=True) as first:
        await first.execute(SELECT_ONE)
    async with factory(write=True) as second:
        result = await second.execute(SELECT_ONE)
        value = result.scalar_one()

    assert value == 1


async def test_writer_in_other_process_waits_off_loop(tmp_path: Path) -> None:
    # Two engines on one file stand for two worker processes: their units of
    # work share no asyncio lock, so the second meets SQLite's own lock.
    url = f"sqlite+aiosqlite:///{tmp_path / 'two.db'}"
    first_engine, second_engine = create_engine(url), create_engine(url)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def second_writer() -> int:
        async with SqlAlchemyUnitOfWorkFactory(second_engine)(write=True) as uow:
            value = (await uow.execute(SELECT_ONE)).scalar_one()
            await uow.commit()
            return int(value)

    try:
        async with SqlAlchemyUnitOfWorkFactory(first_engine)(write=True) as first:
            await first.execute(SELECT_ONE)
            ticker = asyncio.create_task(tick())
            waiting = asyncio.create_task(second_writer())
            await asyncio.sleep(0.3)
            ticks_while_waiting = ticks
            second_done_early = waiting.done()
            await first.commit()
        value = await asyncio.wait_for(waiting, timeout=10)
        ticker.cancel()
    finally:
        await first_engine.dispose()
        await second_engine.dispose()

    assert not second_done_early
    assert ticks_while_waiting >= 10
    assert value == 1


async def test_cancelled_waiting_writer_recovers(tmp_path: Path) -> None:
    # The second engine stands for another worker process, as above. Its
    # writer is cancelled while its BEGIN IMMEDIATE waits in a thread.
    url = f"sqlite+aiosqlite:///{tmp_path / 'cancel.db'}"
    first_engine, second_engine = create_engine(url), create_engine(url)
    second_factory = SqlAlchemyUnitOfWorkFactory(second_engine)

    async def second_writer() -> int:
        async with second_factory(write=True) as uow:
            value = (await uow.execute(SELECT_ONE)).scalar_one()
            await uow.commit()
            return int(value)

    try:
        async with SqlAlchemyUnitOfWorkFactory(first_engine)(write=True) as first:
            await first.execute(SELECT_ONE)
            waiting = asyncio.create_task(second_writer())
            await asyncio.sleep(0.2)
            waiting.cancel()
            await asyncio.sleep(0.1)
            await first.commit()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(waiting, timeout=10)

        value = await asyncio.wait_for(second_writer(), timeout=10)
    finally:
        second_factory.close()
        await first_engine.dispose()
        await second_engine.dispose()

    assert value == 1
