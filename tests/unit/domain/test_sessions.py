"""Session rules: metadata limits, names, descriptions and the closed state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from promptlab.domain.errors import ConflictError
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.sessions import (
    MAX_METADATA_KEY_LENGTH,
    MAX_METADATA_KEYS,
    MAX_METADATA_VALUE_LENGTH,
    MetadataLimits,
    PromptSession,
    SessionStatus,
    find_description_errors,
    find_metadata_errors,
    find_name_errors,
)
from promptlab.domain.text import TextLimits


def make_session(status: SessionStatus) -> PromptSession:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    return PromptSession(
        id=uuid.UUID(int=1),
        project_id=uuid.UUID(int=2),
        name="Experiment",
        description="",
        default_model=None,
        default_parameters=GenerationParameters(),
        metadata={},
        status=status,
        created_by=None,
        created_at=now,
        updated_at=now,
    )


def fields_of(errors) -> list[str]:
    return [error.field for error in errors]


def test_metadata_at_every_limit_accepted():
    metadata = {
        f"{index:0{MAX_METADATA_KEY_LENGTH}d}": "v" * MAX_METADATA_VALUE_LENGTH
        for index in range(MAX_METADATA_KEYS)
    }

    assert find_metadata_errors(metadata) == []


def test_metadata_one_key_too_many():
    metadata = {str(index): "" for index in range(MAX_METADATA_KEYS + 1)}

    errors = find_metadata_errors(metadata)

    assert fields_of(errors) == ["metadata"]
    assert f"at most {MAX_METADATA_KEYS} keys" in errors[0].message


def test_metadata_key_one_past_limit():
    key = "k" * (MAX_METADATA_KEY_LENGTH + 1)

    errors = find_metadata_errors({key: "value"})

    assert fields_of(errors) == [f"metadata.{key}"]
    assert errors[0].message.startswith("the key must be at most")


def test_metadata_value_one_past_limit():
    errors = find_metadata_errors({"team": "v" * (MAX_METADATA_VALUE_LENGTH + 1)})

    assert fields_of(errors) == ["metadata.team"]
    assert errors[0].message.startswith("the value must be at most")


@pytest.mark.parametrize(
    ("metadata", "field", "start"),
    [
        ({"": "value"}, "metadata.", "the key must not be empty"),
        ({"team": "a\x00b"}, "metadata.team", "the value contains a NUL"),
        ({"a\x00": "value"}, "metadata.a\x00", "the key contains a NUL"),
        ({"team": "\ud800"}, "metadata.team", "the value contains a surrogate"),
        ({"\udfff": "value"}, "metadata.\\udfff", "the key contains a surrogate"),
        ({"count": 3}, "metadata.count", "the value must be a string"),
    ],
)
def test_metadata_entry_rejected(metadata, field, start):
    errors = find_metadata_errors(metadata)

    assert fields_of(errors) == [field]
    assert errors[0].message.startswith(start)


def test_metadata_limits_configurable():
    limits = MetadataLimits(max_keys=1, max_key_length=3, max_value_length=2)

    assert find_metadata_errors({"abc": "xy"}, limits=limits) == []
    assert fields_of(find_metadata_errors({"abcd": "xy"}, limits=limits)) == ["metadata.abcd"]
    assert fields_of(find_metadata_errors({"a": "x", "b": "y"}, limits=limits)) == ["metadata"]


def test_name_required_and_bounded():
    limits = TextLimits(max_name_length=5)

    assert find_name_errors("abcde", limits=limits) == []
    assert fields_of(find_name_errors("abcdef", limits=limits)) == ["name"]
    assert fields_of(find_name_errors("  ", limits=limits)) == ["name"]


def test_description_may_be_empty():
    limits = TextLimits(max_description_length=3)

    assert find_description_errors("", limits=limits) == []
    assert fields_of(find_description_errors("abcd", limits=limits)) == ["description"]


def test_closed_session_rejects_new_work():
    session = make_session(SessionStatus.CLOSED)

    with pytest.raises(ConflictError) as caught:
        session.require_active()

    assert "is closed" in caught.value.message
    assert '{"status": "active"}' in caught.value.message


def test_active_session_accepts_new_work():
    make_session(SessionStatus.ACTIVE).require_active()
