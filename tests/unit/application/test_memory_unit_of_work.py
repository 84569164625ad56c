"""The in-memory unit of work keeps the transaction rules of the SQL one."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from promptlab.adapters.memory.store import InMemoryDatabase
from promptlab.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory, MissingRepository
from promptlab.domain.accounts import User
from promptlab.domain.errors import ConflictError

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def make_user(email: str = "ada@example.com") -> User:
    return User(
        id=uuid.uuid4(),
        email=email,
        email_normalized=email.lower(),
        full_name="Ada",
        password_hash="unused",
        is_active=True,
        created_at=NOW,
        updated_at=NOW,
    )


async def test_uncommitted_writes_invisible() -> None:
    factory = InMemoryUnitOfWorkFactory()
    user = make_user()

    async with factory() as writer:
        await writer.users.add(user)
        async with factory(write=False) as reader:
            assert await reader.users.get(user.id) is None

    async with factory(write=False) as reader:
        assert await reader.users.get(user.id) is None


async def test_commit_publishes_writes() -> None:
    factory = InMemoryUnitOfWorkFactory()
    user = make_user()

    async with factory() as writer:
        await writer.users.add(user)
        await writer.commit()

    async with factory(write=False) as reader:
        assert await reader.users.get(user.id) == user


async def test_returned_objects_are_copies() -> None:
    factory = InMemoryUnitOfWorkFactory()
    user = make_user()
    async with factory() as uow:
        await uow.users.add(user)
        await uow.commit()

    async with factory() as uow:
        loaded = await uow.users.get(user.id)
        assert loaded is not None
        loaded.full_name = "Changed without update"
        await uow.commit()

    async with factory(write=False) as uow:
        stored = await uow.users.get(user.id)
    assert stored is not None
    assert stored.full_name == "Ada"


async def test_unique_email_conflicts() -> None:
    factory = InMemoryUnitOfWorkFactory()
    async with factory() as uow:
        await uow.users.add(make_user("ada@example.com"))

        with pytest.raises(ConflictError):
            await uow.users.add(make_user("ADA@example.com"))


async def test_writers_take_turns() -> None:
    factory = InMemoryUnitOfWorkFactory()
    order: list[str] = []

    async def write(name: str) -> None:
        async with factory() as uow:
            await uow.users.get(uuid.uuid4())
            order.append(f"{name} start")
            await asyncio.sleep(0)
            order.append(f"{name} end")
            await uow.commit()

    await asyncio.gather(write("first"), write("second"))

    assert order == ["first start", "first end", "second start", "second end"]


async def test_read_only_write_raises() -> None:
    factory = InMemoryUnitOfWorkFactory()

    async with factory(write=False) as uow:
        await uow.users.add(make_user())

        with pytest.raises(RuntimeError, match="write=False"):
            await uow.commit()


async def test_nested_writer_times_out_with_advice() -> None:
    factory = InMemoryUnitOfWorkFactory(InMemoryDatabase(lock_timeout_seconds=0.05))

    async with factory() as outer:
        await outer.users.get(uuid.uuid4())

        with pytest.raises(RuntimeError, match="second unit of work"):
            async with factory() as inner:
                await inner.users.get(uuid.uuid4())


def test_missing_area_names_fix() -> None:
    missing = MissingRepository("widgets")

    with pytest.raises(NotImplementedError, match="no widgets repository yet"):
        missing.get  # noqa: B018 - the attribute access itself raises
