"""Session use cases on the in-memory adapters: access, validation, partial update, closing."""

from __future__ import annotations

import pytest

from promptlab.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.sessions import SessionStatus
from tests.unit.application.sessions_world import LARGE_MODEL, SMALL_MODEL, Cast, make_cast


@pytest.fixture
async def cast() -> Cast:
    return await make_cast()


def fields_of(error: ValidationError) -> list[str]:
    return [item.field for item in error.errors]


async def test_editor_creates_session_with_defaults(cast: Cast) -> None:
    session = await cast.world.create_session(
        cast.editor,
        cast.project.id,
        name="Summaries",
        description="Try shorter system prompts",
        default_model=SMALL_MODEL,
        default_parameters=GenerationParameters(temperature=0.2, max_tokens=1024, seed=7),
        metadata={"ticket": "PL-1"},
    )

    detail = await cast.world.get_session(cast.viewer, session)
    assert detail.session == session
    assert detail.session.status is SessionStatus.ACTIVE
    assert detail.session.created_by == cast.editor.id
    assert detail.counts.prompts == 0
    assert detail.counts.executions == 0


async def test_viewer_cannot_create_or_update(cast: Cast) -> None:
    session = await cast.world.create_session(cast.editor, cast.project.id)

    with pytest.raises(PermissionDeniedError):
        await cast.world.create_session(cast.viewer, cast.project.id)
    with pytest.raises(PermissionDeniedError):
        await cast.world.update_session(cast.viewer, session, name="Renamed")


async def test_outsider_sees_nothing(cast: Cast) -> None:
    session = await cast.world.create_session(cast.editor, cast.project.id)

    with pytest.raises(NotFoundError):
        await cast.world.get_session(cast.outsider, session)
    with pytest.raises(NotFoundError):
        await cast.world.list_sessions(cast.outsider, cast.project.id)
    with pytest.raises(NotFoundError):
        await cast.world.create_session(cast.outsider, cast.project.id)


async def test_archived_project_rejects_sessions(cast: Cast) -> None:
    organization_id = cast.project.organization_id
    async with cast.world.uow_factory(write=False) as uow:
        organization = await uow.organizations.get(organization_id)
    assert organization is not None
    archived = await cast.world.project(organization, archived=True)

    with pytest.raises(ConflictError) as caught:
        await cast.world.create_session(cast.owner, archived.id)
    assert "archived" in caught.value.message


async def test_unknown_model_lists_available(cast: Cast) -> None:
    with pytest.raises(ValidationError) as caught:
        await cast.world.create_session(cast.editor, cast.project.id, default_model="gpt-0")

    assert fields_of(caught.value) == ["default_model"]
    assert SMALL_MODEL in caught.value.errors[0].message
    assert LARGE_MODEL in caught.value.errors[0].message


async def test_invalid_fields_reported_together(cast: Cast) -> None:
    with pytest.raises(ValidationError) as caught:
        await cast.world.create_session(
            cast.editor,
            cast.project.id,
            name=" ",
            default_model=SMALL_MODEL,
            default_parameters=GenerationParameters(
                temperature=2.5, top_p=-0.1, max_tokens=1025, stop=("a\x00",)
            ),
            metadata={"k": "v" * 2001},
        )

    assert sorted(fields_of(caught.value)) == [
        "default_parameters.max_tokens",
        "default_parameters.stop.0",
        "default_parameters.temperature",
        "default_parameters.top_p",
        "metadata.k",
        "name",
    ]


async def test_update_changes_only_given_fields(cast: Cast) -> None:
    session = await cast.world.create_session(
        cast.editor, cast.project.id, description="kept", metadata={"a": "1"}
    )

    detail = await cast.world.update_session(cast.editor, session, name="Renamed")

    assert detail.session.name == "Renamed"
    assert detail.session.description == "kept"
    assert detail.session.metadata == {"a": "1"}
    assert detail.session.updated_at > session.updated_at


async def test_empty_update_keeps_updated_at(cast: Cast) -> None:
    session = await cast.world.create_session(cast.editor, cast.project.id)

    detail = await cast.world.update_session(cast.editor, session)

    assert detail.session.updated_at == session.updated_at


async def test_model_change_rechecks_max_tokens(cast: Cast) -> None:
    session = await cast.world.create_session(
        cast.editor,
        cast.project.id,
        default_model=LARGE_MODEL,
        default_parameters=GenerationParameters(max_tokens=4000),
    )

    with pytest.raises(ValidationError) as caught:
        await cast.world.update_session(cast.editor, session, default_model=SMALL_MODEL)
    assert fields_of(caught.value) == ["default_parameters.max_tokens"]

    cleared = await cast.world.update_session(cast.editor, session, default_model=None)
    assert cleared.session.default_model is None
    assert cleared.session.default_parameters.max_tokens == 4000


async def test_closed_session_rejects_prompts_until_reopened(cast: Cast) -> None:
    session = await cast.world.create_session(cast.editor, cast.project.id)
    closed = await cast.world.update_session(cast.editor, session, status=SessionStatus.CLOSED)
    assert closed.session.status is SessionStatus.CLOSED

    with pytest.raises(ConflictError) as caught:
        await cast.world.create_prompt(cast.editor, session)
    assert "closed" in caught.value.message

    renamed = await cast.world.update_session(cast.editor, session, name="Still editable")
    assert renamed.session.name == "Still editable"

    await cast.world.update_session(cast.editor, session, status=SessionStatus.ACTIVE)
    await cast.world.create_prompt(cast.editor, session)
    detail = await cast.world.get_session(cast.editor, session)
    assert detail.counts.prompts == 1


async def test_list_filters_by_status(cast: Cast) -> None:
    first = await cast.world.create_session(cast.editor, cast.project.id, name="first")
    second = await cast.world.create_session(cast.editor, cast.project.id, name="second")
    await cast.world.update_session(cast.editor, first, status=SessionStatus.CLOSED)

    everything = await cast.world.list_sessions(cast.viewer, cast.project.id)
    closed = await cast.world.list_sessions(
        cast.viewer, cast.project.id, status=SessionStatus.CLOSED
    )
    active = await cast.world.list_sessions(
        cast.viewer, cast.project.id, status=SessionStatus.ACTIVE
    )

    assert [session.id for session in everything] == [second.id, first.id]
    assert [session.id for session in closed] == [first.id]
    assert [session.id for session in active] == [second.id]
