"""Units of work on a SQLite file: the shared inline reader and the inline writer."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.sqlalchemy.engine import create_engine, inline_sqlite
from promptlab.adapters.sqlalchemy.prepared import PreparedQuery, PreparedWrite
from promptlab.adapters.sqlalchemy.sqlite_inline import InlineReader
from promptlab.adapters.sqlalchemy.unit_of_work import (
    SqlAlchemyUnitOfWork,
    SqlAlchemyUnitOfWorkFactory,
)
from promptlab.application.errors import ServiceUnavailableError

numbers = Table("numbers", MetaData(), Column("value", Integer, primary_key=True))
ALL_NUMBERS = PreparedQuery(select(numbers.c.value).order_by(numbers.c.value))
NUMBER = PreparedQuery(select(numbers.c.value).where(numbers.c.value == bindparam("value")))
INSERT_NUMBER = PreparedWrite(numbers.insert())


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'reader.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE numbers (value INTEGER PRIMARY KEY)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def factory(sqlite_engine: AsyncEngine) -> Iterator[SqlAlchemyUnitOfWorkFactory]:
    factory = SqlAlchemyUnitOfWorkFactory(sqlite_engine)
    yield factory
    factory.close()


async def insert_number(factory: SqlAlchemyUnitOfWorkFactory, value: int) -> None:
    async with factory(write=True) as uow:
        await uow.execute(numbers.insert(), {"value": value})
        await uow.commit()


async def read_numbers(factory: SqlAlchemyUnitOfWorkFactory) -> list[int]:
    async with factory(write=False) as uow:
        return [row[0] for row in await uow.fetch_all(ALL_NUMBERS, {})]


async def test_reader_sees_each_commit(factory: SqlAlchemyUnitOfWorkFactory) -> None:
    assert await read_numbers(factory) == []

    await insert_number(factory, 1)
    assert await read_numbers(factory) == [1]

    await insert_number(factory, 2)
    assert await read_numbers(factory) == [1, 2]


async def test_reader_skips_uncommitted_write(factory: SqlAlchemyUnitOfWorkFactory) -> None:
    await insert_number(factory, 1)

    async with factory(write=True) as writer:
        await writer.execute(numbers.insert(), {"value": 2})
        during = await read_numbers(factory)
        await writer.commit()
    after = await read_numbers(factory)

    assert during == [1]
    assert after == [1, 2]


async def test_interleaved_read_units_share_reader(factory: SqlAlchemyUnitOfWorkFactory) -> None:
    await insert_number(factory, 1)
    await insert_number(factory, 2)

    async with factory(write=False) as first, factory(write=False) as second:
        first_rows = await first.fetch_all(NUMBER, {"value": 1})
        second_rows = await second.fetch_all(NUMBER, {"value": 2})
        first_rows_again = await first.fetch_all(NUMBER, {"value": 1})

    assert [tuple(row) for row in first_rows] == [(1,)]
    assert [tuple(row) for row in second_rows] == [(2,)]
    assert [tuple(row) for row in first_rows_again] == [(1,)]


def test_reader_rejects_writes(tmp_path: Path) -> None:
    database = tmp_path / "reader.db"
    sqlite3.connect(database).execute("CREATE TABLE numbers (value INTEGER)").connection.close()
    reader = InlineReader(str(database), busy_timeout_ms=1000)

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.fetch_all("INSERT INTO numbers VALUES (?)", [1])

    assert reader.fetch_all("SELECT count(*) FROM numbers", []) == [(0,)]
    reader.close()


def test_reader_reopens_after_error(tmp_path: Path) -> None:
    database = tmp_path / "reader.db"
    sqlite3.connect(database).execute("CREATE TABLE numbers (value INTEGER)").connection.close()
    reader = InlineReader(str(database), busy_timeout_ms=1000)

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        reader.fetch_all("SELECT * FROM missing", [])

    assert reader.fetch_all("SELECT count(*) FROM numbers", []) == [(0,)]
    reader.close()


async def test_unopenable_file_is_unavailable(sqlite_engine: AsyncEngine, tmp_path: Path) -> None:
    reader = InlineReader(str(tmp_path / "missing-folder" / "x.db"), busy_timeout_ms=1000)
    uow = SqlAlchemyUnitOfWork(sqlite_engine, write=False, reader=reader)

    async with uow:
        with pytest.raises(ServiceUnavailableError):
            await uow.fetch_all(ALL_NUMBERS, {})


async def test_driver_only_transaction_commits(factory: SqlAlchemyUnitOfWorkFactory) -> None:
    # Only compiled SQL runs on the writer's connection here, so SQLAlchemy
    # never began a transaction of its own.
    async with factory(write=True) as uow:
        await uow.write(INSERT_NUMBER, {"value": 7})
        await uow.commit()

    assert await read_numbers(factory) == [7]


async def test_driver_only_transaction_rolls_back(factory: SqlAlchemyUnitOfWorkFactory) -> None:
    async with factory(write=True) as uow:
        await uow.write(INSERT_NUMBER, {"value": 8})

    async with factory(write=True) as uow:
        await uow.write(INSERT_NUMBER, {"value": 9})
        await uow.commit()

    assert await read_numbers(factory) == [9]


async def test_uri_database_reads_through_aiosqlite(tmp_path: Path) -> None:
    # A URI database gets no inline reader or writer, so prepared queries
    # run on the async engine's aiosqlite connection.
    url = f"sqlite+aiosqlite:///file:{tmp_path / 'uri.db'}?uri=true"
    engine = create_engine(url)
    factory = SqlAlchemyUnitOfWorkFactory(engine)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE numbers (value INTEGER PRIMARY KEY)"))
        await insert_number(factory, 3)

        async with factory(write=False) as uow:
            rows = await uow.fetch_all(NUMBER, {"value": 3})
    finally:
        factory.close()
        await engine.dispose()

    assert inline_sqlite(engine) is None
    assert [tuple(row) for row in rows] == [(3,)]
