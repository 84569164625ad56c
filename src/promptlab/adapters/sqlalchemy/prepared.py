"""SELECT statements compiled once per dialect and run straight on the database driver.

Running a SELECT through SQLAlchemy's async connection costs, on every call,
a greenlet switch, a cache-key walk over the statement, an execution context
and a Result object whose rows convert their values one attribute at a time.
On the authenticated list of 50 prompts that machinery was about half of the
CPU time (`python -m bench profile --pyinstrument`). A PreparedQuery compiles
its statement once per dialect into SQL text, the order of its parameters
and the conversions SQLAlchemy's column types would apply, so a read costs
one driver call plus those conversions.

The conversions are the column types' own bind and result processors for
the engine's dialect, so a row read here contains the same Python values as
one read through SQLAlchemy. `SqlAlchemyUnitOfWork.fetch_all` decides which way
a query runs: read-only units of work use the driver, write transactions go
through SQLAlchemy so that they keep its transaction handling.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import BindParameter

from promptlab.adapters.sqlalchemy.codecs import uuid_from_hex
from promptlab.adapters.sqlalchemy.text_reads import reference_text_from_hex

Processor = Callable[[Any], Any] | None

# Conversions of values that repeat within a result (a page's project,
# session and authors), so each distinct value is converted once.
_REPEATING = frozenset({uuid_from_hex, reference_text_from_hex})

# Marks a parameter the caller must pass: a `bindparam` built without a value.
REQUIRED = object()


@attrs.frozen
class CompiledQuery:
    """A statement's SQL text for one dialect, with its parameter order and value conversions."""

    sql: str
    parameter_names: tuple[str, ...]
    parameter_defaults: tuple[Any, ...]
    bind_processors: tuple[Processor, ...]
    result_processors: tuple[Processor, ...]
    row_converter: Callable[[Sequence[Sequence[Any]]], list[tuple[Any, ...]]]

    def driver_parameters(self, values: Mapping[str, Any]) -> list[Any]:
        """Return the positional parameters the driver expects, converted as SQLAlchemy would."""
        parameters = []
        for name, default, process in zip(
            self.parameter_names, self.parameter_defaults, self.bind_processors, strict=True
        ):
            value = values.get(name, default)
            if value is REQUIRED:
                raise KeyError(f"the query needs a value for the parameter {name!r}")
            parameters.append(
                process(value) if process is not None and value is not None else value
            )
        return parameters

    def convert_rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Apply the columns' result processors to rows the driver returned."""
        return self.row_converter(rows)


class PreparedQuery:
    """A SELECT whose parameters are all `bindparam`s, compiled on first use for each dialect.

    Every value a caller passes must be a named `bindparam` of the
    statement. Values that SQLAlchemy binds on its own, such as the OFFSET
    that SQLite needs after a LIMIT, take the value fixed at build time.
    """

    def __init__(self, statement: Select[Any], row_type: type[tuple[Any, ...]] = tuple) -> None:
        self.statement = statement
        self._row_type = row_type
        self._compiled: dict[str, CompiledQuery] = {}

    def typed(self, rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
        """Return rows that SQLAlchemy already converted as this query's row type."""
        if self._row_type is tuple:
            return rows
        return [tuple.__new__(self._row_type, row) for row in rows]

    async def compiled_on(self, dialect: Dialect, driver_connection: Any) -> CompiledQuery:
        """Return the statement compiled for `dialect`, compiling it on first use.

        Some result processors depend on the type the server reports for the
        column: asyncpg's NUMERIC processor needs the PostgreSQL type OID. So
        the first compilation reads the column types from the driver, as
        SQLAlchemy reads `cursor.description` on each execution.
        """
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            sql, names, binds = _compile_text(self.statement, dialect)
            columns = self.statement.selected_columns
            type_codes = await _column_type_codes(
                dialect.name, driver_connection, sql, len(columns)
            )
            processors = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, type_code)
                for column, type_code in zip(columns, type_codes, strict=True)
            )
            compiled = CompiledQuery(
                sql=sql,
                parameter_names=names,
                parameter_defaults=tuple(
                    REQUIRED if bind.required else bind.value for bind in binds
                ),
                bind_processors=tuple(
                    bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds
                ),
                result_processors=processors,
                row_converter=build_row_converter(processors, self._row_type),
            )
            self._compiled[dialect.name] = compiled
        return compiled


class PreparedWrite:
    """An INSERT or UPDATE built once, compiled on first use per dialect and set of value keys.

    Executed with a dict of values, it sets exactly the columns that the
    dict names, as SQLAlchemy does with the same dict. Keys that name no
    column fill the statement's own `bindparam`s.
    """

    def __init__(self, statement: Insert | Update) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], CompiledQuery] = {}

    def compiled_for(self, dialect: Dialect, keys: tuple[str, ...]) -> CompiledQuery:
        compiled = self._compiled.get((dialect.name, keys))
        if compiled is None:
            columns = self.statement.table.c  # type: ignore[union-attr]
            statement_compiled = self.statement.compile(
                dialect=dialect, column_keys=[key for key in keys if key in columns]
            )
            names = tuple(statement_compiled.positiontup or ())
            binds = [statement_compiled.binds[name] for name in names]
            compiled = CompiledQuery(
                sql=str(statement_compiled),
                parameter_names=names,
                parameter_defaults=tuple(
                    REQUIRED if bind.required else bind.value for bind in binds
                ),
                bind_processors=tuple(
                    bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds
                ),
                result_processors=(),
                row_converter=_no_rows,
            )
            self._compiled[(dialect.name, keys)] = compiled
        return compiled


