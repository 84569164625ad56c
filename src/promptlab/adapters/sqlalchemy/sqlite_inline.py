"""aiosqlite connections that run short SQLite calls on the event loop's own thread.

aiosqlite hands every call (cursor, execute, fetch, commit, rollback) to a
thread of its own and wakes the event loop when it is done: two thread
switches per call and about ten per request. Timed in a loop on a two-core
machine, a read unit of work with one indexed query took 2.0 ms through
aiosqlite and 0.5 ms with its calls made inline.

A call on a local SQLite file returns in microseconds unless it waits for
a lock or for the disk:

- `BEGIN IMMEDIATE` waits up to the busy timeout when another connection
  holds the write lock. It is first tried inline with the busy timeout set
  to zero, and only when the lock is taken does it go to the connection's
  thread to wait there, so the event loop never waits for another writer.
  Writers of one process already take turns on the unit of work's asyncio
  lock, so only writers in other processes make it wait.
- `COMMIT` in WAL mode with `synchronous=NORMAL` appends to the WAL without
  syncing, so it runs inline.

NOTE: Two waits still block the event loop: the automatic WAL checkpoint
that a COMMIT runs every 1,000 WAL pages (it syncs the database file), and
a reader meeting a lock in rare cases (another connection recovering the
WAL after a crash).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

import aiosqlite
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

_WRITE_LOCK_PREFIXES = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


def _takes_write_lock(arguments: tuple[Any, ...]) -> bool:
    if arguments and type(arguments[0]) is str:
        return arguments[0][:32].lstrip().upper().startswith(_WRITE_LOCK_PREFIXES)
    return False


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run inline; see the module for the exception."""

    _busy_timeout_ms: int | None = None

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        if _takes_write_lock(args):
            try:
                return self._without_waiting(fn, *args, **kwargs)
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
            return await super()._execute(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    def _without_waiting(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call `fn` with the busy timeout at zero, so it fails at once instead of waiting."""
        connection = self._connection
        assert connection is not None
        if self._busy_timeout_ms is None:
            self._busy_timeout_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
        connection.execute("PRAGMA busy_timeout=0")
        try:
            return fn(*args, **kwargs)
        finally:
            connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")


async def connect(database: str, **kwargs: Any) -> InlineConnection:
    """Open `database` as `aiosqlite.connect` does, for use from both threads.

    The sqlite3 connection is used by one caller at a time (the pool hands it
    to one unit of work), so sharing it between the two threads is safe.
    """
    kwargs["check_same_thread"] = False

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    connection = InlineConnection(connector, iter_chunk_size=64)
    # As SQLAlchemy does for aiosqlite: the thread must not keep the process alive.
    connection._thread.daemon = True
    return await connection


class InlineReader:
    """One read-only SQLite connection shared by the read-only units of work of a process.

    A read-only unit of work used to check a connection out of SQLAlchemy's
    pool and give it back, four greenlet switches that cost more than its
    queries. Its prepared queries run here instead, on the event loop's
    thread: each statement executes and fetches all its rows in one call,
    with no transaction left open between calls, so units of work whose
    awaits interleave can share the connection. Without an explicit
    transaction each statement reads the latest committed state, as the
    read-only units of work already did.

    `PRAGMA query_only` makes SQLite reject any write sent here. A connection
    that raised an error is closed, and the next read opens a new one.
    """

    def __init__(self, database: str, *, busy_timeout_ms: int) -> None:
        self._database = database
        self._busy_timeout_ms = busy_timeout_ms
        self._connection: sqlite3.Connection | None = None

    def fetch_all(self, sql: str, parameters: list[Any]) -> list[Any]:
        connection = self._connection or self._open()
        try:
            return connection.execute(sql, parameters).fetchall()
        except sqlite3.Error:
            self.close()
            raise

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._database, check_same_thread=False, isolation_level=None)
        try:
            # The engine's connections set the same journal mode and busy timeout,
            # so a read waits for a lock only in the cases the module lists.
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            connection.execute("PRAGMA query_only=ON")
        except sqlite3.Error:
            connection.close()
            raise
        self._connection = connection
        return connection


class InlineWriter:
    """Write transactions of a process on one synchronous SQLAlchemy connection, run inline.

    Through the async engine, every statement of a write transaction paid
    greenlet switches, and every transaction a connection checkout and
    return. On `POST .../execute/`, with its two write transactions, that
    was about half of the request's CPU time. The unit of
    work factory lets one write transaction of the process run at a time,
    so one connection used on the event loop's thread serves them all, and
    SQLAlchemy's synchronous API returns the same result objects.

    `BEGIN IMMEDIATE` is tried with the busy timeout at zero. Only when a
    writer in another process holds the lock does it wait, in a worker
    thread, so the event loop keeps serving other requests meanwhile.
    """

    def __init__(self, engine: Engine, *, busy_timeout_ms: int) -> None:
        self._engine = engine
        self._busy_timeout_ms = int(busy_timeout_ms)

    async def begin(self) -> InlineWriteConnection:
        """Check out the connection and start a write transaction on it.

        Raises DBAPIError, as SQLAlchemy would, when the connection cannot be
        opened or the lock was not free within the busy timeout.
        """
        connection = self._engine.connect()
        try:
            await self._begin_immediate(connection.connection.dbapi_connection)
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        return InlineWriteConnection(connection)

    async def _begin_immediate(self, dbapi_connection: Any) -> None:
        try:
            dbapi_connection.execute("PRAGMA busy_timeout=0")
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
            finally:
                dbapi_connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            waiting = asyncio.ensure_future(
                asyncio.to_thread(dbapi_connection.execute, "BEGIN IMMEDIATE")
            )
            try:
                await asyncio.shield(waiting)
            except asyncio.CancelledError:
                # The thread cannot be stopped: let it finish before the
                # connection is invalidated, so that no two threads use it.
                await asyncio.wait({waiting})
                raise
        except sqlite3.Error as error:
            raise DBAPIError.instance(
                "BEGIN IMMEDIATE", None, error, sqlite3.Error, hide_parameters=True
            ) from error

    def dispose(self) -> None:
        self._engine.dispose()


class InlineWriteConnection:
    """A write transaction on InlineWriter's connection, with the methods of AsyncConnection
    that the unit of work uses."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> CursorResult[Any]:
        return self._connection.execute(statement, parameters)

    def fetch_all(self, sql: str, parameters: list[Any]) -> list[Any]:
        """Run compiled SQL on the driver's connection, inside this transaction."""
        return self._dbapi_connection().execute(sql, parameters).fetchall()  # type: ignore[no-any-return]

    def write(self, sql: str, parameters: list[Any]) -> int:
        """Run compiled DML on the driver's connection, inside this transaction; return its rowcount."""
        return int(self._dbapi_connection().execute(sql, parameters).rowcount)

    async def commit(self) -> None:
        # SQLAlchemy commits only a transaction it began itself, at its first
        # statement; one that ran only compiled SQL is committed on the driver.
        if self._connection.in_transaction():
            self._connection.commit()
        else:
            self._dbapi_connection().commit()

    async def rollback(self) -> None:
        if self._connection.in_transaction():
            self._connection.rollback()
        else:
            self._dbapi_connection().rollback()

    def _dbapi_connection(self) -> Any:
        dbapi_connection = self._connection.connection.dbapi_connection
        assert dbapi_connection is not None
        return dbapi_connection

    async def close(self) -> None:
        self._connection.close()

    async def invalidate(self) -> None:
        self._connection.invalidate()
