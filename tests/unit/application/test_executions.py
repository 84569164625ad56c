"""Execute, stream and reap use cases on the in-memory adapters with a scripted provider."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from promptlab.adapters.catalog.loader import Catalog
from promptlab.adapters.memory.clock import ManualClock, SequentialIdGenerator
from promptlab.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from promptlab.adapters.ratelimit.memory import InMemoryRateLimiter
from promptlab.application.errors import IdempotencyMismatchError, RateLimitedError
from promptlab.application.executions.execute import ExecutePrompt
from promptlab.application.executions.policy import ExecutionPolicy
from promptlab.application.executions.reap import ReapInterruptedExecutions
from promptlab.application.executions.starting import ExecutePromptCommand
from promptlab.application.executions.stream import (
    ExecutionFinished,
    ExecutionStarted,
    ExecutionStream,
    OutputDelta,
    StreamPromptExecution,
)
from promptlab.application.pagination import PageRequest
from promptlab.application.ports.executions import ExecutionFilter
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
from promptlab.application.ports.rate_limit import RateLimit
from promptlab.domain.accounts import User
from promptlab.domain.catalog import ModelSpec, Prices, ProviderConfig, ProviderKind, Usage
from promptlab.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from promptlab.domain.executions import Execution, ExecutionStatus
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.organizations import Membership, Organization, OrganizationRole
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.projects import Collaborator, Project, ProjectRole
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession, SessionStatus

MODEL = "scripted-model"
PROVIDER = "scripted"
USAGE = Usage(input_tokens=1200, output_tokens=300, total_tokens=1500, cached_input_tokens=200)
POLICY = ExecutionPolicy(
    attempt_timeout=5.0,
    deadline=60.0,
    max_attempts=3,
    retry_after_cap=10.0,
    backoff_initial=0.5,
    backoff_max=4.0,
)


def retryable(code: str = ProviderErrorCode.SERVER_ERROR, **fields: Any) -> ProviderError:
    return ProviderError(code, f"scripted {code}", retryable=True, **fields)


def fatal(code: str = ProviderErrorCode.AUTHENTICATION_FAILED, status: int = 401) -> ProviderError:
    return ProviderError(code, f"scripted {code}", status=status)


def answer(text: str = "Hi Ada", usage: Usage | None = USAGE) -> ChatResponse:
    return ChatResponse(text=text, finish_reason="stop", usage=usage, request_id="req-1")


@attrs.define
class ScriptedProvider:
    """A ModelProvider whose calls follow a script: a response, an error, or a stream's events."""

    script: list[Any] = attrs.Factory(list)
    calls: list[tuple[ChatRequest, float]] = attrs.Factory(list)
    before_answer: Any = None

    async def complete(self, request: ChatRequest, *, timeout: float) -> ChatResponse:
        self.calls.append((request, timeout))
        step = self.script.pop(0)
        if self.before_answer is not None:
            await self.before_answer()
        if isinstance(step, BaseException):
            raise step
        return step

    async def stream(self, request: ChatRequest, *, timeout: float) -> AsyncIterator[StreamEvent]:
        self.calls.append((request, timeout))
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        for event in step:
            if isinstance(event, BaseException):
                raise event
            if event == "wait":
                await asyncio.Event().wait()
            yield event

    async def aclose(self) -> None:
        pass


@attrs.define
class ScriptedRegistry:
    provider: ScriptedProvider

    def get(self, provider: str) -> ScriptedProvider:
        return self.provider

    def status(self, provider: str) -> ProviderStatus:
        return ProviderStatus(configured=True)

    async def aclose(self) -> None:
        pass


