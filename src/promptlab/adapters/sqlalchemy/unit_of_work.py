"""Unit of work over one lazily acquired connection."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping, Sequence
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable

from promptlab.adapters.sqlalchemy.engine import (
    WRITE_TRANSACTION,
    create_sqlite_writer_engine,
    inline_sqlite,
)
from promptlab.adapters.sqlalchemy.errors import is_unavailable, unavailable
from promptlab.adapters.sqlalchemy.listing_cache import ListedPromptCache
from promptlab.adapters.sqlalchemy.prepared import (
    CompiledQuery,
    PreparedQuery,
    PreparedWrite,
    driver_error_is_unavailable,
    fetch_on_driver,
)
from promptlab.adapters.sqlalchemy.repositories.accounts import (
    SqlRefreshTokenRepository,
    SqlUserRepository,
)
from promptlab.adapters.sqlalchemy.repositories.executions import SqlExecutionRepository
from promptlab.adapters.sqlalchemy.repositories.organizations import SqlOrganizationRepository
from promptlab.adapters.sqlalchemy.repositories.projects import SqlProjectRepository
from promptlab.adapters.sqlalchemy.repositories.prompts import (
    SqlPromptRepository,
    SqlSessionRepository,
)
from promptlab.adapters.sqlalchemy.sqlite_inline import (
    InlineReader,
    InlineWriteConnection,
    InlineWriter,
)

if TYPE_CHECKING:
    # asyncpg comes with the `postgres` extra only, so the reader is imported
    # when an engine on PostgreSQL needs it.
    from promptlab.adapters.sqlalchemy.postgres_reader import PostgresReader

# Matches the default SQLite busy timeout (PROMPTLAB_SQLITE_BUSY_TIMEOUT_MS).
DEFAULT_WRITE_LOCK_TIMEOUT_SECONDS = 30.0
# Matches PROMPTLAB_LISTED_PROMPTS_CACHE_BYTES.
DEFAULT_LISTED_PROMPTS_CACHE_BYTES = 8 * 1024 * 1024


class SqlAlchemyUnitOfWork:
    """Repositories sharing one transaction.

    The connection is taken from the pool at the first statement and given
    back at commit or rollback, so a use case that waits on a model provider
    between two commits keeps no connection checked out while it waits.

    With a `write_lock` (SQLite), a write transaction holds that lock from
    its first statement to its commit or rollback; see
    SqlAlchemyUnitOfWorkFactory for why.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        write: bool = True,
        write_lock: asyncio.Lock | None = None,
        write_lock_timeout: float = DEFAULT_WRITE_LOCK_TIMEOUT_SECONDS,
        reader: InlineReader | None = None,
        writer: InlineWriter | None = None,
        postgres_reader: PostgresReader | None = None,
        listed_prompts: ListedPromptCache | None = None,
    ) -> None:
        self._engine = engine
        self.listed_prompts = listed_prompts
        self._write = write
        self._reader = None if write else reader
        self._postgres_reader = None if write else postgres_reader
        self._writer = writer if write else None
        self._write_lock = write_lock if write else None
        self._write_lock_timeout = write_lock_timeout
        self._holds_write_lock = False
        self._connection: AsyncConnection | InlineWriteConnection | None = None
        self._driver_connection: Any = None
        self.users = SqlUserRepository(self)
        self.refresh_tokens = SqlRefreshTokenRepository(self)
        self.organizations = SqlOrganizationRepository(self)
        self.projects = SqlProjectRepository(self)
        self.sessions = SqlSessionRepository(self)
        self.prompts = SqlPromptRepository(self)
        self.executions = SqlExecutionRepository(self)

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> CursorResult[Any]:
        """Run one statement in the current transaction, translating outages to 503.

        `parameters` fills the `bindparam`s of a statement built once at import
        time, which hot paths use to skip building the statement per request.
        IntegrityError is re-raised unchanged: the repository that issued the
        statement can tell which conflict it means.
        """
        connection = await self._acquire()
        try:
            return await connection.execute(statement, parameters)
        except IntegrityError:
            raise
        except DBAPIError as error:
            if is_unavailable(error):
                await self._discard()
                raise unavailable(error) from error
            raise
        except (OSError, ConnectionError, TimeoutError) as error:
            await self._discard()
            raise unavailable(error) from error

    async def fetch_all(
        self, query: PreparedQuery, parameters: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]:
        """Run a prepared SELECT and return its rows as sequences in the statement's column order.

        A read-only unit of work runs it on the driver's connection (see
        `prepared` for why): on a SQLite file on the process's shared
        `InlineReader`, on PostgreSQL on a connection of the factory's
        `PostgresReader`. A write transaction on a SQLite file runs it on the
        `InlineWriter` connection inside its transaction. A write transaction
        on PostgreSQL runs it through SQLAlchemy, which starts the transaction
        before the first statement and keeps row locks inside it.
        """
        dialect = self._engine.dialect
        if self._writer is not None:
            return await self._fetch_in_inline_transaction(query, parameters)
        if self._write:
            return query.typed(list(await self.execute(query.statement, parameters)))

        if self._reader is not None:
            compiled = await query.compiled_on(dialect, None)
            try:
                rows = self._reader.fetch_all(compiled.sql, compiled.driver_parameters(parameters))
            except Exception as error:
                if driver_error_is_unavailable(error):
                    raise unavailable(error) from error
                raise
            return compiled.convert_rows(rows)

        if self._postgres_reader is not None:
            try:
                compiled, rows = await self._postgres_reader.run(
                    partial(_fetch_prepared, query, dialect, parameters)
                )
            except Exception as error:
                if driver_error_is_unavailable(error):
                    raise unavailable(error) from error
                raise
            return compiled.convert_rows(rows)

        connection = await self._acquire()
        try:
            if self._driver_connection is None:
                assert isinstance(connection, AsyncConnection)
                self._driver_connection = (await connection.get_raw_connection()).driver_connection
            compiled = await query.compiled_on(dialect, self._driver_connection)
            rows = await fetch_on_driver(
                dialect.name,
                self._driver_connection,
                compiled.sql,
                compiled.driver_parameters(parameters),
            )
        except Exception as error:
            if driver_error_is_unavailable(error):
                await self._discard()
                raise unavailable(error) from error
            raise
        return compiled.convert_rows(rows)

    async def write(self, statement: PreparedWrite, values: Mapping[str, Any]) -> int:
        """Run a prepared INSERT or UPDATE with `values` and return the number of rows it changed.

        In a SQLite write transaction its compiled SQL runs on the inline
        writer's connection. A constraint violation is raised as SQLAlchemy's
        IntegrityError with the driver's error as `orig`, as `execute` does.
        """
        if self._writer is None:
            return int((await self.execute(statement.statement, values)).rowcount)

        connection = await self._acquire()
        assert isinstance(connection, InlineWriteConnection)
        compiled = statement.compiled_for(self._engine.dialect, tuple(values))
        try:
            return connection.write(compiled.sql, compiled.driver_parameters(values))
        except sqlite3.IntegrityError as error:
            raise IntegrityError(compiled.sql, None, error, hide_parameters=True) from error
        except Exception as error:
            if driver_error_is_unavailable(error):
                await self._discard()
                raise unavailable(error) from error
            raise

    async def _fetch_in_inline_transaction(
        self, query: PreparedQuery, parameters: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]:
        # The inline writer's transaction is its sqlite3 connection's, so the
        # compiled SQL runs there directly, inside the same BEGIN IMMEDIATE.
        connection = await self._acquire()
        assert isinstance(connection, InlineWriteConnection)
        compiled = await query.compiled_on(self._engine.dialect, None)
        try:
            rows = connection.fetch_all(compiled.sql, compiled.driver_parameters(parameters))
        except Exception as error:
            if driver_error_is_unavailable(error):
                await self._discard()
                raise unavailable(error) from error
            raise
        return compiled.convert_rows(rows)

    async def commit(self) -> None:
        if self._connection is None:
            return
        try:
            await self._connection.commit()
        except DBAPIError as error:
            await self._discard()
            if is_unavailable(error):
                raise unavailable(error) from error
            raise
        except (OSError, ConnectionError, TimeoutError) as error:
            await self._discard()
            raise unavailable(error) from error
        await self._release()

    async def rollback(self) -> None:
        if self._connection is None:
            return
        try:
            await self._connection.rollback()
        except (DBAPIError, OSError, ConnectionError, TimeoutError):
            await self._discard()
            return
        await self._release()

    async def _acquire(self) -> AsyncConnection | InlineWriteConnection:
        if self._connection is not None:
            return self._connection
        await self._take_write_lock()
        try:
            connection: AsyncConnection | InlineWriteConnection
            if self._writer is not None:
                connection = await self._writer.begin()
            else:
                connection = await self._engine.connect()
                if self._write:
                    await connection.execution_options(**{WRITE_TRANSACTION: True})
        except DBAPIError as error:
            self._give_back_write_lock()
            raise unavailable(error) from error
        except (OSError, ConnectionError, TimeoutError) as error:
            self._give_back_write_lock()
            raise unavailable(error) from error
        except BaseException:
            self._give_back_write_lock()
            raise
        self._connection = connection
        return connection

    async def _release(self) -> None:
        connection, self._connection = self._connection, None
        self._driver_connection = None
        try:
            if connection is not None:
                await connection.close()
        finally:
            self._give_back_write_lock()

    async def _discard(self) -> None:
        """Drop a connection that failed, without letting a second failure mask the first."""
        connection, self._connection = self._connection, None
        self._driver_connection = None
        self._give_back_write_lock()
        if connection is None:
            return
        try:
            await connection.invalidate()
            await connection.close()
        except Exception:  # noqa: BLE001 - the original error is already being raised
            pass

    async def _take_write_lock(self) -> None:
        if self._write_lock is None:
            return
        try:
            # asyncio.timeout sets a timer; wait_for would also wrap the wait in a task.
            async with asyncio.timeout(self._write_lock_timeout):
                await self._write_lock.acquire()
        except TimeoutError as error:
            # What SQLite's busy timeout would have raised after the same wait.
            raise unavailable(error) from error
        self._holds_write_lock = True

    def _give_back_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            assert self._write_lock is not None
            self._write_lock.release()


