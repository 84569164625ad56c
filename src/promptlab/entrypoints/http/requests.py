"""A request class that reports NUL and lone surrogates in a JSON body as invalid fields.

JSON may escape a UTF-16 surrogate without its other half (`"\\ud800"`). Python's
`json` module decodes that into a str holding a lone surrogate, while msgspec,
which Litestar uses, rejects the whole body as malformed. Neither is what a
client needs: such text cannot be stored as UTF-8, and the client should learn
which field contains it. The escape `\\u0000` decodes to NUL, which PostgreSQL
cannot store in text or jsonb. This request turns both cases into a 422
naming each field, whichever route the body is for.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, SerializationException

from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.sessions import printable_key
from promptlab.domain.text import find_text_errors

ROOT_FIELD = "body"
# msgspec gives up with a RecursionError a little below 1,000 levels; no
# endpoint takes more than a handful.
MAX_NESTING = 500
NUL_ESCAPE = b"\\u0000"


class StrictTextRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        """Decode the JSON body, raising ValidationError for text no field may contain.

        A body that is malformed for another reason keeps Litestar's error,
        which the app reports as a 400.
        """
        body = await self.body()
        try:
            document = await super().json()
        except RecursionError:
            raise ClientException(
                f"The request body nests JSON too deeply. Send at most {MAX_NESTING} levels."
            ) from None
        except SerializationException as error:
            errors = find_invalid_text(body)
            if errors:
                raise ValidationError(errors) from None
            if "Number out of range" in str(error):
                return _decode_out_of_range_numbers(body, error)
            raise

        # JSON requires control characters in strings to be escaped, and
        # msgspec rejects a raw NUL byte, so a body without the escape has no
        # NUL and needs no walk.
        if NUL_ESCAPE in await self.body():
            errors = _find_in_document(document)
            if errors:
                raise ValidationError(errors)
        return document


def find_invalid_text(body: bytes) -> list[FieldError]:
    """Return an error for each string or key in a JSON body that breaks the text rules.

    Returns an empty list when the body is not JSON even to Python's lenient
    decoder, so the caller keeps its own error for it.
    """
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return []

    return _find_in_document(document)


def _find_in_document(document: object) -> list[FieldError]:
    errors: list[FieldError] = []
    try:
        _collect(document, "", errors)
    except RecursionError:
        # Too deep to walk, so the route's own validation decides.
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


def _decode_out_of_range_numbers(body: bytes, error: SerializationException) -> Any:
    """Decode a body whose numbers overflow a float, such as 1e309, as infinities.

    msgspec rejects the whole body without naming the field; Python's decoder
    yields `inf`, so the endpoint's own validation names the field and its range.
    """
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise error from None
