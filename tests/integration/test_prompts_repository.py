"""The SQL session and prompt repositories on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.application.pagination import PageRequest
from promptlab.domain.executions import Execution, ExecutionStatus
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.organizations import Organization
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.projects import Project
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession, SessionStatus

BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)

PASTED = (
    "👩🏽‍💻 writes, 👨‍👩‍👧‍👦 reads; e\u0301 and \u00e9; مرحبا بالعالم; שלום \u200f; "
    "\u202eoverride\u202c; \ufeff; 𝔘𝔫𝔦; tabs\tand\r\nCRLF\n"
)


async def add_project(uow_factory: SqlAlchemyUnitOfWorkFactory) -> Project:
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
    async with uow_factory() as uow:
        await uow.organizations.add(organization)
        await uow.projects.add(project)
        await uow.commit()
    return project


def make_session(project: Project, minutes: int = 0, **fields: object) -> PromptSession:
    created_at = BASE_TIME + timedelta(minutes=minutes)
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "project_id": project.id,
        "name": "Experiment",
        "description": "",
        "default_model": None,
        "default_parameters": GenerationParameters(),
        "metadata": {},
        "status": SessionStatus.ACTIVE,
        "created_by": None,
        "created_at": created_at,
        "updated_at": created_at,
    }
    values.update(fields)
    return PromptSession(**values)  # type: ignore[arg-type]


def make_prompt(session: PromptSession, minutes: int = 0, **fields: object) -> Prompt:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "project_id": session.project_id,
        "session_id": session.id,
        "name": None,
        "messages": (Message(MessageRole.USER, "Hello {{ name }}"),),
        "variables": ("name",),
        "parent_id": None,
        "created_by": None,
        "created_at": BASE_TIME + timedelta(minutes=minutes),
    }
    values.update(fields)
    return Prompt(**values)  # type: ignore[arg-type]


def make_execution(prompt: Prompt) -> Execution:
    return Execution(
        id=uuid.uuid4(),
        project_id=prompt.project_id,
        session_id=prompt.session_id,
        prompt_id=prompt.id,
        model="small-model",
        provider="local",
        messages=prompt.messages,
        variables={"name": "Ada"},
        parameters=GenerationParameters(),
        status=ExecutionStatus.SUCCEEDED,
        created_by=None,
        created_at=BASE_TIME,
        deadline_at=BASE_TIME + timedelta(minutes=5),
    )


async def test_session_round_trip(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    project = await add_project(uow_factory)
    session = make_session(
        project,
        name=PASTED[:200],
        description=PASTED,
        default_model="small-model",
        default_parameters=GenerationParameters(
            temperature=0.5, top_p=1.0, max_tokens=256, stop=("\n\n", "END"), seed=-(2**63)
        ),
        metadata={"owner": "🧪 lab", "e\u0301": "decomposed key"},
    )
    async with uow_factory() as uow:
        await uow.sessions.add(session)
        await uow.commit()

    async with uow_factory(write=False) as uow:
        stored = await uow.sessions.get(project.id, session.id)
        in_other_project = await uow.sessions.get(uuid.uuid4(), session.id)

    assert stored == session
    assert in_other_project is None


async def test_session_update_and_locks(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    project = await add_project(uow_factory)
    session = make_session(project)
    async with uow_factory() as uow:
        await uow.sessions.add(session)
        await uow.commit()

    async with uow_factory() as uow:
        locked = await uow.sessions.get(project.id, session.id, lock="update")
        assert locked is not None
        locked.status = SessionStatus.CLOSED
        locked.metadata = {"reason": "done"}
        locked.updated_at = BASE_TIME + timedelta(hours=1)
        await uow.sessions.update(locked)
        await uow.commit()

    async with uow_factory() as uow:
        shared = await uow.sessions.get(project.id, session.id, lock="share")

    assert shared == locked


async def test_session_list_pages_and_filters(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    project = await add_project(uow_factory)
    sessions = [
        make_session(
            project,
            minutes=index,
            status=SessionStatus.CLOSED if index % 2 else SessionStatus.ACTIVE,
        )
        for index in range(5)
    ]
    async with uow_factory() as uow:
        for session in sessions:
            await uow.sessions.add(session)
        await uow.commit()

    async with uow_factory(write=False) as uow:
        first = await uow.sessions.list_for_project(project.id, PageRequest(limit=3))
        assert first.next is not None
        second = await uow.sessions.list_for_project(
            project.id, PageRequest(limit=3, after=first.next)
        )
        closed = await uow.sessions.list_for_project(
            project.id, PageRequest(), status=SessionStatus.CLOSED
        )

    newest_first = [session.id for session in reversed(sessions)]
    assert [session.id for session in first.items] == newest_first[:3]
    assert [session.id for session in second.items] == newest_first[3:]
    assert second.next is None
    assert [session.id for session in closed.items] == [sessions[3].id, sessions[1].id]


async def test_counts_prompts_and_their_executions(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    project = await add_project(uow_factory)
    session = make_session(project)
    other_session = make_session(project)
    prompts = [make_prompt(session, minutes=index) for index in range(2)]
    other_prompt = make_prompt(other_session)
    async with uow_factory() as uow:
        await uow.sessions.add(session)
        await uow.sessions.add(other_session)
        for prompt in (*prompts, other_prompt):
            await uow.prompts.add(prompt)
        for prompt in (prompts[0], prompts[0], prompts[1], other_prompt):
            await uow.executions.add(make_execution(prompt))
        await uow.commit()

    async with uow_factory(write=False) as uow:
        counts = await uow.sessions.count_contents(session.id)
        empty = await uow.sessions.count_contents(uuid.uuid4())

    assert (counts.prompts, counts.executions) == (2, 3)
    assert (empty.prompts, empty.executions) == (0, 0)


async def test_prompt_round_trip_exact(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    project = await add_project(uow_factory)
    session = make_session(project)
    long_document = ("Lorem ipsum 🙂 dolor sit amet. " * 4000)[:100_000]
    parent = make_prompt(session)
    prompt = make_prompt(
        session,
        minutes=1,
        name=PASTED[:200],
        messages=(
            Message(MessageRole.SYSTEM, PASTED),
            Message(MessageRole.USER, long_document),
            Message(MessageRole.ASSISTANT, ""),
        ),
        variables=(),
        parent_id=parent.id,
    )
    async with uow_factory() as uow:
        await uow.sessions.add(session)
        await uow.prompts.add(parent)
        await uow.prompts.add(prompt)
        await uow.commit()

    async with uow_factory(write=False) as uow:
        stored = await uow.prompts.get(session.id, prompt.id)
        in_project = await uow.prompts.get_in_project(project.id, prompt.id)
        other_session = await uow.prompts.get(uuid.uuid4(), prompt.id)
        other_project = await uow.prompts.get_in_project(uuid.uuid4(), prompt.id)

    assert stored == prompt
    assert stored is not None
    assert [m.content.encode("utf-8") for m in stored.messages] == [
        m.content.encode("utf-8") for m in prompt.messages
    ]
    assert in_project == prompt
    assert other_session is None
    assert other_project is None


async def test_prompt_list_pages(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    project = await add_project(uow_factory)
    session = make_session(project)
    prompts = [make_prompt(session, minutes=index) for index in range(3)]
    async with uow_factory() as uow:
        await uow.sessions.add(session)
        for prompt in prompts:
            await uow.prompts.add(prompt)
        await uow.commit()

    async with uow_factory(write=False) as uow:
        first = await uow.prompts.list_for_session(project.id, session.id, PageRequest(limit=2))
        assert first.next is not None
        second = await uow.prompts.list_for_session(
            project.id, session.id, PageRequest(limit=2, after=first.next)
        )

    assert [p.id for p in first.items] == [str(prompts[2].id), str(prompts[1].id)]
    assert [p.id for p in second.items] == [str(prompts[0].id)]
    assert second.next is None