async def _fetch_prepared(
    query: PreparedQuery, dialect: Dialect, parameters: Mapping[str, Any], connection: Any
) -> tuple[CompiledQuery, Sequence[Sequence[Any]]]:
    compiled = await query.compiled_on(dialect, connection)
    rows = await connection.fetch(compiled.sql, *compiled.driver_parameters(parameters))
    return compiled, rows


class SqlAlchemyUnitOfWorkFactory:
    """Units of work on one engine.

    On SQLite, write transactions of this process take turns on an asyncio
    lock before `BEGIN IMMEDIATE`. SQLite's own busy handler makes a waiting
    writer sleep and poll with growing pauses (up to 100 ms each), so under
    concurrent writes most of the wait was sleep after the lock was already
    free. The lock hands over at once, in arrival order. Writers in other
    processes still meet at the busy handler, one per process at most.

    Its units of work share one `ListedPromptCache` of
    `listed_prompts_cache_bytes` (0 turns it off).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        write_lock_timeout: float = DEFAULT_WRITE_LOCK_TIMEOUT_SECONDS,
        listed_prompts_cache_bytes: int = DEFAULT_LISTED_PROMPTS_CACHE_BYTES,
    ) -> None:
        self._engine = engine
        self._listed_prompts = (
            ListedPromptCache(listed_prompts_cache_bytes) if listed_prompts_cache_bytes else None
        )
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._write_lock_timeout = write_lock_timeout
        self._reader: InlineReader | None = None
        self._writer: InlineWriter | None = None
        self._postgres_reader: PostgresReader | None = None
        if engine.dialect.name == "postgresql":
            from promptlab.adapters.sqlalchemy.postgres_reader import PostgresReader

            # As many read connections as the engine's pool keeps open.
            self._postgres_reader = PostgresReader(engine.url, max_size=engine.pool.size())  # type: ignore[attr-defined]
        sqlite_file = inline_sqlite(engine)
        if sqlite_file is not None:
            timeout = sqlite_file.busy_timeout_ms
            self._reader = InlineReader(sqlite_file.database, busy_timeout_ms=timeout)
            self._writer = InlineWriter(
                create_sqlite_writer_engine(sqlite_file.database, busy_timeout_ms=timeout),
                busy_timeout_ms=timeout,
            )

    def __call__(self, *, write: bool = True) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(
            self._engine,
            write=write,
            write_lock=self._write_lock,
            write_lock_timeout=self._write_lock_timeout,
            reader=self._reader,
            writer=self._writer,
            postgres_reader=self._postgres_reader,
            listed_prompts=self._listed_prompts,
        )

    def close(self) -> None:
        """Close the SQLite reader and writer; the engine's pool is closed by `engine.dispose()`."""
        if self._reader is not None:
            self._reader.close()
        if self._writer is not None:
            self._writer.dispose()

    async def aclose(self) -> None:
        """Close what `close` closes and the PostgreSQL reader's connections."""
        self.close()
        if self._postgres_reader is not None:
            await self._postgres_reader.close()