@attrs.define
class World:
    """One project with an owner, a viewer and an outsider, a session and a prompt."""

    uow_factory: InMemoryUnitOfWorkFactory = attrs.Factory(InMemoryUnitOfWorkFactory)
    clock: ManualClock = attrs.Factory(ManualClock)
    ids: SequentialIdGenerator = attrs.Factory(SequentialIdGenerator)
    provider: ScriptedProvider = attrs.Factory(ScriptedProvider)
    sleeps: list[float] = attrs.Factory(list)
    catalog: Catalog = attrs.Factory(
        lambda: Catalog(
            providers={PROVIDER: ProviderConfig(name=PROVIDER, kind=ProviderKind.LOCAL)},
            models={
                MODEL: ModelSpec(
                    MODEL,
                    PROVIDER,
                    "upstream-name",
                    8000,
                    500,
                    Prices(Decimal("2.50"), Decimal(10), Decimal("0.25")),
                )
            },
        )
    )
    owner: User | None = None
    viewer: User | None = None
    outsider: User | None = None
    project: Project | None = None
    session: PromptSession | None = None
    prompt: Prompt | None = None

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    async def execute(
        self,
        command: ExecutePromptCommand,
        *,
        rate_limiter: InMemoryRateLimiter | None = None,
        rate_limit: RateLimit | None = None,
        policy: ExecutionPolicy = POLICY,
    ) -> Execution:
        """Run ExecutePrompt in its own unit of work, closed afterwards as a request's is."""
        async with self.uow_factory() as uow:
            use_case = ExecutePrompt(
                uow,
                catalog=self.catalog,
                providers=ScriptedRegistry(self.provider),
                clock=self.clock,
                ids=self.ids,
                policy=policy,
                rate_limiter=rate_limiter or InMemoryRateLimiter(),
                rate_limit=rate_limit,
                sleep=self.sleep,
            )
            return await use_case(command)

    async def stream(self, command: ExecutePromptCommand) -> ExecutionStream:
        async with self.uow_factory() as uow:
            use_case = StreamPromptExecution(
                uow,
                uow_factory=self.uow_factory,
                catalog=self.catalog,
                providers=ScriptedRegistry(self.provider),
                clock=self.clock,
                ids=self.ids,
                policy=POLICY,
                rate_limiter=InMemoryRateLimiter(),
                sleep=self.sleep,
            )
            return await use_case(command)

    def command(self, user: User | None = None, **fields: Any) -> ExecutePromptCommand:
        # The world's setup must have run first.
        assert self.project is not None
        assert self.session is not None
        assert self.prompt is not None
        assert self.owner is not None
        values: dict[str, Any] = {"model": MODEL, "variables": {"name": "Ada"}}
        values.update(fields)
        return ExecutePromptCommand(
            user=user or self.owner,
            project_id=self.project.id,
            session_id=self.session.id,
            prompt_id=self.prompt.id,
            **values,
        )

    async def stored(self, execution_id: uuid.UUID) -> Execution:
        assert self.prompt
        async with self.uow_factory() as uow:
            execution = await uow.executions.get(self.prompt.id, execution_id)
        assert execution is not None
        return execution

    async def count(self) -> int:
        assert self.prompt
        async with self.uow_factory() as uow:
            page = await uow.executions.list_for_prompt(
                self.prompt.id, ExecutionFilter(), PageRequest(limit=200)
            )
        return len(page.items)


async def make_world(
    *, archived: bool = False, session_status: SessionStatus = SessionStatus.ACTIVE
) -> World:
    world = World()
    now = world.clock.now()
    users = []
    for name in ("owner", "viewer", "outsider"):
        users.append(
            User(
                id=world.ids.new_id(),
                email=f"{name}@example.com",
                email_normalized=f"{name}@example.com",
                full_name=name.title(),
                password_hash="unused",
                is_active=True,
                created_at=now,
                updated_at=now,
            )
        )
    world.owner, world.viewer, world.outsider = users
    organization = Organization(
        id=world.ids.new_id(),
        name="Team",
        description="",
        is_personal=False,
        created_at=now,
        updated_at=now,
    )
    world.project = Project(
        id=world.ids.new_id(),
        organization_id=organization.id,
        name="Project",
        description="",
        is_archived=archived,
        archived_at=now if archived else None,
        created_by=world.owner.id,
        created_at=now,
        updated_at=now,
    )
    world.session = PromptSession(
        id=world.ids.new_id(),
        project_id=world.project.id,
        name="Experiment",
        description="",
        default_model=None,
        default_parameters=GenerationParameters(temperature=0.3, max_tokens=100),
        metadata={},
        status=session_status,
        created_by=world.owner.id,
        created_at=now,
        updated_at=now,
    )
    world.prompt = Prompt(
        id=world.ids.new_id(),
        project_id=world.project.id,
        session_id=world.session.id,
        name=None,
        messages=(Message(MessageRole.USER, "Greet {{name}}"),),
        variables=("name",),
        parent_id=None,
        created_by=world.owner.id,
        created_at=now,
    )
    async with world.uow_factory() as uow:
        for user in users:
            await uow.users.add(user)
        await uow.organizations.add(organization)
        await uow.organizations.add_membership(
            Membership(organization.id, world.owner.id, OrganizationRole.OWNER, now)
        )
        await uow.projects.add(world.project)
        await uow.projects.add_collaborator(
            Collaborator(world.project.id, world.viewer.id, ProjectRole.VIEWER, now)
        )
        await uow.sessions.add(world.session)
        await uow.prompts.add(world.prompt)
        await uow.commit()
    return world


