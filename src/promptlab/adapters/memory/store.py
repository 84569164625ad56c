"""The committed state of an in-memory database, and helpers its repositories share."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from promptlab.application.pagination import Cursor, Page, PageRequest

if TYPE_CHECKING:
    from promptlab.adapters.memory.unit_of_work import InMemoryUnitOfWork

T = TypeVar("T")


class InMemoryTables:
    """Named tables, each a dict from primary key to a stored object."""

    def __init__(self, tables: dict[str, dict[Any, Any]] | None = None) -> None:
        self._tables: dict[str, dict[Any, Any]] = tables or {}

    def table(self, name: str) -> dict[Any, Any]:
        return self._tables.setdefault(name, {})

    def snapshot(self) -> InMemoryTables:
        """Return a deep copy, which a transaction changes without touching the original."""
        return InMemoryTables(copy.deepcopy(self._tables))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InMemoryTables):
            return NotImplemented
        names = set(self._tables) | set(other._tables)
        return all(self._tables.get(name, {}) == other._tables.get(name, {}) for name in names)


class InMemoryDatabase:
    """State shared by every unit of work of one factory, like one database server.

    A committed state is never changed in place: a transaction works on a
    snapshot and commit replaces `committed` with it. Writers hold
    `write_lock` from their first statement to commit or rollback, as
    SQLite's BEGIN IMMEDIATE does, so write transactions are serializable.
    """

    def __init__(self, *, lock_timeout_seconds: float = 5.0) -> None:
        self.committed = InMemoryTables()
        self.write_lock = asyncio.Lock()
        self.lock_timeout_seconds = lock_timeout_seconds


class InMemoryRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def _table(self, name: str) -> dict[Any, Any]:
        tables = await self._uow.tables()
        return tables.table(name)


def paginate(
    items: Iterable[T], page: PageRequest, key: Callable[[T], tuple[datetime, Any]]
) -> Page[T]:
    """Order newest first by `key` (creation time, id) and cut one page after the cursor."""
    ordered = sorted(items, key=key, reverse=True)
    if page.after is not None:
        after = (page.after.created_at, page.after.id)
        ordered = [item for item in ordered if key(item) < after]
    if len(ordered) <= page.limit:
        return Page(items=ordered, next=None)
    items_on_page = ordered[: page.limit]
    created_at, item_id = key(items_on_page[-1])
    return Page(items=items_on_page, next=Cursor(created_at=created_at, id=item_id))
