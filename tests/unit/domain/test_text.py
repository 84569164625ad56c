import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.text import (
    DEFAULT_TEXT_LIMITS,
    MAX_DESCRIPTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    MAX_MESSAGES_PER_PROMPT,
    MAX_NAME_LENGTH,
    MAX_PROMPT_LENGTH,
    TextLimits,
    check_text,
    find_messages_errors,
    find_text_errors,
)

PASTED_TEXT = [
    "👩‍👩‍👧‍👦 family, 👍🏽 thumbs up, 🏳️‍🌈 flag",
    "e\u0301 decomposed and \u00e9 composed",
    "Z\u0351\u0352\u0353algo text",
    "مرحبا بالعالم",
    "שלום עולם with \u200f marks \u202e override",
    "中文, 日本語, 한국어",
    "tabs\tand\r\nCRLF line endings\n",
    "\u200b zero width space and \ufeff byte order mark",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the Basic Multilingual Plane",
]


def user_message(content: str) -> Message:
    return Message(role=MessageRole.USER, content=content)


# Characters


@pytest.mark.parametrize("value", PASTED_TEXT)
def test_pasted_text_kept_unchanged(value):
    stored = check_text(value, field="content", max_length=MAX_MESSAGE_LENGTH)

    assert stored is value
    assert stored.encode("utf-8") == value.encode("utf-8")


def test_normalization_forms_stay_distinct():
    composed = unicodedata.normalize("NFC", "café")
    decomposed = unicodedata.normalize("NFD", "café")

    assert check_text(composed, field="name") == composed
    assert check_text(decomposed, field="name") == decomposed
    assert len(decomposed) == len(composed) + 1


def test_nul_rejected():
    with pytest.raises(ValidationError) as caught:
        check_text("before\x00after", field="messages.0.content")

    assert len(caught.value.errors) == 1
    error = caught.value.errors[0]
    assert error.field == "messages.0.content"
    assert error.message.startswith("contains a NUL character (U+0000) at offset 6.")
    assert "Remove NUL characters" in error.message


def test_several_nuls_counted():
    (error,) = find_text_errors("\x00a\x00\x00", field="name")

    assert error.message.startswith("contains 3 NUL characters (U+0000), the first at offset 0.")


@pytest.mark.parametrize("code_point", [0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xD83D], ids=hex)
def test_lone_surrogate_rejected(code_point):
    with pytest.raises(ValidationError) as caught:
        check_text(f"ab{chr(code_point)}c", field="description")

    error = caught.value.errors[0]
    assert error.field == "description"
    assert error.message.startswith(
        f"contains a surrogate code point (U+{code_point:04X}) at offset 2,"
    )
    assert "valid UTF-8" in error.message


def test_surrogate_pair_as_two_code_points_rejected():
    # Python's json module joins a valid escaped pair into one code point.
    # Two separate surrogates in a str still cannot be encoded as UTF-8.
    (error,) = find_text_errors("\ud83d\ude00", field="name")

    assert error.message.startswith("contains 2 surrogate code points, the first (U+D83D)")


def test_nul_and_surrogate_both_reported():
    errors = find_text_errors("\x00\udc00", field="name")

    assert [error.field for error in errors] == ["name", "name"]
    assert "NUL" in errors[0].message
    assert "surrogate" in errors[1].message


@given(st.text())
def test_valid_text_accepted(value):
    # Hypothesis's default alphabet has no surrogates, so only NUL can be bad.
    errors = find_text_errors(value, field="content")

    assert (errors == []) == ("\x00" not in value)


@given(st.text(alphabet=st.characters(exclude_categories=())))
def test_any_text_never_crashes(value):
    errors = find_text_errors(value, field="content")

    has_bad_character = any(char == "\x00" or 0xD800 <= ord(char) <= 0xDFFF for char in value)
    assert bool(errors) == has_bad_character
    for error in errors:
        error.message.encode("utf-8")


# Length and emptiness


@pytest.mark.parametrize("limit", [1, MAX_NAME_LENGTH, MAX_DESCRIPTION_LENGTH, MAX_MESSAGE_LENGTH])
def test_length_limit_boundary(limit):
    assert check_text("x" * limit, field="name", max_length=limit) == "x" * limit

    with pytest.raises(ValidationError) as caught:
        check_text("x" * (limit + 1), field="name", max_length=limit)

    assert caught.value.errors == [
        FieldError("name", f"must be at most {limit} characters, got {limit + 1}")
    ]


