"""The generated row converter of prepared queries."""

from __future__ import annotations

import uuid
from typing import NamedTuple

import pytest

from promptlab.adapters.sqlalchemy.codecs import uuid_from_hex
from promptlab.adapters.sqlalchemy.prepared import build_row_converter
from promptlab.adapters.sqlalchemy.text_reads import reference_text_from_hex

FIRST = uuid.uuid4()
SECOND = uuid.uuid4()


def test_converter_applies_each_processor() -> None:
    convert = build_row_converter((None, str.upper, uuid_from_hex, len))

    rows = convert([(1, "a", FIRST.hex, "xyz"), (2, "b", None, "")])

    assert rows == [(1, "A", FIRST, 3), (2, "B", None, 0)]


def test_converter_shares_repeated_uuids() -> None:
    convert = build_row_converter((uuid_from_hex, uuid_from_hex))

    rows = convert([(FIRST.hex, SECOND.hex), (FIRST.hex, SECOND.hex), (SECOND.hex, None)])

    assert rows == [(FIRST, SECOND), (FIRST, SECOND), (SECOND, None)]
    assert rows[0][0] is rows[1][0]
    assert rows[0][1] is rows[1][1]


def test_converter_memo_is_per_call() -> None:
    convert = build_row_converter((uuid_from_hex,))

    first_call = convert([(FIRST.hex,)])
    second_call = convert([(FIRST.hex,)])

    assert first_call == second_call
    assert first_call[0][0] is not second_call[0][0]


def test_converter_without_processors() -> None:
    convert = build_row_converter((None, None))

    assert convert([(1, 2), (3, 4)]) == [(1, 2), (3, 4)]
    assert convert([]) == []


def test_converter_needs_a_column() -> None:
    with pytest.raises(ValueError, match="at least one column"):
        build_row_converter(())


class Pair(NamedTuple):
    number: int
    text: str


def test_converter_builds_the_row_type() -> None:
    convert = build_row_converter((None, str.upper), Pair)

    rows = convert([(1, "a"), (2, "b")])

    assert rows == [Pair(1, "A"), Pair(2, "B")]
    assert all(type(row) is Pair for row in rows)


def test_converter_without_processors_keeps_the_rows() -> None:
    convert = build_row_converter((None, None))
    rows = [(1, "a"), (2, "b")]

    converted = convert(rows)

    assert converted == rows
    assert converted is not rows


def test_row_type_must_be_a_tuple() -> None:
    with pytest.raises(TypeError, match="not a tuple type"):
        build_row_converter((None,), dict)  # type: ignore[arg-type]


def test_reference_columns_share_their_text() -> None:
    convert = build_row_converter((reference_text_from_hex,))

    rows = convert([(FIRST.hex,), (FIRST.hex,), (None,)])

    assert rows == [(str(FIRST),), (str(FIRST),), (None,)]
    assert rows[0][0] is rows[1][0]
