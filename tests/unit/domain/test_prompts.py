"""Checks of a new prompt's text: content or messages, limits, templates, names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptlab.domain.errors import ValidationError
from promptlab.domain.messages import Message, MessageRole
from promptlab.domain.prompts import check_prompt_text
from promptlab.domain.text import TextLimits


def message(role: MessageRole, content: str) -> Message:
    return Message(role=role, content=content)


def errors_of(**arguments) -> list[tuple[str, str]]:
    arguments.setdefault("messages", None)
    arguments.setdefault("content", None)
    arguments.setdefault("name", None)
    with pytest.raises(ValidationError) as caught:
        check_prompt_text(**arguments)
    return [(error.field, error.message) for error in caught.value.errors]


def test_content_is_one_user_message():
    text = check_prompt_text(messages=None, content="Hi {{ who }}", name=None)

    assert text.messages == (message(MessageRole.USER, "Hi {{ who }}"),)
    assert text.variables == ("who",)


def test_variables_unique_in_first_order():
    text = check_prompt_text(
        messages=[
            message(MessageRole.SYSTEM, "You help {{user}} with {{topic}}."),
            message(MessageRole.USER, "{{topic}}: {{ question }} from {{user}}"),
        ],
        content=None,
        name="Support",
    )

    assert text.variables == ("user", "topic", "question")


def test_content_and_messages_together_rejected():
    errors = errors_of(messages=[message(MessageRole.USER, "a")], content="b")

    assert [field for field, _ in errors] == ["content"]
    assert "not both" in errors[0][1]


def test_neither_content_nor_messages_rejected():
    errors = errors_of()

    assert [field for field, _ in errors] == ["messages"]


def test_empty_messages_rejected():
    errors = errors_of(messages=[])

    assert [field for field, _ in errors] == ["messages"]


def test_template_error_names_message_and_offset():
    errors = errors_of(
        messages=[message(MessageRole.SYSTEM, "fine"), message(MessageRole.USER, "ab {{ x.y }}")]
    )

    assert [field for field, _ in errors] == ["messages.1.content"]
    assert "offset 3" in errors[0][1]


def test_content_errors_name_content():
    errors = errors_of(content="x\x00 {{ 1 }}")

    assert [field for field, _ in errors] == ["content"]
    assert "NUL" in errors[0][1]


def test_content_template_error_names_content():
    errors = errors_of(content="{{ unclosed")

    assert [field for field, _ in errors] == ["content"]
    assert "offset 0" in errors[0][1]


def test_name_and_text_errors_reported_together():
    errors = errors_of(content="\ud800", name="")

    assert sorted(field for field, _ in errors) == ["content", "name"]


def test_limits_at_n_and_n_plus_one():
    limits = TextLimits(max_messages_per_prompt=2, max_message_length=4, max_prompt_length=6)
    user = MessageRole.USER

    at_limit = [message(user, "abcd"), message(user, "ef")]
    assert (
        len(check_prompt_text(messages=at_limit, content=None, name=None, limits=limits).messages)
        == 2
    )

    too_many = [message(user, "a")] * 3
    assert [f for f, _ in errors_of(messages=too_many, limits=limits)] == ["messages"]

    too_long = [message(user, "abcde")]
    assert [f for f, _ in errors_of(messages=too_long, limits=limits)] == ["messages.0.content"]

    too_much = [message(user, "abcd"), message(user, "efg")]
    assert [f for f, _ in errors_of(messages=too_much, limits=limits)] == ["messages"]


# Text without NUL, surrogates or braces has no template syntax to reject.
plain_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00{}"),
    max_size=200,
)


@given(plain_text, plain_text)
def test_text_kept_exactly(system, user):
    messages = [message(MessageRole.SYSTEM, system), message(MessageRole.USER, user)]

    text = check_prompt_text(messages=messages, content=None, name=None)

    assert [m.content.encode("utf-8") for m in text.messages] == [
        system.encode("utf-8"),
        user.encode("utf-8"),
    ]
    assert text.variables == ()
