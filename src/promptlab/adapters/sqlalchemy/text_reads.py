"""Columns read as text in their final form, for lists (see `ListedPrompt`).

Each helper wraps a column for a SELECT list. PostgreSQL casts a UUID and
JSONB to text and formats a timestamp itself. SQLite formats text slowly:
substr and concatenation over a page of 50 prompts cost four times the
query itself. So on SQLite the stored text is read as it is and reshaped in
Python by slicing, which is still far cheaper than building UUID, datetime
and parsed JSON objects.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from promptlab.application.text_forms import timestamp_text

_HEX_LENGTH = 32
# SQLAlchemy stores an SQLite datetime as "2026-12-05 01:02:03.000450".
_SQLITE_TIMESTAMP_LENGTH = 26
_ZERO_FRACTION = ".000000"


def uuid_text_from_hex(value: str | None) -> str | None:
    """Turn the 32 hex digits SQLAlchemy stores for a UUID on SQLite into canonical text."""
    if value is None:
        return None
    if len(value) != _HEX_LENGTH:
        raise ValueError(f"a stored UUID has {len(value)} characters, not 32: {value!r}")
    value = value.lower()
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def reference_text_from_hex(value: str | None) -> str | None:
    """Do what `uuid_text_from_hex` does, for columns whose values repeat within a result.

    A distinct function, so that the row converter converts each distinct
    value of such a column once (see `prepared.build_row_converter`).
    """
    return uuid_text_from_hex(value)


def cache_key_of_uuid_text(dialect_name: str, text: str) -> str:
    """Return the cache key `uuid_as_key` reads for the UUID whose canonical text is `text`."""
    return text.replace("-", "") if dialect_name == "sqlite" else text


def timestamp_text_from_sqlite(value: str | None) -> str | None:
    """Turn SQLAlchemy's naive UTC text on SQLite into the form of `timestamp_text`."""
    if value is None:
        return None
    if len(value) == _SQLITE_TIMESTAMP_LENGTH and value[10] == " " and value[19] == ".":
        if value.endswith(_ZERO_FRACTION):
            return f"{value[:10]}T{value[11:19]}Z"
        return f"{value[:10]}T{value[11:]}Z"
    # Text written some other way (no fraction, a "T", an offset) is parsed.
    moment = datetime.fromisoformat(value)
    return timestamp_text(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def timestamp_text_from_postgresql(value: str | None) -> str | None:
    """Drop a zero fraction from the text `to_char` wrote, as `timestamp_text` leaves it out."""
    if value is None:
        return None
    if value.endswith(_ZERO_FRACTION + "Z"):
        return value[:-8] + "Z"
    return value


class _UuidText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        return uuid_text_from_hex if dialect.name == "sqlite" else None


class _ReferenceText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        return reference_text_from_hex if dialect.name == "sqlite" else None


class _TimestampText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name == "sqlite":
            return timestamp_text_from_sqlite
        return timestamp_text_from_postgresql


class _UnchangedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        return None


class uuid_as_key(FunctionElement[str]):
    """A UUID column as text to key a cache by: the stored hex on SQLite, canonical on PostgreSQL."""

    type = _UnchangedText()
    inherit_cache = True


class uuid_as_text(FunctionElement[str]):
    """A UUID column as canonical text."""

    type = _UuidText()
    inherit_cache = True


class reference_as_text(FunctionElement[str]):
    """A UUID column whose values repeat within a page (an author, a parent) as canonical text."""

    type = _ReferenceText()
    inherit_cache = True


class timestamp_as_text(FunctionElement[str]):
    """A UTC datetime column as the text of `timestamp_text`."""

    type = _TimestampText()
    inherit_cache = True


class json_as_text(FunctionElement[str]):
    """A JSON column as its JSON text, not parsed."""

    type = _UnchangedText()
    inherit_cache = True


@compiles(uuid_as_key)
@compiles(uuid_as_text)
@compiles(reference_as_text)
@compiles(json_as_text)
@compiles(timestamp_as_text)
def _stored_text(element: FunctionElement[str], compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UUIDs, JSON and datetimes as text already.
    return compiler.process(element.clauses, **kw)


@compiles(uuid_as_key, "postgresql")
@compiles(uuid_as_text, "postgresql")
@compiles(reference_as_text, "postgresql")
@compiles(json_as_text, "postgresql")
def _cast_to_text(element: FunctionElement[str], compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(timestamp_as_text, "postgresql")
def _postgresql_timestamp_text(
    element: FunctionElement[str], compiler: SQLCompiler, **kw: Any
) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
