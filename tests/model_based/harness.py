"""The real use cases over the SQLAlchemy unit of work, a scripted model provider, and row reads.

The state machine runs in a worker thread, because hypothesis drives it
synchronously, while the engine belongs to the test session's event loop.
`Harness.run` hands each coroutine to that loop and waits for its result.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import aclosing
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import attrs
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.catalog.loader import Catalog
from promptlab.adapters.ratelimit.memory import InMemoryRateLimiter
from promptlab.adapters.security.argon2_hasher import Argon2PasswordHasher
from promptlab.adapters.security.jwt_tokens import JwtTokenService
from promptlab.adapters.sqlalchemy.tables import (
    collaborators,
    executions,
    projects,
    prompt_sessions,
    prompts,
)
from promptlab.adapters.sqlalchemy.unit_of_work import (
    SqlAlchemyUnitOfWork,
    SqlAlchemyUnitOfWorkFactory,
)
from promptlab.adapters.system import SystemClock, UuidV7Generator
from promptlab.application.auth.authenticate import AuthenticateRequest
from promptlab.application.auth.login import LoginUser
from promptlab.application.auth.refresh import RefreshTokens
from promptlab.application.auth.register import RegisterUser
from promptlab.application.executions.execute import ExecutePrompt
from promptlab.application.executions.get_execution import GetExecution
from promptlab.application.executions.list_executions import ListExecutions
from promptlab.application.executions.policy import ExecutionPolicy
from promptlab.application.executions.stream import (
    ExecutionFinished,
    ExecutionStream,
    OutputDelta,
    StreamPromptExecution,
)
from promptlab.application.organizations.add_member import AddMember
from promptlab.application.organizations.change_member_role import ChangeMemberRole
from promptlab.application.organizations.create_organization import CreateOrganization
from promptlab.application.organizations.list_organizations import ListOrganizations
from promptlab.application.organizations.remove_member import RemoveMember
from promptlab.application.ports.model_provider import (
    ChatRequest,
    ChatResponse,
    ProviderError,
    ProviderErrorCode,
    ProviderStatus,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from promptlab.application.projects.add_collaborator import AddCollaborator
from promptlab.application.projects.archive_project import ArchiveProject
from promptlab.application.projects.create_project import CreateProject
from promptlab.application.projects.get_project import GetProject
from promptlab.application.projects.list_projects import ListProjects
from promptlab.application.projects.remove_collaborator import RemoveCollaborator
from promptlab.application.projects.update_collaborator import UpdateCollaborator
from promptlab.application.projects.update_project import UpdateProject
from promptlab.application.prompts.create_prompt import CreatePrompt
from promptlab.application.prompts.get_prompt import GetPrompt
from promptlab.application.prompts.list_prompts import ListPrompts
from promptlab.application.sessions.create_session import CreateSession
from promptlab.application.sessions.get_session import GetSession
from promptlab.application.sessions.list_sessions import ListSessions
from promptlab.application.sessions.update_session import UpdateSession
from promptlab.domain.catalog import ModelSpec, Prices, ProviderConfig, ProviderKind, Usage

T = TypeVar("T")
UseCaseCall = Callable[[Any], Coroutine[Any, Any, Any]]

MODEL = "scripted-model"
PROVIDER = "scripted"
SECRET_KEY = b"model-based-test-secret-key-long-enough"
CALL_TIMEOUT_SECONDS = 60.0

# Retries wait nothing (see `no_sleep`), so a retried call costs no wall time.
POLICY = ExecutionPolicy(attempt_timeout=5.0, deadline=60.0, max_attempts=3)


async def no_sleep(seconds: float) -> None:
    """Stand in for asyncio.sleep between provider retries."""


def scripted_catalog() -> Catalog:
    return Catalog(
        providers={PROVIDER: ProviderConfig(name=PROVIDER, kind=ProviderKind.LOCAL)},
        models={
            MODEL: ModelSpec(
                MODEL, PROVIDER, "upstream-model", 8000, 500, Prices(Decimal(1), Decimal(2))
            )
        },
    )


class ProviderScript:
    """Names of scripted provider behaviours and the attempts and status each one ends with."""

    SUCCEED = "succeed"
    FAIL = "fail"
    RETRY_THEN_SUCCEED = "retry_then_succeed"
    RETRIES_EXHAUSTED = "retries_exhausted"

    ALL = (SUCCEED, FAIL, RETRY_THEN_SUCCEED, RETRIES_EXHAUSTED)
    ATTEMPTS: ClassVar[dict[str, int]] = {
        SUCCEED: 1,
        FAIL: 1,
        RETRY_THEN_SUCCEED: 2,
        RETRIES_EXHAUSTED: 3,
    }
    SUCCEEDS: ClassVar[dict[str, bool]] = {
        SUCCEED: True,
        FAIL: False,
        RETRY_THEN_SUCCEED: True,
        RETRIES_EXHAUSTED: False,
    }


def _steps_for(script: str) -> list[ChatResponse | ProviderError]:
    answer = ChatResponse(
        text="scripted answer",
        finish_reason="stop",
        usage=Usage(input_tokens=5, output_tokens=2, total_tokens=7),
    )
    retryable = ProviderError(
        ProviderErrorCode.SERVER_ERROR, "scripted server error", status=500, retryable=True
    )
    fatal = ProviderError(
        ProviderErrorCode.AUTHENTICATION_FAILED, "scripted bad key", status=401, retryable=False
    )
    return {
        ProviderScript.SUCCEED: [answer],
        ProviderScript.FAIL: [fatal],
        ProviderScript.RETRY_THEN_SUCCEED: [retryable, answer],
        ProviderScript.RETRIES_EXHAUSTED: [retryable, retryable, retryable],
    }[script]


@attrs.define
class ScriptedProvider:
    """A ModelProvider that responds to each call with the next step of its script."""

    steps: list[ChatResponse | ProviderError] = attrs.Factory(list)
    calls: int = 0

    def load(self, script: str) -> None:
        self.steps = _steps_for(script)
        self.calls = 0

    async def complete(self, request: ChatRequest, *, timeout: float) -> ChatResponse:
        self.calls += 1
        step = self.steps.pop(0)
        if isinstance(step, ProviderError):
            raise step
        return step

    async def stream(self, request: ChatRequest, *, timeout: float) -> AsyncIterator[StreamEvent]:
        """Stream the next step: its text word by word, then its end, or raise its error."""
        self.calls += 1
        step = self.steps.pop(0)
        if isinstance(step, ProviderError):
            raise step
        for index, word in enumerate(step.text.split()):
            yield TextDelta(word if index == 0 else f" {word}")
        yield StreamEnd(finish_reason=step.finish_reason, usage=step.usage)

    async def aclose(self) -> None:
        pass


@attrs.define
class ScriptedRegistry:
    """A ModelProviderRegistry whose one provider is scripted per call."""

    provider: ScriptedProvider = attrs.Factory(ScriptedProvider)

    def get(self, provider: str) -> ScriptedProvider:
        return self.provider

    def status(self, provider: str) -> ProviderStatus:
        return ProviderStatus(configured=True)

    async def aclose(self) -> None:
        pass


class Harness:
    """Builds each use case around a fresh unit of work and runs coroutines on the engine's loop."""

    def __init__(
        self,
        engine: AsyncEngine,
        uow_factory: SqlAlchemyUnitOfWorkFactory,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.engine = engine
        self.uow_factory = uow_factory
        self.loop = loop
        self.clock = SystemClock()
        self.ids = UuidV7Generator()
        self.hasher = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        self.tokens = JwtTokenService(
            secret_key=SECRET_KEY,
            issuer="promptlab",
            audience="promptlab-api",
            access_token_lifetime=timedelta(minutes=15),
            refresh_token_lifetime=timedelta(days=1),
            clock=self.clock,
            ids=self.ids,
        )
        self.catalog = scripted_catalog()
        self.registry = ScriptedRegistry()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the engine's loop from the state machine's thread."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=CALL_TIMEOUT_SECONDS)

    def _in_unit_of_work(
        self, build: Callable[[SqlAlchemyUnitOfWork], Any], *, write: bool = True
    ) -> UseCaseCall:
        """Return the use case `build` makes, called inside its own unit of work.

        Some use cases leave closing the unit of work to their caller, as the
        HTTP edge does for each request, so the call opens and closes it here.
        """
        uow = self.uow_factory(write=write)
        use_case = build(uow)

        async def call(command: Any) -> Any:
            async with uow:
                return await use_case(command)

        return call

    # Accounts and organizations

    def register(self) -> UseCaseCall:
        return self._in_unit_of_work(
            lambda uow: RegisterUser(uow, self.hasher, self.tokens, self.clock, self.ids)
        )

    def login(self) -> UseCaseCall:
        return self._in_unit_of_work(
            lambda uow: LoginUser(uow, self.hasher, self.tokens, self.clock, self.ids)
        )

    def refresh(self) -> UseCaseCall:
        return self._in_unit_of_work(
            lambda uow: RefreshTokens(uow, self.uow_factory, self.tokens, self.clock)
        )

    def authenticate(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: AuthenticateRequest(uow, self.tokens), write=False)

    def create_organization(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: CreateOrganization(uow, self.clock, self.ids))

    def list_organizations(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: ListOrganizations(uow), write=False)

    def add_member(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: AddMember(uow, self.clock))

    def change_member_role(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: ChangeMemberRole(uow))

    def remove_member(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: RemoveMember(uow))

    # Projects and collaborators

    def create_project(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: CreateProject(uow, self.clock, self.ids))

    def get_project(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: GetProject(uow), write=False)

    def list_projects(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: ListProjects(uow), write=False)

    def update_project(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: UpdateProject(uow, self.clock))

    def archive_project(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: ArchiveProject(uow, self.clock))

    def add_collaborator(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: AddCollaborator(uow, self.clock))

    def update_collaborator(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: UpdateCollaborator(uow))

    def remove_collaborator(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: RemoveCollaborator(uow))

    # Sessions, prompts and executions

    def create_session(self) -> UseCaseCall:
        return self._in_unit_of_work(
            lambda uow: CreateSession(uow, self.catalog, self.clock, self.ids)
        )

    def update_session(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: UpdateSession(uow, self.catalog, self.clock))

    def get_session(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: GetSession(uow), write=False)

    def list_sessions(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: ListSessions(uow), write=False)

    def create_prompt(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: CreatePrompt(uow, self.clock, self.ids))

    def get_prompt(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: GetPrompt(uow), write=False)

    def list_prompts(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: ListPrompts(uow), write=False)

    def execute_prompt(self) -> UseCaseCall:
        return self._in_unit_of_work(
            lambda uow: ExecutePrompt(
                uow,
                catalog=self.catalog,
                providers=self.registry,
                clock=self.clock,
                ids=self.ids,
                policy=POLICY,
                rate_limiter=InMemoryRateLimiter(),
                rate_limit=None,
                sleep=no_sleep,
            )
        )

    def stream_prompt_execution(self, *, abandon: bool) -> UseCaseCall:
        """Start a streamed execution and read its updates, as the HTTP edge does.

        With `abandon`, the reader goes away after the first piece of output,
        like a client that disconnects. Returns the log of the last update
        read, and the output received.
        """
        start = self._in_unit_of_work(
            lambda uow: StreamPromptExecution(
                uow,
                uow_factory=self.uow_factory,
                catalog=self.catalog,
                providers=self.registry,
                clock=self.clock,
                ids=self.ids,
                policy=POLICY,
                rate_limiter=InMemoryRateLimiter(),
                rate_limit=None,
                sleep=no_sleep,
            )
        )

        async def call(command: Any) -> tuple[Any, str]:
            stream: ExecutionStream = await start(command)
            execution = stream.execution
            output = ""
            async with aclosing(stream.updates):  # type: ignore[type-var]
                async for update in stream.updates:
                    if isinstance(update, ExecutionFinished):
                        execution = update.execution
                    if isinstance(update, OutputDelta):
                        output += update.text
                        if abandon:
                            break
            return execution, output

        return call

    def get_execution(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: GetExecution(uow), write=False)

    def list_executions(self) -> UseCaseCall:
        return self._in_unit_of_work(lambda uow: ListExecutions(uow), write=False)

    # Rows, read with SQLAlchemy Core beside the repositories

    async def project_rows(self, project_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
        """Every row of a project and of everything in it, in a stable order."""
        async with self.engine.connect() as connection:
            result: dict[str, list[dict[str, Any]]] = {}
            for name, table, key in (
                ("project", projects, projects.c.id),
                ("collaborators", collaborators, collaborators.c.user_id),
                ("sessions", prompt_sessions, prompt_sessions.c.id),
                ("prompts", prompts, prompts.c.id),
                ("executions", executions, executions.c.id),
            ):
                column = table.c.id if name == "project" else table.c.project_id
                rows = await connection.execute(
                    select(table).where(column == project_id).order_by(key)
                )
                result[name] = [dict(row._mapping) for row in rows]
            return result

    async def child_counts(
        self, project_ids: Sequence[uuid.UUID]
    ) -> dict[str, dict[uuid.UUID, int]]:
        """Sessions per project, prompts per session and executions per prompt, in the database."""
        counts: dict[str, dict[uuid.UUID, int]] = {}
        async with self.engine.connect() as connection:
            for name, table, parent in (
                ("sessions", prompt_sessions, prompt_sessions.c.project_id),
                ("prompts", prompts, prompts.c.session_id),
                ("executions", executions, executions.c.prompt_id),
            ):
                rows = await connection.execute(
                    select(parent, func.count())
                    .where(table.c.project_id.in_(list(project_ids)))
                    .group_by(parent)
                )
                counts[name] = {row[0]: row[1] for row in rows}
        return counts

    async def unfinished_executions(self, project_ids: Sequence[uuid.UUID]) -> int:
        """Executions of these projects still pending or running."""
        async with self.engine.connect() as connection:
            return int(
                await connection.scalar(
                    select(func.count())
                    .select_from(executions)
                    .where(executions.c.project_id.in_(list(project_ids)))
                    .where(executions.c.status.in_(("pending", "running")))
                )
                or 0
            )
