"""Prompts listed in their text form, with and without the listed-prompt cache, on both databases."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.memory.prompts import listed
from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.application.pagination import PageRequest
from promptlab.application.ports.prompts import ListedPrompt
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession
from tests.integration.test_projects_repository import add_user
from tests.integration.test_prompts_repository import (
    BASE_TIME,
    PASTED,
    add_project,
    make_prompt,
    make_session,
)


@pytest.fixture
async def cached_factory(engine: AsyncEngine) -> AsyncIterator[SqlAlchemyUnitOfWorkFactory]:
    """Units of work sharing a listed-prompt cache of their own, empty at the start of each test."""
    factory = SqlAlchemyUnitOfWorkFactory(engine, listed_prompts_cache_bytes=1024 * 1024)
    yield factory
    await factory.aclose()


@pytest.fixture
async def uncached_factory(engine: AsyncEngine) -> AsyncIterator[SqlAlchemyUnitOfWorkFactory]:
    factory = SqlAlchemyUnitOfWorkFactory(engine, listed_prompts_cache_bytes=0)
    yield factory
    await factory.aclose()


def comparable(item: ListedPrompt) -> tuple[object, ...]:
    """The item with its JSON parsed: PostgreSQL writes JSONB back with its own spacing."""
    return (
        *item._replace(messages_json="", variables_json=""),
        json.loads(item.messages_json),
        json.loads(item.variables_json),
    )


async def add_prompts(
    factory: SqlAlchemyUnitOfWorkFactory, session: PromptSession, prompts: list[Prompt]
) -> None:
    async with factory() as uow:
        if await uow.sessions.get(session.project_id, session.id) is None:
            await uow.sessions.add(session)
        for prompt in prompts:
            await uow.prompts.add(prompt)
        await uow.commit()


async def list_page(
    factory: SqlAlchemyUnitOfWorkFactory,
    project_id: uuid.UUID,
    session: PromptSession,
    page: PageRequest | None = None,
) -> list[ListedPrompt]:
    async with factory(write=False) as uow:
        found = await uow.prompts.list_for_session(project_id, session.id, page or PageRequest())
    return found.items


MESSAGE_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    content=MESSAGE_TEXT,
    name=st.none() | MESSAGE_TEXT,
    microseconds=st.sampled_from([0, 1, 450, 120_000, 999_999]),
    with_author=st.booleans(),
)
async def test_text_form_matches_the_domain_values(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
    content: str,
    name: str | None,
    microseconds: int,
    with_author: bool,
) -> None:
    """Each field reads as `listed` renders the stored prompt, whatever its text and time."""
    project = await add_project(uow_factory)
    session = make_session(project)
    author = await add_user(uow_factory) if with_author else None
    parent = make_prompt(session, name="parent")
    prompt = make_prompt(
        session,
        minutes=1,
        name=name,
        messages=(
            Message(MessageRole.SYSTEM, content),
            Message(MessageRole.USER, PASTED + "{{ name }}"),
        ),
        parent_id=parent.id,
        created_by=author.id if author else None,
        created_at=BASE_TIME + timedelta(minutes=1, microseconds=microseconds),
    )
    await add_prompts(uow_factory, session, [parent, prompt])

    items = await list_page(uow_factory, project.id, session)

    assert [comparable(item) for item in items] == [
        comparable(listed(prompt)),
        comparable(listed(parent)),
    ]


async def test_cached_pages_equal_uncached_pages(
    cached_factory: SqlAlchemyUnitOfWorkFactory, uncached_factory: SqlAlchemyUnitOfWorkFactory
) -> None:
    project = await add_project(cached_factory)
    session = make_session(project)
    prompts = [make_prompt(session, minutes=index, name=f"p{index}") for index in range(7)]
    await add_prompts(cached_factory, session, prompts)

    walked: dict[str, list[list[ListedPrompt]]] = {}
    for label, factory in (
        ("cold", cached_factory),
        ("warm", cached_factory),
        ("off", uncached_factory),
    ):
        pages = []
        page_request = PageRequest(limit=3)
        while True:
            async with factory(write=False) as uow:
                page = await uow.prompts.list_for_session(project.id, session.id, page_request)
            pages.append(page.items)
            if page.next is None:
                break
            page_request = PageRequest(limit=3, after=page.next)
        walked[label] = pages

    assert walked["cold"] == walked["warm"] == walked["off"]
    assert [item.name for page in walked["warm"] for item in page] == [
        f"p{index}" for index in reversed(range(7))
    ]


async def test_cache_never_lists_a_session_through_another_project(
    cached_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    project = await add_project(cached_factory)
    other_project = await add_project(cached_factory)
    session = make_session(project)
    await add_prompts(cached_factory, session, [make_prompt(session)])

    assert len(await list_page(cached_factory, project.id, session)) == 1
    # Every prompt of the session is cached now. Through the other project it lists none.
    assert await list_page(cached_factory, other_project.id, session) == []


async def test_prompts_added_after_a_cached_page_appear(
    cached_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    project = await add_project(cached_factory)
    session = make_session(project)
    first = make_prompt(session, minutes=0, name="first")
    await add_prompts(cached_factory, session, [first])
    assert [item.name for item in await list_page(cached_factory, project.id, session)] == ["first"]

    await add_prompts(cached_factory, session, [make_prompt(session, minutes=1, name="second")])

    names = [item.name for item in await list_page(cached_factory, project.id, session)]
    assert names == ["second", "first"]


async def test_cache_keeps_to_its_byte_budget(engine: AsyncEngine) -> None:
    factory = SqlAlchemyUnitOfWorkFactory(engine, listed_prompts_cache_bytes=64 * 1024)
    try:
        project = await add_project(factory)
        session = make_session(project)
        long_text = "x" * 4000
        prompts = [
            make_prompt(
                session,
                minutes=index,
                messages=(Message(MessageRole.USER, f"{index} {long_text}"),),
                variables=(),
            )
            for index in range(40)
        ]
        await add_prompts(factory, session, prompts)

        items = await list_page(factory, project.id, session, PageRequest(limit=40))
        again = await list_page(factory, project.id, session, PageRequest(limit=40))

        cache = factory(write=False).listed_prompts
        assert cache is not None
        assert cache.size_bytes <= 64 * 1024
        assert 0 < len(cache) < 40
        assert again == items
    finally:
        await factory.aclose()
