"""Stored values reshaped into the text form of a list, checked against `timestamp_text`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptlab.adapters.sqlalchemy.text_reads import (
    timestamp_text_from_postgresql,
    timestamp_text_from_sqlite,
    uuid_text_from_hex,
)
from promptlab.application.text_forms import timestamp_text

MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(moment=MOMENTS)
def test_sqlite_text_matches_timestamp_text(moment: datetime) -> None:
    # The text SQLAlchemy's SQLite DATETIME writes: six fraction digits, always.
    stored = f"{moment.year:04d}-{moment:%m-%d %H:%M:%S}.{moment.microsecond:06d}"

    assert timestamp_text_from_sqlite(stored) == timestamp_text(moment)


@given(moment=MOMENTS)
def test_postgresql_text_matches_timestamp_text(moment: datetime) -> None:
    # The text of to_char(... AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"').
    written = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond:06d}Z"

    assert timestamp_text_from_postgresql(written) == timestamp_text(moment)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-12-05 01:02:03", "2026-12-05T01:02:03Z"),
        ("2026-12-05T01:02:03.5", "2026-12-05T01:02:03.500000Z"),
        ("2026-12-05 03:02:03+02:00", "2026-12-05T01:02:03Z"),
    ],
)
def test_sqlite_text_of_other_shapes_is_parsed(stored: str, expected: str) -> None:
    assert timestamp_text_from_sqlite(stored) == expected


def test_null_stays_null() -> None:
    assert timestamp_text_from_sqlite(None) is None
    assert timestamp_text_from_postgresql(None) is None
    assert uuid_text_from_hex(None) is None


@given(value=st.uuids())
def test_uuid_hex_becomes_canonical_text(value: uuid.UUID) -> None:
    assert uuid_text_from_hex(value.hex) == str(value)
    assert uuid_text_from_hex(value.hex.upper()) == str(value)


def test_uuid_of_wrong_length_rejected() -> None:
    with pytest.raises(ValueError, match="not 32"):
        uuid_text_from_hex("abc")
