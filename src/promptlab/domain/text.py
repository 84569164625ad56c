"""Rules for text that users send: allowed characters and length limits.

Text is stored exactly as received. Nothing here normalizes Unicode, trims
whitespace or changes line endings, so a prompt runs with the text its author
wrote. Lengths count Unicode code points, which is what `len()` returns: an
emoji with a skin tone modifier counts as 2, and a letter followed by a
combining accent counts as 2.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.messages import Message

MAX_MESSAGES_PER_PROMPT = 100
MAX_MESSAGE_LENGTH = 100_000
MAX_PROMPT_LENGTH = 400_000
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5_000

_SURROGATE = re.compile("[\ud800-\udfff]")


@attrs.frozen
class TextLimits:
    """Length limits for prompt text, in code points. A deployment may pass other values."""

    max_messages_per_prompt: int = MAX_MESSAGES_PER_PROMPT
    max_message_length: int = MAX_MESSAGE_LENGTH
    max_prompt_length: int = MAX_PROMPT_LENGTH
    """Maximum sum of the content lengths of all messages of one prompt."""
    max_name_length: int = MAX_NAME_LENGTH
    max_description_length: int = MAX_DESCRIPTION_LENGTH


DEFAULT_TEXT_LIMITS = TextLimits()


def find_text_errors(
    value: object,
    *,
    field: str,
    max_length: int | None = None,
    allow_empty: bool = True,
) -> list[FieldError]:
    """Return an error for each rule that `value` breaks, or an empty list.

    The rules:

    - `value` is a str.
    - Unless `allow_empty` is set, it is neither empty nor only whitespace.
    - It has at most `max_length` code points, when `max_length` is given.
    - It contains no NUL character, because PostgreSQL cannot store NUL in
      text, and no surrogate code point, because a surrogate cannot be encoded
      as UTF-8. Both are rejected on every database, so all behave the same.
    """
    if not isinstance(value, str):
        return [FieldError(field, f"must be a string, got {type(value).__name__}")]

    errors: list[FieldError] = []
    if not allow_empty and (value == "" or value.isspace()):
        errors.append(FieldError(field, "must not be empty or contain only whitespace"))

    if max_length is not None and len(value) > max_length:
        errors.append(
            FieldError(field, f"must be at most {max_length} characters, got {len(value)}")
        )

    nul_offset = value.find("\x00")
    if nul_offset != -1:
        errors.append(FieldError(field, _describe_nul(value, nul_offset)))

    surrogate = _SURROGATE.search(value)
    if surrogate is not None:
        errors.append(FieldError(field, _describe_surrogate(value, surrogate)))

    return errors


def check_text(
    value: str,
    *,
    field: str,
    max_length: int | None = None,
    allow_empty: bool = True,
) -> str:
    """Return `value` unchanged, or raise ValidationError with every rule it breaks.

    The rules are those of `find_text_errors`.
    """
    errors = find_text_errors(value, field=field, max_length=max_length, allow_empty=allow_empty)
    if errors:
        raise ValidationError(errors)
    return value


def find_messages_errors(
    messages: Sequence[Message],
    *,
    field: str = "messages",
    limits: TextLimits = DEFAULT_TEXT_LIMITS,
) -> list[FieldError]:
    """Return an error for each text rule that the messages of one prompt break.

    A prompt has at least one message and at most `max_messages_per_prompt`.
    Each content follows `find_text_errors` with `max_message_length` and may
    be empty, and all contents together have at most `max_prompt_length`
    code points. Errors for message 2 have the field `messages.2.content`
    when `field` is `messages`.
    """
    errors: list[FieldError] = []
    if not messages:
        errors.append(FieldError(field, "must contain at least one message"))
    elif len(messages) > limits.max_messages_per_prompt:
        errors.append(
            FieldError(
                field,
                f"must contain at most {limits.max_messages_per_prompt} messages, "
                f"got {len(messages)}",
            )
        )

    total = 0
    for index, message in enumerate(messages):
        errors.extend(
            find_text_errors(
                message.content,
                field=f"{field}.{index}.content",
                max_length=limits.max_message_length,
            )
        )
        if isinstance(message.content, str):
            total += len(message.content)

    if total > limits.max_prompt_length:
        errors.append(
            FieldError(
                field,
                f"must contain at most {limits.max_prompt_length} characters in total, got {total}",
            )
        )
    return errors


def _describe_nul(value: str, offset: int) -> str:
    count = value.count("\x00")
    found = (
        f"contains a NUL character (U+0000) at offset {offset}"
        if count == 1
        else f"contains {count} NUL characters (U+0000), the first at offset {offset}"
    )
    return (
        f"{found}. Remove NUL characters, because PostgreSQL text cannot contain them "
        "and every database follows the same rule."
    )


def _describe_surrogate(value: str, first: re.Match[str]) -> str:
    count = sum(1 for _ in _SURROGATE.finditer(value, first.start()))
    code = f"U+{ord(first.group()):04X}"
    found = (
        f"contains a surrogate code point ({code}) at offset {first.start()}"
        if count == 1
        else f"contains {count} surrogate code points, the first ({code}) at offset {first.start()}"
    )
    return (
        f"{found}, which is not valid Unicode text. Send valid UTF-8. In JSON, a \\u escape "
        "for a character outside the Basic Multilingual Plane needs both halves of its "
        "surrogate pair."
    )


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str | None, *, max_length: int | None = None) -> str | None:
    """Return text from outside (provider output) in a form both databases can store.

    NUL and lone surrogates become U+FFFD, the replacement character, and text
    longer than `max_length` is cut. Unlike user input, provider output cannot
    be rejected: the call already happened and its log must be kept.
    """
    if value is None:
        return None
    cleaned = _UNSTORABLE.sub("\ufffd", value)
    if max_length is not None and len(cleaned) > max_length:
        cleaned = cleaned[:max_length]
    return cleaned
