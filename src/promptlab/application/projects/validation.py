"""Helpers that gather every invalid field of a command before raising."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from promptlab.domain.errors import FieldError, ValidationError

T = TypeVar("T")


def collect_field_errors(errors: list[FieldError], check: Callable[[], T]) -> T | None:
    """Run one check and return its value, or add its field errors to `errors` and return None.

    Callers raise one ValidationError after all checks, so a client learns
    about every invalid field at once.
    """
    try:
        return check()
    except ValidationError as error:
        errors.extend(error.errors)
        return None
