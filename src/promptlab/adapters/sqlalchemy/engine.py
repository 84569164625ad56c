"""Engine construction for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
import weakref
from functools import partial
from typing import Any

import attrs
from sqlalchemy import Uuid, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from promptlab.adapters.sqlalchemy import codecs, sqlite_inline

logger = logging.getLogger(__name__)

# Execution option that makes a SQLite transaction take the write lock at BEGIN.
WRITE_TRANSACTION = "promptlab_write_transaction"


@attrs.frozen
class InlineSqlite:
    """The SQLite file of an engine and its busy timeout, for the inline reader and writer."""

    database: str
    busy_timeout_ms: int


# Engines on a SQLite file, whose calls run inline (in-memory and URI
# databases are not: another connection would not see the same database).
_INLINE_SQLITE: weakref.WeakKeyDictionary[AsyncEngine, InlineSqlite] = weakref.WeakKeyDictionary()


def inline_sqlite(engine: AsyncEngine) -> InlineSqlite | None:
    """Return the SQLite file of `engine` when its calls run inline, otherwise None."""
    return _INLINE_SQLITE.get(engine)


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str,
    *,
    busy_timeout_ms: int = 30_000,
    pool_size: int = 10,
    max_overflow: int = 10,
    echo: bool = False,
) -> AsyncEngine:
    """Create an async engine with the settings each database needs to behave well.

    SQLite: WAL journal (readers never wait for the writer), foreign keys on,
    a busy timeout so concurrent writers wait instead of failing with
    "database is locked", and `BEGIN IMMEDIATE` for write transactions. A
    deferred transaction that reads and then writes cannot wait for the lock
    in WAL mode: SQLite fails it at once with SQLITE_BUSY, so writers take the
    lock up front.

    On both, statement parameters are left out of errors (`hide_parameters`),
    because errors are logged and parameters carry emails, password hashes
    and prompt text.
    """
    if is_sqlite(url):
        database = make_url(url).database
        inline = {}
        if database and database != ":memory:" and not database.startswith("file:"):
            # Short calls run on the event loop's thread; see sqlite_inline for why and which.
            inline["async_creator"] = partial(sqlite_inline.connect, database)
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=max_overflow,
            hide_parameters=True,
            json_serializer=codecs.json_dumps,
            json_deserializer=codecs.json_loads,
            **inline,
        )
        # Same column types and stored text; only reading UUIDs back is faster.
        engine.dialect.colspecs = {**engine.dialect.colspecs, Uuid: codecs.HexUuid}
        _configure_sqlite(engine, busy_timeout_ms)
        if inline:
            _INLINE_SQLITE[engine] = InlineSqlite(
                database=str(database), busy_timeout_ms=busy_timeout_ms
            )
        return engine

    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        hide_parameters=True,
        json_serializer=codecs.json_dumps,
        json_deserializer=codecs.json_loads,
    )


def create_sqlite_writer_engine(database: str, *, busy_timeout_ms: int) -> Engine:
    """Create the synchronous engine of a process's SQLite write transactions; see InlineWriter.

    It has the async engine's column types, JSON codecs and connection
    settings, and one connection. The unit of work factory lets one write
    transaction of the process run at a time, so a second checkout would be
    a bug. It then fails at once instead of blocking the event loop.
    """
    writer = create_sync_engine(
        URL.create("sqlite", database=database),
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=0,
        connect_args={"check_same_thread": False},
        hide_parameters=True,
        json_serializer=codecs.json_dumps,
        json_deserializer=codecs.json_loads,
    )
    writer.dialect.colspecs = {**writer.dialect.colspecs, Uuid: codecs.HexUuid}
    _configure_sqlite_connections(writer, busy_timeout_ms)
    return writer


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    _configure_sqlite_connections(engine.sync_engine, busy_timeout_ms)


def _configure_sqlite_connections(sync_engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off so that
        # SQLAlchemy's "begin" event below decides how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(WRITE_TRANSACTION, False):
            statement = "BEGIN IMMEDIATE"
        else:
            statement = "BEGIN"
        # Straight to the driver's cursor: exec_driver_sql builds a whole
        # execution context, a tenth of a one-query read, for a statement
        # that returns nothing. Errors are wrapped as exec_driver_sql would.
        dbapi = connection.dialect.loaded_dbapi
        dbapi_connection = connection.connection.dbapi_connection
        if getattr(dbapi_connection, "in_transaction", False):
            # InlineWriter sent BEGIN IMMEDIATE itself, so as not to block the event loop.
            return
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        except dbapi.Error as error:
            raise DBAPIError.instance(
                statement, None, error, dbapi.Error, hide_parameters=True
            ) from error
        finally:
            cursor.close()