# Plain execution


async def test_success_records_usage_and_cost() -> None:
    world = await make_world()
    world.provider.script = [answer()]

    execution = await world.execute(world.command())

    assert execution.status is ExecutionStatus.SUCCEEDED
    assert execution.output == "Hi Ada"
    assert execution.usage == USAGE
    # 1000 uncached input at 2.50, 200 cached at 0.25, 300 output at 10, per million.
    assert execution.cost == Decimal("0.00555")
    assert execution.attempts == 1
    assert execution.messages == (Message(MessageRole.USER, "Greet Ada"),)
    assert execution.parameters == GenerationParameters(temperature=0.3, max_tokens=100)
    assert execution.provider_request_id == "req-1"
    assert await world.stored(execution.id) == execution


async def test_request_parameters_override_session() -> None:
    world = await make_world()
    world.provider.script = [answer()]

    execution = await world.execute(
        world.command(parameters=GenerationParameters(max_tokens=20, seed=7))
    )

    request, _ = world.provider.calls[0]
    assert request.model == "upstream-name"
    assert request.parameters == GenerationParameters(temperature=0.3, max_tokens=20, seed=7)
    assert execution.parameters == request.parameters


async def test_unknown_usage_leaves_cost_unknown() -> None:
    world = await make_world()
    world.provider.script = [answer(usage=Usage(input_tokens=5))]

    execution = await world.execute(world.command())

    assert execution.status is ExecutionStatus.SUCCEEDED
    assert execution.cost is None


async def test_log_is_committed_before_provider_call() -> None:
    world = await make_world()
    seen: list[ExecutionStatus] = []

    async def check_stored() -> None:
        async with world.uow_factory(write=False) as uow:
            assert world.prompt
            page = await uow.executions.list_for_prompt(
                world.prompt.id, ExecutionFilter(), PageRequest()
            )
        seen.extend(execution.status for execution in page.items)

    world.provider.before_answer = check_stored
    world.provider.script = [answer()]

    await world.execute(world.command())

    assert seen == [ExecutionStatus.RUNNING]


# Retry policy


async def test_retryable_error_is_retried() -> None:
    world = await make_world()
    world.provider.script = [retryable(), retryable(ProviderErrorCode.TIMEOUT), answer()]

    execution = await world.execute(world.command())

    assert execution.status is ExecutionStatus.SUCCEEDED
    assert execution.attempts == 3
    assert len(world.provider.calls) == 3
    assert len(world.sleeps) == 2
    assert all(0 < wait <= POLICY.backoff_max + POLICY.backoff_initial for wait in world.sleeps)


async def test_retry_after_is_honoured() -> None:
    world = await make_world()
    world.provider.script = [
        retryable(ProviderErrorCode.RATE_LIMITED, status=429, retry_after=3.0),
        answer(),
    ]

    execution = await world.execute(world.command())

    assert execution.attempts == 2
    assert world.sleeps == [3.0]


async def test_retry_after_beyond_cap_stops() -> None:
    world = await make_world()
    world.provider.script = [
        retryable(ProviderErrorCode.RATE_LIMITED, status=429, retry_after=60.0),
        answer(),
    ]

    execution = await world.execute(world.command())

    assert execution.status is ExecutionStatus.FAILED
    assert execution.error is not None
    assert execution.error.code == ProviderErrorCode.RATE_LIMITED
    assert execution.error.provider_status == 429
    assert execution.attempts == 1
    assert world.sleeps == []


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (ProviderErrorCode.BAD_REQUEST, 400),
        (ProviderErrorCode.AUTHENTICATION_FAILED, 401),
        (ProviderErrorCode.PERMISSION_DENIED, 403),
        (ProviderErrorCode.NOT_FOUND, 404),
        (ProviderErrorCode.BAD_REQUEST, 422),
    ],
)
async def test_client_errors_are_not_retried(code: str, status: int) -> None:
    world = await make_world()
    world.provider.script = [fatal(code, status), answer()]

    execution = await world.execute(world.command())

    assert execution.status is ExecutionStatus.FAILED
    assert execution.error is not None
    assert execution.error.code == code
    assert execution.error.provider_status == status
    assert execution.attempts == 1
    assert len(world.provider.calls) == 1


