"""A pool of asyncpg connections for the read-only units of work of a process on PostgreSQL.

A read through SQLAlchemy's async engine checked a connection out of the
engine's pool and gave it back, with greenlet switches both ways and a
`pool_pre_ping` round trip. That was about half of the CPU of an
authenticated request that reads one row (`python -m bench profile
--pyinstrument`). The read-only units of work now run each prepared SELECT
on a connection of this pool, taken for that one statement.

Reads run outside any transaction, so each statement reads the latest
committed state, as before. A connection then holds no session state, so
the reset query that asyncpg sends by default on release is skipped. A
statement whose connection turns out to be gone (a restarted server, a
terminated backend) is sent once more on a fresh connection, which is what
the pre-ping did for the engine's pool. A second failure is reported as the
database being unavailable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import URL

from promptlab.adapters.sqlalchemy import codecs
from promptlab.adapters.sqlalchemy.prepared import driver_error_is_unavailable

T = TypeVar("T")


async def _setup_codecs(connection: asyncpg.Connection) -> None:
    """Decode JSON and JSONB as SQLAlchemy's asyncpg dialect does on its own connections.

    The prepared queries' result processors come from that dialect, which
    expects asyncpg to have decoded JSON values already.
    """
    await connection.set_type_codec(
        "json",
        encoder=str.encode,
        decoder=lambda value: codecs.json_loads(value.decode()),
        schema="pg_catalog",
        format="binary",
    )
    await connection.set_type_codec(
        "jsonb",
        # PostgreSQL's binary JSONB starts with the format version, 1.
        encoder=lambda value: b"\x01" + value.encode(),
        decoder=lambda value: codecs.json_loads(value[1:].decode()),
        schema="pg_catalog",
        format="binary",
    )


async def _keep_connection_state(connection: asyncpg.Connection) -> None:
    # Reads leave no transaction, prepared cursor, listener or setting behind.
    return None


def _connection_broken(error: Exception, connection: asyncpg.Connection) -> bool:
    """Return whether `error` leaves `connection` unusable, so the statement may go to another.

    A backend ended by the server while its connection sat in the pool can
    also surface as asyncpg's InternalClientError ("cannot switch to state
    12; another operation is in progress") on the next statement.
    """
    if isinstance(error, asyncpg.exceptions.InternalClientError):
        return True
    if driver_error_is_unavailable(error):
        return True
    try:
        return connection.is_closed()
    except asyncpg.InterfaceError:
        # A connection that closed mid-statement is already back in the pool.
        return True


def _discard(connection: asyncpg.Connection) -> None:
    """Close `connection` at once, so that the pool replaces it instead of lending it again."""
    try:
        connection.terminate()
    except asyncpg.InterfaceError:
        # Closed mid-statement, it went back to the pool, which replaces it.
        pass


class ReadConnectionFailed(ConnectionError):
    """No connection to PostgreSQL could be opened for a read."""


class ReadConnectionLost(ConnectionError):
    """A read's connection broke, and so did the fresh one it was sent to next."""


async def _acquire(pool: asyncpg.Pool) -> asyncpg.Connection:
    """Take a connection from `pool`, opening one if needed.

    Opening can fail for reasons asyncpg reports as server errors (the
    database does not exist or does not accept connections, the password
    was rejected), besides network errors. Like SQLAlchemy's engine for
    any connect failure, the reader reports each as the database being
    unreachable.
    """
    try:
        return await pool.acquire()
    except Exception as error:
        raise ReadConnectionFailed(
            f"could not connect to PostgreSQL: {error.__class__.__name__}"
        ) from error


class PostgresReader:
    """Up to `max_size` asyncpg connections to the engine's database, opened on first use."""

    def __init__(self, url: URL, *, max_size: int) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def run(self, call: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Return `call(connection)` on a pooled connection, trying a fresh one once if it was gone.

        Raises ReadConnectionFailed when no connection can be opened, and
        ReadConnectionLost when the fresh connection breaks too. Both are
        ConnectionErrors, so the unit of work reports the database as
        unavailable.
        """
        pool = self._pool or await self._open()
        for attempt in (1, 2):
            connection = await _acquire(pool)
            try:
                return await call(connection)
            except Exception as error:
                if not _connection_broken(error, connection):
                    raise
                _discard(connection)
                # A backend seldom dies alone (a server restart, an
                # administrator ending a database's sessions), so every
                # pooled connection is replaced before the statement is sent again.
                await pool.expire_connections()
                if attempt == 2:
                    raise ReadConnectionLost(
                        f"the connection broke twice in a row: {error.__class__.__name__}"
                    ) from error
            finally:
                # Releasing a connection that already went back to the pool does nothing.
                await pool.release(connection)
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=0,
                    max_size=self._max_size,
                    init=_setup_codecs,
                    reset=_keep_connection_state,
                )
            return self._pool
