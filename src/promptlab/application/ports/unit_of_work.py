"""Unit of work: one transaction boundary over every repository."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from promptlab.application.ports.accounts import RefreshTokenRepository, UserRepository
from promptlab.application.ports.executions import ExecutionRepository
from promptlab.application.ports.organizations import OrganizationRepository
from promptlab.application.ports.projects import ProjectRepository
from promptlab.application.ports.prompts import PromptRepository, SessionRepository


class UnitOfWork(Protocol):
    """Repositories share one transaction; nothing is saved until `commit`.

    A unit of work may commit more than once: after `commit` the next
    repository call starts a new transaction. Leaving the context without
    committing rolls back. Repositories never commit on their own.
    """

    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    organizations: OrganizationRepository
    projects: ProjectRepository
    sessions: SessionRepository
    prompts: PromptRepository
    executions: ExecutionRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = True) -> UnitOfWork:
        """Return a new unit of work. `write=False` promises no writes, so the
        adapter may take lighter locks."""
        ...