async def test_attempts_stop_at_maximum() -> None:
    world = await make_world()
    world.provider.script = [retryable() for _ in range(5)]

    execution = await world.execute(world.command())

    assert execution.status is ExecutionStatus.FAILED
    assert execution.attempts == POLICY.max_attempts
    assert len(world.provider.calls) == POLICY.max_attempts


async def test_deadline_stops_retries() -> None:
    world = await make_world()
    # Each wait is 40 s, so the second would pass the 60 s deadline.
    world.provider.script = [
        retryable(ProviderErrorCode.RATE_LIMITED, retry_after=40.0) for _ in range(3)
    ]
    # The cap allows 40 s, so the deadline is what stops the retries.
    policy = attrs.evolve(POLICY, retry_after_cap=50.0)

    execution = await world.execute(world.command(), policy=policy)

    assert execution.status is ExecutionStatus.FAILED
    assert execution.attempts == 2
    assert world.sleeps == [40.0]


async def test_unexpected_error_is_recorded() -> None:
    world = await make_world()
    world.provider.script = [RuntimeError("adapter bug")]

    execution = await world.execute(world.command())

    assert execution.status is ExecutionStatus.FAILED
    assert execution.error is not None
    assert execution.error.code == "internal_error"
    assert "adapter bug" not in execution.error.message


# Exactly-once outcome


async def test_reaper_outcome_wins_over_late_worker() -> None:
    world = await make_world()
    reap = ReapInterruptedExecutions(world.uow_factory, clock=world.clock)

    async def reap_first() -> None:
        world.clock.advance(POLICY.deadline * 10)
        assert await reap() == 1

    world.provider.before_answer = reap_first
    world.provider.script = [answer()]

    execution = await world.execute(world.command())

    assert execution.status is ExecutionStatus.FAILED
    assert execution.error is not None
    assert execution.error.code == "interrupted"
    assert await world.stored(execution.id) == execution


async def test_reaper_skips_live_and_finished_logs() -> None:
    world = await make_world()
    world.provider.script = [answer()]
    finished = await world.execute(world.command())
    reap = ReapInterruptedExecutions(world.uow_factory, clock=world.clock)

    world.clock.advance(POLICY.deadline * 10)

    assert await reap() == 0
    assert (await world.stored(finished.id)).status is ExecutionStatus.SUCCEEDED


# Idempotency


async def test_same_key_replays_without_call() -> None:
    world = await make_world()
    world.provider.script = [answer()]

    first = await world.execute(world.command(idempotency_key="k-1"))
    again = await world.execute(world.command(idempotency_key="k-1"))

    assert again == first
    assert len(world.provider.calls) == 1
    assert await world.count() == 1


async def test_same_key_other_body_is_rejected() -> None:
    world = await make_world()
    world.provider.script = [answer()]
    await world.execute(world.command(idempotency_key="k-1"))

    with pytest.raises(IdempotencyMismatchError):
        await world.execute(world.command(idempotency_key="k-1", variables={"name": "Grace"}))
    assert len(world.provider.calls) == 1


async def test_concurrent_duplicates_call_once() -> None:
    world = await make_world()
    release = asyncio.Event()

    async def wait_for_release() -> None:
        await release.wait()

    world.provider.before_answer = wait_for_release
    world.provider.script = [answer()]

    first = asyncio.create_task(world.execute(world.command(idempotency_key="k-2")))
    while not world.provider.calls:
        await asyncio.sleep(0)
    during = await world.execute(world.command(idempotency_key="k-2"))
    release.set()
    finished = await first

    assert during.status is ExecutionStatus.RUNNING
    assert during.id == finished.id
    assert finished.status is ExecutionStatus.SUCCEEDED
    assert len(world.provider.calls) == 1
    assert await world.count() == 1


async def test_invalid_idempotency_key_is_rejected() -> None:
    world = await make_world()

    with pytest.raises(ValidationError) as raised:
        await world.execute(world.command(idempotency_key="x" * 256))

    assert raised.value.errors[0].field == "Idempotency-Key"


# Rules checked before the call


async def test_viewer_may_not_execute() -> None:
    world = await make_world()

    with pytest.raises(PermissionDeniedError):
        await world.execute(world.command(user=world.viewer))
    assert world.provider.calls == []


@pytest.mark.parametrize(
    "world_options", [{"archived": True}, {"session_status": SessionStatus.CLOSED}]
)
async def test_read_only_targets_conflict(world_options: dict[str, Any]) -> None:
    world = await make_world(**world_options)

    with pytest.raises(ConflictError):
        await world.execute(world.command())
    assert await world.count() == 0


