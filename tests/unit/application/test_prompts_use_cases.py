"""Prompt use cases on the in-memory adapters: access, closed sessions, parents, text rules."""

from __future__ import annotations

import uuid

import attrs
import pytest

from promptlab.application.pagination import PageRequest
from promptlab.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.organizations import OrganizationRole
from promptlab.domain.sessions import SessionStatus
from tests.unit.application.sessions_world import Cast, make_cast


@pytest.fixture
async def cast() -> Cast:
    return await make_cast()


def fields_of(error: ValidationError) -> list[str]:
    return [item.field for item in error.errors]


async def test_create_from_messages(cast: Cast) -> None:
    session = await cast.world.create_session(cast.editor, cast.project.id)
    messages = (
        Message(MessageRole.SYSTEM, "You are {{ persona }}."),
        Message(MessageRole.USER, "{{question}}"),
    )

    prompt = await cast.world.create_prompt(cast.editor, session, messages=messages, name="Persona")

    stored = await cast.world.get_prompt(cast.viewer, cast.project.id, session.id, prompt.id)
    assert stored == prompt
    assert stored.messages == messages
    assert stored.variables == ("persona", "question")
    assert stored.created_by == cast.editor.id


async def test_content_and_messages_exclusive(cast: Cast) -> None:
    session = await cast.world.create_session(cast.editor, cast.project.id)

    with pytest.raises(ValidationError) as both:
        await cast.world.create_prompt(
            cast.editor, session, content="a", messages=(Message(MessageRole.USER, "b"),)
        )
    with pytest.raises(ValidationError) as neither:
        await cast.world.create_prompt(cast.editor, session, messages=None)

    assert fields_of(both.value) == ["content"]
    assert fields_of(neither.value) == ["messages"]


async def test_viewer_cannot_create(cast: Cast) -> None:
    session = await cast.world.create_session(cast.editor, cast.project.id)

    with pytest.raises(PermissionDeniedError):
        await cast.world.create_prompt(cast.viewer, session)


async def test_closed_session_rejects_prompt(cast: Cast) -> None:
    session = await cast.world.create_session(cast.editor, cast.project.id)
    await cast.world.update_session(cast.editor, session, status=SessionStatus.CLOSED)

    with pytest.raises(ConflictError) as caught:
        await cast.world.create_prompt(cast.editor, session)

    assert "reopen" in caught.value.message
    assert await cast.world.list_prompts(cast.viewer, session) == []


async def test_archived_project_rejects_prompt(cast: Cast) -> None:
    session = await cast.world.create_session(cast.editor, cast.project.id)
    async with cast.world.uow_factory() as uow:
        project = await uow.projects.get_grant(cast.project.id, cast.owner.id)
        assert project is not None
        project.project.archive(cast.world.clock.now())
        await uow.projects.update(project.project)
        await uow.commit()

    with pytest.raises(ConflictError) as caught:
        await cast.world.create_prompt(cast.editor, session)

    assert "archived" in caught.value.message


async def test_parent_from_other_session_accepted(cast: Cast) -> None:
    first = await cast.world.create_session(cast.editor, cast.project.id)
    second = await cast.world.create_session(cast.editor, cast.project.id)
    parent = await cast.world.create_prompt(cast.editor, first)

    child = await cast.world.create_prompt(cast.editor, second, parent_id=parent.id)

    assert child.parent_id == parent.id


async def test_parent_in_other_project_rejected(cast: Cast) -> None:
    outsider_organization = await cast.world.organization(
        [(cast.outsider, OrganizationRole.OWNER), (cast.editor, OrganizationRole.MEMBER)]
    )
    other_project = await cast.world.project(outsider_organization)
    other_session = await cast.world.create_session(cast.editor, other_project.id)
    foreign = await cast.world.create_prompt(cast.editor, other_session)
    session = await cast.world.create_session(cast.editor, cast.project.id)

    with pytest.raises(ValidationError) as caught:
        await cast.world.create_prompt(cast.editor, session, parent_id=foreign.id)

    assert fields_of(caught.value) == ["parent"]
    assert str(foreign.id) in caught.value.errors[0].message


async def test_prompt_outside_session_not_found(cast: Cast) -> None:
    first = await cast.world.create_session(cast.editor, cast.project.id)
    second = await cast.world.create_session(cast.editor, cast.project.id)
    prompt = await cast.world.create_prompt(cast.editor, first)

    with pytest.raises(NotFoundError):
        await cast.world.get_prompt(cast.editor, cast.project.id, second.id, prompt.id)
    with pytest.raises(NotFoundError):
        await cast.world.get_prompt(cast.outsider, cast.project.id, first.id, prompt.id)


async def test_list_of_session_elsewhere_not_found(cast: Cast) -> None:
    """A session is listed only through its own project, with or without prompts."""
    editors_organization = await cast.world.organization([(cast.editor, OrganizationRole.OWNER)])
    other_project = await cast.world.project(editors_organization)
    session = await cast.world.create_session(cast.editor, cast.project.id)
    await cast.world.create_prompt(cast.editor, session)
    empty = await cast.world.create_session(cast.editor, cast.project.id)
    missing = attrs.evolve(empty, id=uuid.uuid4())

    for through_other_project in (
        attrs.evolve(session, project_id=other_project.id),
        attrs.evolve(empty, project_id=other_project.id),
    ):
        with pytest.raises(NotFoundError) as caught:
            await cast.world.list_prompts(cast.editor, through_other_project)
        assert str(through_other_project.id) in caught.value.message
    with pytest.raises(NotFoundError):
        await cast.world.list_prompts(cast.editor, missing)
    assert await cast.world.list_prompts(cast.editor, empty) == []


async def test_list_pages_newest_first(cast: Cast) -> None:
    session = await cast.world.create_session(cast.editor, cast.project.id)
    created = [await cast.world.create_prompt(cast.editor, session) for _ in range(3)]

    first_page = await cast.world.list_prompts(cast.viewer, session, PageRequest(limit=2))

    assert [prompt.id for prompt in first_page] == [str(created[2].id), str(created[1].id)]
