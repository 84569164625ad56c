"""The SQL execution-log repository on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.application.pagination import PageRequest
from promptlab.application.ports.executions import DuplicateIdempotencyKeyError, ExecutionFilter
from promptlab.domain.accounts import User
from promptlab.domain.catalog import Usage
from promptlab.domain.executions import (
    Execution,
    ExecutionError,
    ExecutionOutcome,
    ExecutionStatus,
    interrupted_error,
)
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.organizations import Organization
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.projects import Project
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession, SessionStatus

BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
# Live test servers on the same database run the reaper, so logs made here
# keep their deadlines far in the future unless a test wants them overdue.
FAR_FUTURE = datetime(2999, 1, 1, tzinfo=UTC)


@attrs.frozen
class Parents:
    user: User
    prompt: Prompt


async def add_parents(uow_factory: SqlAlchemyUnitOfWorkFactory) -> Parents:
    """Insert the user, organization, project, session and prompt a log refers to."""
    user = User(
        id=uuid.uuid4(),
        email=f"{uuid.uuid4().hex[:8]}@example.com",
        email_normalized=f"{uuid.uuid4().hex[:8]}@example.com",
        full_name="Runner",
        password_hash="unused",
        is_active=True,
        created_at=BASE_TIME,
        updated_at=BASE_TIME,
    )
    organization = Organization(
        id=uuid.uuid4(),
        name="Team",
        description="",
        is_personal=False,
        created_at=BASE_TIME,
        updated_at=BASE_TIME,
    )
    project = Project(
        id=uuid.uuid4(),
        organization_id=organization.id,
        name=f"Project {uuid.uuid4().hex[:8]}",
        description="",
        is_archived=False,
        archived_at=None,
        created_by=None,
        created_at=BASE_TIME,
        updated_at=BASE_TIME,
    )
    session = PromptSession(
        id=uuid.uuid4(),
        project_id=project.id,
        name="Experiment",
        description="",
        default_model=None,
        default_parameters=GenerationParameters(),
        metadata={},
        status=SessionStatus.ACTIVE,
        created_by=None,
        created_at=BASE_TIME,
        updated_at=BASE_TIME,
    )
    prompt = Prompt(
        id=uuid.uuid4(),
        project_id=project.id,
        session_id=session.id,
        name=None,
        messages=(Message(MessageRole.USER, "Hello {{ name }}"),),
        variables=("name",),
        parent_id=None,
        created_by=None,
        created_at=BASE_TIME,
    )
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.organizations.add(organization)
        await uow.projects.add(project)
        await uow.sessions.add(session)
        await uow.prompts.add(prompt)
        await uow.commit()
    return Parents(user=user, prompt=prompt)


def make_execution(parents: Parents, minutes: int = 0, **fields: object) -> Execution:
    created_at = BASE_TIME + timedelta(minutes=minutes)
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "project_id": parents.prompt.project_id,
        "session_id": parents.prompt.session_id,
        "prompt_id": parents.prompt.id,
        "model": "gpt-test",
        "provider": "openai",
        "messages": (Message(MessageRole.USER, "Hello Ada"),),
        "variables": {"name": "Ada"},
        "parameters": GenerationParameters(temperature=0.5, stop=("END",)),
        "status": ExecutionStatus.RUNNING,
        "created_by": parents.user.id,
        "created_at": created_at,
        "deadline_at": FAR_FUTURE,
    }
    values.update(fields)
    return Execution(**values)  # type: ignore[arg-type]


async def add(uow_factory: SqlAlchemyUnitOfWorkFactory, execution: Execution) -> None:
    async with uow_factory() as uow:
        await uow.executions.add(execution)
        await uow.commit()


async def get(uow_factory: SqlAlchemyUnitOfWorkFactory, execution: Execution) -> Execution | None:
    async with uow_factory(write=False) as uow:
        return await uow.executions.get(execution.prompt_id, execution.id)


async def test_finished_log_round_trips(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    parents = await add_parents(uow_factory)
    running = make_execution(parents, idempotency_key="key-1", request_fingerprint="f" * 64)
    await add(uow_factory, running)
    outcome = ExecutionOutcome(
        status=ExecutionStatus.SUCCEEDED,
        attempts=2,
        output="Hi Ada 👋",
        finish_reason="stop",
        usage=Usage(input_tokens=10, output_tokens=3, total_tokens=13, cached_input_tokens=0),
        cost=Decimal("0.000055000000"),
        latency_ms=120,
        time_to_first_token_ms=40,
        provider_request_id="req-1",
    )
    finished = running.finished(outcome, BASE_TIME + timedelta(seconds=2))

    async with uow_factory() as uow:
        changed = await uow.executions.finish(finished)
        await uow.commit()

    stored = await get(uow_factory, running)
    assert changed is True
    assert stored == finished
    assert stored is not None and stored.cost == Decimal("0.000055")


async def test_finish_requires_running(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    parents = await add_parents(uow_factory)
    running = make_execution(parents)
    await add(uow_factory, running)
    failed = running.finished(
        ExecutionOutcome(
            status=ExecutionStatus.FAILED, attempts=1, error=ExecutionError("timeout", "slow")
        ),
        BASE_TIME,
    )
    succeeded = running.finished(
        ExecutionOutcome(status=ExecutionStatus.SUCCEEDED, attempts=1, output="late"),
        BASE_TIME,
    )

    async with uow_factory() as uow:
        first = await uow.executions.finish(failed)
        second = await uow.executions.finish(succeeded)
        await uow.commit()

    assert first is True
    assert second is False
    assert await get(uow_factory, running) == failed


async def test_duplicate_idempotency_key_is_rejected(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    parents = await add_parents(uow_factory)
    first = make_execution(parents, idempotency_key="same", request_fingerprint="a" * 64)
    await add(uow_factory, first)

    async with uow_factory() as uow:
        with pytest.raises(DuplicateIdempotencyKeyError):
            await uow.executions.add(
                make_execution(parents, idempotency_key="same", request_fingerprint="b" * 64)
            )
        await uow.rollback()
        found = await uow.executions.get_by_idempotency_key(parents.user.id, "same")

    assert found == first


async def test_logs_without_key_never_clash(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    parents = await add_parents(uow_factory)

    await add(uow_factory, make_execution(parents))
    await add(uow_factory, make_execution(parents))

    async with uow_factory(write=False) as uow:
        page = await uow.executions.list_for_prompt(
            parents.prompt.id, ExecutionFilter(), PageRequest()
        )
    assert len(page.items) == 2


async def test_list_filters_and_pages(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    parents = await add_parents(uow_factory)
    logs = [
        make_execution(parents, minutes=0, model="a"),
        make_execution(parents, minutes=1, model="b", status=ExecutionStatus.FAILED),
        make_execution(parents, minutes=2, model="a", status=ExecutionStatus.FAILED),
    ]
    for log in logs:
        await add(uow_factory, log)

    async with uow_factory(write=False) as uow:
        first = await uow.executions.list_for_prompt(
            parents.prompt.id, ExecutionFilter(), PageRequest(limit=2)
        )
        second = await uow.executions.list_for_prompt(
            parents.prompt.id, ExecutionFilter(), PageRequest(limit=2, after=first.next)
        )
        failed_a = await uow.executions.list_for_prompt(
            parents.prompt.id,
            ExecutionFilter(status=ExecutionStatus.FAILED, model="a"),
            PageRequest(),
        )

    assert [log.id for log in first.items] == [logs[2].id, logs[1].id]
    assert [log.id for log in second.items] == [logs[0].id]
    assert second.next is None
    assert [log.id for log in failed_a.items] == [logs[2].id]


async def test_fail_overdue_only_touches_overdue_running(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    parents = await add_parents(uow_factory)
    # Overdue only for a clock set past the year 2998, which no live reaper uses.
    overdue = make_execution(parents, deadline_at=FAR_FUTURE - timedelta(days=1))
    live = make_execution(parents, deadline_at=FAR_FUTURE + timedelta(days=1))
    done = make_execution(
        parents, deadline_at=FAR_FUTURE - timedelta(days=1), status=ExecutionStatus.SUCCEEDED
    )
    for log in (overdue, live, done):
        await add(uow_factory, log)
    now = FAR_FUTURE

    async with uow_factory() as uow:
        count = await uow.executions.fail_overdue(now, interrupted_error())
        await uow.commit()

    reaped = await get(uow_factory, overdue)
    # Other tests may leave running logs behind, and this clock finds them overdue too.
    assert count >= 1
    assert reaped is not None
    assert reaped.status is ExecutionStatus.FAILED
    assert reaped.error == interrupted_error()
    assert reaped.completed_at == now
    assert (await get(uow_factory, live)) == live
    assert (await get(uow_factory, done)) == done