def test_length_counts_code_points():
    family = "👩‍👩‍👧"

    assert len(family) == 5
    assert find_text_errors(family, field="name", max_length=5) == []
    assert len(find_text_errors(family, field="name", max_length=4)) == 1


def test_no_length_limit_by_default():
    assert find_text_errors("x" * 1_000_000, field="content") == []


def test_empty_allowed_by_default():
    assert check_text("", field="content") == ""


@pytest.mark.parametrize("value", ["", " ", "\t\n", "\u3000"])
def test_empty_rejected_when_required(value):
    errors = find_text_errors(value, field="name", allow_empty=False)

    assert errors == [FieldError("name", "must not be empty or contain only whitespace")]


def test_required_text_with_content_accepted():
    assert check_text(" a ", field="name", allow_empty=False) == " a "


def test_non_string_rejected():
    assert find_text_errors(12, field="name") == [FieldError("name", "must be a string, got int")]
    assert find_text_errors(None, field="name") == [
        FieldError("name", "must be a string, got NoneType")
    ]


def test_every_broken_rule_reported():
    errors = find_text_errors("  \x00 ", field="name", max_length=2, allow_empty=False)

    assert len(errors) == 2
    assert errors[0].message == "must be at most 2 characters, got 4"
    assert errors[1].message.startswith("contains a NUL character")


def test_errors_collected_across_fields():
    errors: list[FieldError] = []
    errors += find_text_errors("ok", field="name", max_length=MAX_NAME_LENGTH)
    errors += find_text_errors("", field="full_name", allow_empty=False)
    errors += find_text_errors("x\x00", field="description")

    assert [error.field for error in errors] == ["full_name", "description"]


# Limits


def test_default_limits():
    assert DEFAULT_TEXT_LIMITS == TextLimits(
        max_messages_per_prompt=100,
        max_message_length=100_000,
        max_prompt_length=400_000,
        max_name_length=200,
        max_description_length=5_000,
    )
    assert MAX_MESSAGES_PER_PROMPT == 100
    assert MAX_PROMPT_LENGTH == 400_000


def test_messages_within_limits_accepted():
    messages = [user_message("a" * 100_000)] * 4

    assert find_messages_errors(messages) == []


def test_messages_count_limit():
    limits = TextLimits(max_messages_per_prompt=3)

    assert find_messages_errors([user_message("x")] * 3, limits=limits) == []
    assert find_messages_errors([user_message("x")] * 4, limits=limits) == [
        FieldError("messages", "must contain at most 3 messages, got 4")
    ]


def test_messages_default_count_limit():
    assert find_messages_errors([user_message("x")] * 100) == []
    assert len(find_messages_errors([user_message("x")] * 101)) == 1


def test_messages_must_not_be_empty():
    assert find_messages_errors([]) == [FieldError("messages", "must contain at least one message")]


def test_message_length_limit():
    limits = TextLimits(max_message_length=10)
    messages = [user_message("x" * 10), user_message("x" * 11)]

    assert find_messages_errors(messages, limits=limits) == [
        FieldError("messages.1.content", "must be at most 10 characters, got 11")
    ]


def test_total_length_limit():
    limits = TextLimits(max_message_length=10, max_prompt_length=25)
    at_limit = [user_message("x" * 10)] * 2 + [user_message("x" * 5)]
    over_limit = [user_message("x" * 10)] * 2 + [user_message("x" * 6)]

    assert find_messages_errors(at_limit, limits=limits) == []
    assert find_messages_errors(over_limit, limits=limits) == [
        FieldError("messages", "must contain at most 25 characters in total, got 26")
    ]


def test_default_total_length_limit():
    messages = [user_message("x" * 100_000)] * 4 + [user_message("x")]

    assert find_messages_errors(messages) == [
        FieldError("messages", "must contain at most 400000 characters in total, got 400001")
    ]


def test_messages_errors_name_each_message():
    messages = [user_message("ok"), user_message("bad\x00"), user_message("\ud800")]

    errors = find_messages_errors(messages, field="body.messages")

    assert [error.field for error in errors] == [
        "body.messages.1.content",
        "body.messages.2.content",
    ]


def test_empty_message_content_allowed():
    assert find_messages_errors([Message(role=MessageRole.ASSISTANT, content="")]) == []
