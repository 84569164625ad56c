"""A request class that reports lone surrogates in a JSON body as invalid fields.

JSON may escape a UTF-16 surrogate without its other half (`"\\ud800"`). Python's
`json` module decodes that into a str holding a lone surrogate, while msgspec,
which Litestar uses, rejects the whole body as malformed. Neither is what a
client needs: such text cannot be stored as UTF-8, and the client should learn
which field contains it. This request turns that case into a 422 naming each field.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.sessions import printable_key
from promptlab.domain.text import find_text_errors

ROOT_FIELD = "body"


class StrictTextRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        """Decode the JSON body, raising ValidationError for text no field may contain.

        A body that is malformed for another reason keeps Litestar's error,
        which the app reports as a 400.
        """
        try:
            return await super().json()
        except SerializationException:
            errors = find_invalid_text(await self.body())
            if errors:
                raise ValidationError(errors) from None
            raise


def find_invalid_text(body: bytes) -> list[FieldError]:
    """Return an error for each string or key in a JSON body that breaks the text rules.

    Returns an empty list when the body is not JSON even to Python's lenient
    decoder, so the caller keeps its own error for it.
    """
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return []

    errors: list[FieldError] = []
    try:
        _collect(document, "", errors)
    except RecursionError:
        return []
    return errors


def _collect(value: object, path: str, errors: list[FieldError]) -> None:
    if isinstance(value, str):
        errors.extend(find_text_errors(value, field=path or ROOT_FIELD))
    elif isinstance(value, dict):
        for key, item in value.items():
            item_path = _join(path, printable_key(key))
            for error in find_text_errors(key, field=item_path):
                errors.append(FieldError(item_path, f"the key {error.message}"))
            _collect(item, item_path, errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _collect(item, _join(path, str(index)), errors)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
