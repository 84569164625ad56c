"""Unit of work over one lazily acquired connection."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable

from promptlab.adapters.sqlalchemy.engine import WRITE_TRANSACTION
from promptlab.adapters.sqlalchemy.errors import is_unavailable, unavailable
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


class SqlAlchemyUnitOfWork:
    """Repositories sharing one transaction.

    The connection is taken from the pool at the first statement and given
    back at commit or rollback, so a use case that waits on a model provider
    between two commits holds no connection while it waits.
    """

    def __init__(self, engine: AsyncEngine, *, write: bool = True) -> None:
        self._engine = engine
        self._write = write
        self._connection: AsyncConnection | None = None
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
        statement knows which conflict it means.
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

    async def _acquire(self) -> AsyncConnection:
        if self._connection is not None:
            return self._connection
        try:
            connection = await self._engine.connect()
            if self._write:
                await connection.execution_options(**{WRITE_TRANSACTION: True})
        except DBAPIError as error:
            raise unavailable(error) from error
        except (OSError, ConnectionError, TimeoutError) as error:
            raise unavailable(error) from error
        self._connection = connection
        return connection

    async def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def _discard(self) -> None:
        """Drop a connection that failed, without letting a second failure mask the first."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.invalidate()
            await connection.close()
        except Exception:  # noqa: BLE001 - the original error is already being raised
            pass


class SqlAlchemyUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def __call__(self, *, write: bool = True) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self._engine, write=write)
