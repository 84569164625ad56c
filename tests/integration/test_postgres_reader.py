"""The PostgreSQL reader: reads through its own asyncpg pool, across lost connections and outages."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.sqlalchemy.engine import create_engine
from promptlab.adapters.sqlalchemy.postgres_reader import PostgresReader
from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.application.errors import ServiceUnavailableError
from tests.integration.test_projects_repository import add_user
from tests.support.databases import POSTGRES_ADMIN_URL, enabled_backends

# The reader exists on PostgreSQL only, so these tests take only that backend.
pytestmark = pytest.mark.parametrize(
    "backend", [name for name in enabled_backends() if name == "postgresql"], indirect=True
)


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def reader_factory(engine: AsyncEngine) -> AsyncIterator[SqlAlchemyUnitOfWorkFactory]:
    factory = SqlAlchemyUnitOfWorkFactory(engine)
    yield factory
    await factory.aclose()


@pytest.fixture
async def reader(database_url: str) -> AsyncIterator[PostgresReader]:
    """A reader of its own on the session's database, with two connections at most."""
    reader = PostgresReader(make_url(database_url), max_size=2)
    yield reader
    await reader.close()


async def end_backend(pid: int) -> None:
    admin = await asyncpg.connect(asyncpg_dsn(POSTGRES_ADMIN_URL))
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def terminate_other_backends(database: str) -> int:
    admin = await asyncpg.connect(asyncpg_dsn(POSTGRES_ADMIN_URL))
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    return len(rows)


async def test_reads_survive_terminated_connections(
    reader_factory: SqlAlchemyUnitOfWorkFactory, database_url: str
) -> None:
    user = await add_user(reader_factory)
    async with reader_factory(write=False) as uow:
        assert await uow.users.get(user.id) == user

    # Every pooled connection dies, as on a server restart; the next read
    # goes to a fresh connection instead of failing.
    assert await terminate_other_backends(make_url(database_url).database or "") >= 1

    async with reader_factory(write=False) as uow:
        assert await uow.users.get(user.id) == user


async def test_reads_see_committed_writes_at_once(
    reader_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    async with reader_factory(write=False) as uow:
        assert await uow.users.get(uuid.uuid4()) is None

    user = await add_user(reader_factory)

    async with reader_factory(write=False) as uow:
        assert await uow.users.get(user.id) == user


async def test_lost_connection_is_tried_once_more(reader: PostgresReader) -> None:
    """A statement whose connection died on the way is sent again on another connection."""
    seen: list[int] = []

    async def lose_the_first(connection: asyncpg.Connection) -> int:
        seen.append(connection.get_server_pid())
        if len(seen) == 1:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")
        return int(await connection.fetchval("SELECT 1"))

    assert await reader.run(lose_the_first) == 1

    # The second attempt ran on another backend: the first connection was not reused.
    assert len(seen) == 2
    assert seen[0] != seen[1]


async def test_query_errors_are_not_retried(reader: PostgresReader) -> None:
    calls = 0

    async def bad_query(connection: asyncpg.Connection) -> None:
        nonlocal calls
        calls += 1
        await connection.fetch("SELECT * FROM no_such_table")

    with pytest.raises(asyncpg.exceptions.UndefinedTableError):
        await reader.run(bad_query)

    assert calls == 1


async def test_connection_killed_mid_statement_is_replaced(reader: PostgresReader) -> None:
    """A backend terminated by the server while a statement waits on it costs no failed read."""
    backends: list[int] = []

    async def killed_the_first_time(connection: asyncpg.Connection) -> int:
        backends.append(connection.get_server_pid())
        if len(backends) == 1:
            await end_backend(backends[0])
        return int(await connection.fetchval("SELECT 1"))

    assert await reader.run(killed_the_first_time) == 1

    assert len(backends) == 2
    assert backends[0] != backends[1]


def closed_port() -> int:
    """Return a loopback port that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Ways a read can fail to connect: nothing listens on the port, and the
# server answers but reports an error (here: the database does not exist).
UNREACHABLE = {
    "closed port": lambda url: url.set(host="127.0.0.1", port=closed_port()),
    "missing database": lambda url: url.set(database=f"missing_{uuid.uuid4().hex[:12]}"),
}


@pytest.mark.parametrize("unreachable", UNREACHABLE.values(), ids=UNREACHABLE.keys())
async def test_connect_failures_are_unavailable(database_url: str, unreachable: Any) -> None:
    """A read that cannot open a connection is a 503, not a 500."""
    url = unreachable(make_url(database_url))
    engine = create_engine(url.render_as_string(hide_password=False))
    factory = SqlAlchemyUnitOfWorkFactory(engine)
    try:
        async with factory(write=False) as uow:
            with pytest.raises(ServiceUnavailableError, match="unavailable"):
                await uow.users.get(uuid.uuid4())
    finally:
        await factory.aclose()
        await engine.dispose()


async def test_reads_survive_repeated_mass_terminations(
    reader_factory: SqlAlchemyUnitOfWorkFactory, database_url: str
) -> None:
    """Concurrent reads go on while every backend of the database is ended, again and again."""
    user = await add_user(reader_factory)
    database = make_url(database_url).database or ""
    stop = asyncio.Event()
    failures: list[BaseException] = []
    reads = 0

    async def read_in_a_loop() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                async with reader_factory(write=False) as uow:
                    assert await uow.users.get(user.id) == user
                reads += 1
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                failures.append(error)

    readers = [asyncio.create_task(read_in_a_loop()) for _ in range(8)]
    try:
        for _ in range(8):
            await asyncio.sleep(0.2)
            await terminate_other_backends(database)
    finally:
        stop.set()
        await asyncio.gather(*readers)

    assert failures == []
    assert reads > 100
