"""Prepared queries read back what was written, in read-only and write units of work.

Read-only units of work run prepared queries on the driver's connection (on
SQLite, the shared inline reader). Write transactions run them on the inline
writer's connection on SQLite and through SQLAlchemy on PostgreSQL. Every
repository read that uses one is checked both ways on both databases.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, select

from promptlab.adapters.sqlalchemy.prepared import PreparedQuery
from promptlab.adapters.sqlalchemy.tables import users
from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.application.pagination import Cursor, PageRequest
from promptlab.domain.accounts import User
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.organizations import Membership, OrganizationRole
from promptlab.domain.projects import Collaborator, ProjectRole
from promptlab.domain.prompts import Prompt
from tests.integration.test_prompts_repository import (
    BASE_TIME,
    PASTED,
    add_project,
    make_session,
)

MODES = pytest.mark.parametrize("write", [False, True], ids=["read", "write"])


def make_user(**fields: object) -> User:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "email": f"{uuid.uuid4().hex[:10]}@example.com",
        "full_name": PASTED,
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "is_active": True,
        "created_at": BASE_TIME + timedelta(microseconds=123_456),
        "updated_at": BASE_TIME + timedelta(days=1, microseconds=1),
    }
    values.update(fields)
    values["email_normalized"] = str(values["email"]).lower()
    return User(**values)  # type: ignore[arg-type]


@MODES
@pytest.mark.parametrize("is_active", [True, False])
async def test_user_by_id_round_trip(
    uow_factory: SqlAlchemyUnitOfWorkFactory, write: bool, is_active: bool
) -> None:
    user = make_user(is_active=is_active)
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()

    async with uow_factory(write=write) as uow:
        stored = await uow.users.get(user.id)
        missing = await uow.users.get(uuid.uuid4())

    assert stored == user
    assert stored is not None and stored.created_at.tzinfo is not None
    assert missing is None


@MODES
async def test_grant_roles_round_trip(
    uow_factory: SqlAlchemyUnitOfWorkFactory, write: bool
) -> None:
    project = await add_project(uow_factory)
    member = make_user()
    collaborator = make_user()
    both = make_user()
    stranger = make_user()
    async with uow_factory() as uow:
        for user in (member, collaborator, both, stranger):
            await uow.users.add(user)
        for user, role in ((member, OrganizationRole.MEMBER), (both, OrganizationRole.ADMIN)):
            await uow.organizations.add_membership(
                Membership(
                    organization_id=project.organization_id,
                    user_id=user.id,
                    role=role,
                    created_at=BASE_TIME,
                )
            )
        for user, project_role in (
            (collaborator, ProjectRole.VIEWER),
            (both, ProjectRole.EDITOR),
        ):
            await uow.projects.add_collaborator(
                Collaborator(
                    project_id=project.id,
                    user_id=user.id,
                    role=project_role,
                    created_at=BASE_TIME,
                )
            )
        await uow.commit()

    async with uow_factory(write=write) as uow:
        member_grant = await uow.projects.get_grant(project.id, member.id)
        collaborator_grant = await uow.projects.get_grant(project.id, collaborator.id)
        both_grant = await uow.projects.get_grant(project.id, both.id)
        stranger_grant = await uow.projects.get_grant(project.id, stranger.id)
        missing_project = await uow.projects.get_grant(uuid.uuid4(), member.id)

    assert member_grant is not None
    assert member_grant.project == project
    assert member_grant.organization_role is OrganizationRole.MEMBER
    assert member_grant.collaborator_role is None
    assert collaborator_grant is not None
    assert collaborator_grant.organization_role is None
    assert collaborator_grant.collaborator_role is ProjectRole.VIEWER
    assert both_grant is not None
    assert both_grant.organization_role is OrganizationRole.ADMIN
    assert both_grant.collaborator_role is ProjectRole.EDITOR
    assert stranger_grant is None
    assert missing_project is None


@MODES
async def test_session_and_prompts_round_trip(
    uow_factory: SqlAlchemyUnitOfWorkFactory, write: bool
) -> None:
    project = await add_project(uow_factory)
    session = make_session(project, description=PASTED, metadata={"team": PASTED, "n": 3})
    prompts = [
        Prompt(
            id=uuid.uuid4(),
            project_id=project.id,
            session_id=session.id,
            name=None if index % 2 else f"v{index}",
            messages=(
                Message(MessageRole.SYSTEM, PASTED),
                Message(MessageRole.USER, f"Hello {{{{name}}}} #{index}"),
            ),
            variables=("name",),
            parent_id=None,
            created_by=None,
            # Two prompts share a timestamp, so the page order falls back to the id.
            created_at=BASE_TIME + timedelta(seconds=index // 2, microseconds=7),
        )
        for index in range(7)
    ]
    async with uow_factory() as uow:
        await uow.sessions.add(session)
        for prompt in prompts:
            await uow.prompts.add(prompt)
        await uow.commit()
    newest_first = sorted(prompts, key=lambda p: (p.created_at, p.id), reverse=True)

    async with uow_factory(write=write) as uow:
        stored_session = await uow.sessions.get(project.id, session.id)
        session_elsewhere = await uow.sessions.get(uuid.uuid4(), session.id)
        stored_prompt = await uow.prompts.get(session.id, prompts[3].id)
        prompt_elsewhere = await uow.prompts.get(uuid.uuid4(), prompts[3].id)
        in_project = await uow.prompts.get_in_project(project.id, prompts[4].id)
        in_other_project = await uow.prompts.get_in_project(uuid.uuid4(), prompts[4].id)
        first = await uow.prompts.list_for_session(project.id, session.id, PageRequest(limit=3))
        assert first.next is not None
        second = await uow.prompts.list_for_session(
            project.id, session.id, PageRequest(limit=3, after=first.next)
        )
        assert second.next is not None
        last = await uow.prompts.list_for_session(
            project.id, session.id, PageRequest(limit=3, after=second.next)
        )
        past_the_end = await uow.prompts.list_for_session(
            project.id,
            session.id,
            PageRequest(limit=3, after=Cursor(created_at=BASE_TIME, id=uuid.UUID(int=0))),
        )

    assert stored_session == session
    assert session_elsewhere is None
    assert stored_prompt == prompts[3]
    assert prompt_elsewhere is None
    assert in_project == prompts[4]
    assert in_other_project is None
    assert [item.id for item in first.items] == [str(p.id) for p in newest_first[:3]]
    assert [item.id for item in second.items] == [str(p.id) for p in newest_first[3:6]]
    assert [item.id for item in last.items] == [str(p.id) for p in newest_first[6:]]
    assert last.next is None
    assert past_the_end.items == []


async def test_missing_parameter_rejected(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    query = PreparedQuery(select(users.c.id).where(users.c.id == bindparam("user_id")))

    async with uow_factory(write=False) as uow:
        with pytest.raises(KeyError, match="user_id"):
            await uow.fetch_all(query, {})