async def test_variables_and_model_errors() -> None:
    world = await make_world()

    with pytest.raises(ValidationError) as missing:
        await world.execute(world.command(variables={"nmae": "Ada"}))
    with pytest.raises(ValidationError) as unknown_model:
        await world.execute(world.command(model="nope"))
    with pytest.raises(ValidationError) as no_model:
        await world.execute(world.command(model=None))
    with pytest.raises(ValidationError) as too_long:
        await world.execute(world.command(parameters=GenerationParameters(max_tokens=501)))

    assert [error.field for error in missing.value.errors] == ["variables", "variables"]
    assert "name" in missing.value.errors[0].message
    assert "nmae" in missing.value.errors[1].message
    assert MODEL in unknown_model.value.errors[0].message
    assert no_model.value.errors[0].field == "model"
    assert too_long.value.errors[0].field == "parameters.max_tokens"
    assert world.provider.calls == []


async def test_rate_limit_applies_per_user() -> None:
    world = await make_world()
    world.provider.script = [answer()]
    limiter = InMemoryRateLimiter()
    limit = RateLimit(requests=1, window_seconds=60)

    await world.execute(world.command(), rate_limiter=limiter, rate_limit=limit)
    with pytest.raises(RateLimitedError):
        await world.execute(world.command(), rate_limiter=limiter, rate_limit=limit)


# Streaming


async def collect(stream_updates: AsyncIterator[Any]) -> list[Any]:
    return [update async for update in stream_updates]


async def test_stream_success() -> None:
    world = await make_world()
    world.provider.script = [
        [TextDelta("Hi"), TextDelta(" Ada"), StreamEnd("stop", USAGE, "req-9")]
    ]

    stream = await world.stream(world.command())
    updates = await collect(stream.updates)

    assert isinstance(updates[0], ExecutionStarted)
    assert updates[0].execution.status is ExecutionStatus.RUNNING
    assert updates[1:3] == [OutputDelta("Hi"), OutputDelta(" Ada")]
    final = updates[3].execution
    assert final.status is ExecutionStatus.SUCCEEDED
    assert final.output == "Hi Ada"
    assert final.cost == Decimal("0.00555")
    assert final.time_to_first_token_ms is not None
    assert final.streamed is True
    assert await world.stored(final.id) == final


async def test_stream_retries_only_before_output() -> None:
    world = await make_world()
    world.provider.script = [
        retryable(),
        [TextDelta("Hi"), retryable(ProviderErrorCode.CONNECTION_FAILED)],
        [TextDelta("never sent")],
    ]

    stream = await world.stream(world.command())
    updates = await collect(stream.updates)

    final = updates[-1]
    assert isinstance(final, ExecutionFinished)
    assert final.execution.status is ExecutionStatus.FAILED
    assert final.execution.output == "Hi"
    assert final.execution.attempts == 2
    assert len(world.provider.calls) == 2


async def test_stream_closed_midway_is_cancelled() -> None:
    world = await make_world()
    world.provider.script = [[TextDelta("Hi"), "wait"]]

    stream = await world.stream(world.command())
    updates = stream.updates
    started = await anext(updates)
    delta = await anext(updates)
    await updates.aclose()  # type: ignore[attr-defined]

    assert isinstance(started, ExecutionStarted)
    assert delta == OutputDelta("Hi")
    stored = await world.stored(started.execution.id)
    assert stored.status is ExecutionStatus.CANCELLED
    assert stored.output == "Hi"
    assert stored.completed_at is not None


async def test_stream_task_cancelled_is_cancelled() -> None:
    world = await make_world()
    world.provider.script = [[TextDelta("Hi"), "wait"]]
    stream = await world.stream(world.command())
    received: list[Any] = []

    async def consume() -> None:
        async for update in stream.updates:
            received.append(update)

    task = asyncio.create_task(consume())
    while len(received) < 2:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(10):
        await asyncio.sleep(0)

    stored = await world.stored(stream.execution.id)
    assert stored.status is ExecutionStatus.CANCELLED
    assert stored.output == "Hi"


async def test_stream_replay_sends_stored_log() -> None:
    world = await make_world()
    world.provider.script = [[TextDelta("Hi"), StreamEnd("stop", None)]]
    first = await collect((await world.stream(world.command(idempotency_key="s"))).updates)

    replay = await collect((await world.stream(world.command(idempotency_key="s"))).updates)

    assert [type(update) for update in replay] == [ExecutionStarted, ExecutionFinished]
    assert replay[-1].execution == first[-1].execution
    assert len(world.provider.calls) == 1
