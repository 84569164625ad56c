"""Shared pieces of the SQL repositories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, Table, tuple_

from promptlab.application.pagination import Cursor, Page, PageRequest

if TYPE_CHECKING:
    from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

T = TypeVar("T")


class SqlRepository:
    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self._uow = uow


def keyset(statement: Select[Any], table: Table, page: PageRequest) -> Select[Any]:
    """Order newest first by (created_at, id) and start after the cursor.

    Fetches one row more than the limit, so `to_page` can tell whether a
    next page exists without a count query.
    """
    created_at = table.c.created_at
    row_id = table.c.id
    if page.after is not None:
        statement = statement.where(
            tuple_(created_at, row_id) < tuple_(page.after.created_at, page.after.id)
        )
    return statement.order_by(created_at.desc(), row_id.desc()).limit(page.limit + 1)


def to_page(items: list[T], page: PageRequest, cursor_of: Any) -> Page[T]:
    """Cut the extra row that `keyset` fetched and build the next cursor from the last item."""
    if len(items) <= page.limit:
        return Page(items=items, next=None)
    items = items[: page.limit]
    created_at, item_id = cursor_of(items[-1])
    return Page(items=items, next=Cursor(created_at=created_at, id=item_id))
