"""Shared pieces of the SQL repositories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Integer, Select, Table, bindparam, select, tuple_, type_coerce

from promptlab.adapters.sqlalchemy.prepared import PreparedQuery
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


def select_for_reading(table: Table, read_types: dict[str, Any]) -> Select[Any]:
    """Select every column of `table`, reading the named ones through faster result types.

    The types (`MessagesRead`, `JsonRead`) change how values are converted
    when read, never the column's type in the database.
    """
    return select(
        *(
            type_coerce(column, read_types[column.key]()).label(column.key)
            if column.key in read_types
            else column
            for column in table.c
        )
    )


def check_column_order(table: Table, *names: str) -> tuple[str, ...]:
    """Return `names` after checking they are `table`'s columns in order.

    Row mappers read columns by position, which is faster than by name; this
    check at import time makes a reordered or added column fail loudly.
    """
    actual = tuple(column.key for column in table.c)
    if actual != names:
        raise RuntimeError(f"table {table.name} has the columns {actual}, the mapper reads {names}")
    return names


class PreparedKeyset:
    """A keyset-paginated SELECT built once: the first page and the pages after a cursor.

    The same order and limit as `keyset`, with the limit, the cursor and the
    statement's own filters as bind parameters.
    """

    def __init__(
        self, statement: Select[Any], table: Table, row_type: type[tuple[Any, ...]] = tuple
    ) -> None:
        created_at = table.c.created_at
        row_id = table.c.id
        ordered = statement.order_by(created_at.desc(), row_id.desc()).limit(
            bindparam("page_limit", type_=Integer())
        )
        self._first = PreparedQuery(ordered, row_type)
        self._after = PreparedQuery(
            ordered.where(
                tuple_(created_at, row_id)
                < tuple_(
                    bindparam("after_created_at", type_=created_at.type),
                    bindparam("after_id", type_=row_id.type),
                )
            ),
            row_type,
        )

    def query(self, page: PageRequest, parameters: dict[str, Any]) -> PreparedQuery:
        """Return the query for `page`, adding its limit and cursor to `parameters`."""
        parameters["page_limit"] = page.limit + 1
        if page.after is None:
            return self._first
        parameters["after_created_at"] = page.after.created_at
        parameters["after_id"] = page.after.id
        return self._after


def to_page(items: list[T], page: PageRequest, cursor_of: Any) -> Page[T]:
    """Cut the extra row that `keyset` fetched and build the next cursor from the last item."""
    if len(items) <= page.limit:
        return Page(items=items, next=None)
    items = items[: page.limit]
    created_at, item_id = cursor_of(items[-1])
    return Page(items=items, next=Cursor(created_at=created_at, id=item_id))
