"""In-memory unit of work: the repositories of every area over one InMemoryDatabase."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Self

from promptlab.adapters.memory.accounts import (
    InMemoryRefreshTokenRepository,
    InMemoryUserRepository,
)
from promptlab.adapters.memory.executions import InMemoryExecutionRepository
from promptlab.adapters.memory.organizations import InMemoryOrganizationRepository
from promptlab.adapters.memory.projects import InMemoryProjectRepository
from promptlab.adapters.memory.prompts import InMemoryPromptRepository, InMemorySessionRepository
from promptlab.adapters.memory.store import InMemoryDatabase, InMemoryTables


class MissingRepository:
    """Placeholder for an area without an in-memory repository. Any use raises an error."""

    def __init__(self, area: str) -> None:
        self._area = area

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(
            f"The in-memory unit of work has no {self._area} repository yet, so "
            f"`{self._area}.{name}` is unavailable. Add one in promptlab/adapters/memory/ "
            "and assign it in InMemoryUnitOfWork.__init__."
        )


class InMemoryUnitOfWork:
    """Repositories sharing one transaction on an InMemoryDatabase.

    The transaction starts at the first repository call: a writer first waits
    for the database's write lock, then works on a snapshot of the committed
    state. Commit publishes the snapshot; rollback, or leaving the context
    without commit, discards it. A unit of work may commit more than once.
    """

    def __init__(self, database: InMemoryDatabase, *, write: bool = True) -> None:
        self._database = database
        self._write = write
        self._working: InMemoryTables | None = None
        self._read_snapshot: InMemoryTables | None = None
        self._holds_lock = False

        self.users = InMemoryUserRepository(self)
        self.refresh_tokens = InMemoryRefreshTokenRepository(self)
        self.organizations = InMemoryOrganizationRepository(self)
        self.sessions = InMemorySessionRepository(self)
        self.prompts = InMemoryPromptRepository(self)
        self.projects = InMemoryProjectRepository(self)
        self.executions = InMemoryExecutionRepository(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def tables(self) -> InMemoryTables:
        """Return the tables of the current transaction, starting one if needed."""
        if self._working is not None:
            return self._working
        if self._write:
            await self._acquire_write_lock()
        else:
            self._read_snapshot = self._database.committed
        self._working = self._database.committed.snapshot()
        return self._working

    async def commit(self) -> None:
        if self._working is None:
            return
        if self._write:
            self._database.committed = self._working
        elif self._working != self._read_snapshot:
            self._end()
            raise RuntimeError(
                "A unit of work opened with write=False changed data. Open it with "
                "write=True, as the SQL adapter needs for its write lock."
            )
        self._end()

    async def rollback(self) -> None:
        self._end()

    async def _acquire_write_lock(self) -> None:
        try:
            await asyncio.wait_for(
                self._database.write_lock.acquire(), self._database.lock_timeout_seconds
            )
        except TimeoutError:
            raise RuntimeError(
                f"Waited {self._database.lock_timeout_seconds} s for the in-memory write lock. "
                "Another write unit of work has not committed or rolled back; a use case that "
                "opens a second unit of work must first end the transaction of its first one."
            ) from None
        self._holds_lock = True

    def _end(self) -> None:
        self._working = None
        self._read_snapshot = None
        if self._holds_lock:
            self._holds_lock = False
            self._database.write_lock.release()


class InMemoryUnitOfWorkFactory:
    def __init__(self, database: InMemoryDatabase | None = None) -> None:
        self.database = database or InMemoryDatabase()

    def __call__(self, *, write: bool = True) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.database, write=write)