def build_row_converter(
    processors: Sequence[Processor], row_type: type[tuple[Any, ...]] = tuple
) -> Callable[[Sequence[Sequence[Any]]], list[tuple[Any, ...]]]:
    """Return a function that applies `processors` to every row, one `row_type` tuple per row.

    The function is generated for the query's columns, as
    `collections.namedtuple` generates its classes. It builds each row with
    one tuple expression and no loop over the columns, which took a third of
    the time of the generic loop on a page of 50 prompts. UUIDs read from
    text are converted once per distinct value in a result, because a page
    repeats the same project, session and author. A `row_type` such as a
    NamedTuple is built with `tuple.__new__`, skipping its Python `__new__`.
    """
    if not processors:
        raise ValueError("a row converter needs at least one column")
    if not issubclass(row_type, tuple):
        raise TypeError(f"rows are tuples; {row_type.__name__} is not a tuple type")
    if row_type is tuple and all(process is None for process in processors):
        # Nothing to convert: the driver's rows (tuples, or asyncpg Records,
        # which index the same way) are returned as they came.
        return list
    namespace: dict[str, Any] = {
        "_remember": _remember,
        "_new_tuple": tuple.__new__,
        "_row_type": row_type,
    }
    values = []
    memo_names = []
    for index, process in enumerate(processors):
        if process is None:
            values.append(f"row[{index}]")
            continue
        namespace[f"process_{index}"] = process
        if process in _REPEATING:
            memo_names.append(f"seen_{index}")
            # A UUID is always true, and None (a NULL) needs no conversion.
            values.append(
                f"(seen_{index}.get(row[{index}]) or (None if row[{index}] is None "
                f"else _remember(seen_{index}, process_{index}, row[{index}])))"
            )
        else:
            values.append(f"process_{index}(row[{index}])")

    lines = ["def convert(rows):", "    result = []", "    append = result.append"]
    lines += [f"    {name} = {{}}" for name in memo_names]
    row = f"({', '.join(values)},)"
    lines += [
        "    for row in rows:",
        f"        append({row if row_type is tuple else f'_new_tuple(_row_type, {row})'})",
        "    return result",
    ]
    exec("\n".join(lines), namespace)  # noqa: S102 - the source is built above from indexes only
    return namespace["convert"]  # type: ignore[no-any-return]


def _no_rows(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    # INSERT and UPDATE without RETURNING have no result columns.
    return []


def _remember(seen: dict[Any, Any], process: Callable[[Any], Any], value: Any) -> Any:
    converted = seen[value] = process(value)
    return converted


def _compile_text(
    statement: Select[Any], dialect: Dialect
) -> tuple[str, tuple[str, ...], list[BindParameter[Any]]]:
    compiled = statement.compile(dialect=dialect)
    if compiled.positiontup is None:
        raise ValueError(f"dialect {dialect.name} does not use positional parameters")
    names = tuple(compiled.positiontup)
    return str(compiled), names, [compiled.binds[name] for name in names]


async def _column_type_codes(
    dialect_name: str, driver_connection: Any, sql: str, column_count: int
) -> list[Any]:
    """Return the type code of each result column, as the driver's cursor description has it.

    asyncpg reports PostgreSQL type OIDs; SQLite reports none, so each is None.
    """
    if dialect_name == "postgresql":
        statement = await driver_connection.prepare(sql)
        return [attribute.type.oid for attribute in statement.get_attributes()]
    return [None] * column_count


async def fetch_on_driver(
    dialect_name: str, driver_connection: Any, sql: str, parameters: list[Any]
) -> Sequence[Sequence[Any]]:
    """Run `sql` on the driver's own connection (aiosqlite or asyncpg) and return every row."""
    if dialect_name == "postgresql":
        return await driver_connection.fetch(sql, *parameters)  # type: ignore[no-any-return]
    async with driver_connection.execute(sql, parameters) as cursor:
        return await cursor.fetchall()  # type: ignore[no-any-return]


# SQLSTATE classes of PostgreSQL errors that mean the server cannot serve the
# query right now: connection exception, insufficient resources, operator
# intervention (shutdown, cancelled by the administrator, not accepting connections).
_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57"})


def driver_error_is_unavailable(error: BaseException) -> bool:
    """Return whether an error raised by the driver itself means the database is unreachable.

    The same errors count as SQLAlchemy's `is_unavailable` counts them once
    wrapped: SQLite's OperationalError and InterfaceError, PostgreSQL errors
    of the classes above, asyncpg's InterfaceError ("connection is closed"),
    and socket errors.
    """
    if isinstance(error, sqlite3.OperationalError | sqlite3.InterfaceError):
        return True
    if isinstance(error, OSError | ConnectionError | TimeoutError):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
    return any(
        cls.__name__ == "InterfaceError" and cls.__module__.startswith("asyncpg")
        for cls in type(error).__mro__
    )
