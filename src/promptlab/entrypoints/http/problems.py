"""RFC 9457 problem details for every error, mapped once at the HTTP edge."""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from promptlab.application.errors import (
    ApplicationError,
    AuthenticationError,
    IdempotencyMismatchError,
    InvalidCursorError,
    RateLimitedError,
    ServiceUnavailableError,
)
from promptlab.domain.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

logger = logging.getLogger(__name__)

_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_INDEX = re.compile(r"\[(\d+)\]")
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://promptlab.dev/problems/"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}

SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}


class FieldProblem(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details; `errors` lists invalid fields on a 422."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(
        type=PROBLEM_TYPE_BASE + SLUGS.get(status, "error"),
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        # The path as the client sent it: Litestar's own path drops the trailing slash.
        instance=request.scope.get("raw_path", b"").decode("latin-1") or request.url.path,
        errors=errors,
    )
    return Response(
        content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _status_of_domain(error: DomainError) -> int:
    if isinstance(error, ValidationError):
        return 422
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, PermissionDeniedError):
        return 403
    if isinstance(error, ConflictError):
        return 409
    return 400


def handle_domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[Problem]:
    if isinstance(error, ValidationError):
        errors = [FieldProblem(field=e.field, message=e.message) for e in error.errors]
        return problem_response(
            request, 422, "The request has invalid fields; see `errors`.", errors=errors
        )
    return problem_response(request, _status_of_domain(error), error.message)


def handle_application_error(
    request: Request[Any, Any, Any], error: ApplicationError
) -> Response[Problem]:
    if isinstance(error, AuthenticationError):
        return problem_response(
            request, 401, error.message, headers={"WWW-Authenticate": 'Bearer realm="promptlab"'}
        )
    if isinstance(error, RateLimitedError):
        return problem_response(
            request, 429, error.message, headers={"Retry-After": str(error.retry_after)}
        )
    if isinstance(error, InvalidCursorError):
        return problem_response(request, 400, error.message)
    if isinstance(error, ServiceUnavailableError):
        return problem_response(request, 503, error.message, headers={"Retry-After": "5"})
    if isinstance(error, IdempotencyMismatchError):
        errors = [FieldProblem(field="Idempotency-Key", message=error.message)]
        return problem_response(request, 422, error.message, errors=errors)
    logger.error("unmapped application error on %s: %s", request.url.path, error)
    return problem_response(request, 400, error.message)


def handle_validation_exception(
    request: Request[Any, Any, Any], error: ValidationException
) -> Response[Problem]:
    """Litestar's own validation: malformed JSON is 400, a wrongly typed or unknown field 422."""
    extra = error.extra if isinstance(error.extra, list) else []
    # Litestar passes no body at all to the handler's `data` when the request
    # has none, and reports the missing argument as the bare key "'data'".
    if any(isinstance(item, dict) and item.get("message") == "'data'" for item in extra):
        return problem_response(
            request,
            400,
            "The request body is empty. Send a JSON object with the fields this endpoint takes.",
        )
    errors: list[FieldProblem] = []
    for item in extra:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key") or "body")
        message = str(item.get("message") or "is invalid")
        if key.startswith("data"):
            key = key.removeprefix("data").lstrip(".") or "body"
        # msgspec writes list positions as `messages[0]`; domain errors write `messages.0`.
        key = _INDEX.sub(r".\1", key)
        # msgspec names an unknown or missing field only in the message, not in the key.
        named_field = _UNKNOWN_FIELD.search(message) or _MISSING_FIELD.search(message)
        if named_field:
            prefix = "" if key == "body" else key + "."
            key = prefix + named_field.group(1)
        errors.append(FieldProblem(field=key, message=_plain_message(message)))
    if not errors:
        return problem_response(request, 400, _plain_message(str(error.detail)))
    return problem_response(
        request, 422, "The request has invalid fields; see `errors`.", errors=errors
    )


def _plain_message(message: str) -> str:
    # msgspec reports "Object contains unknown field `x`"; the message also names the fix.
    if "unknown field" in message:
        return f"{message}; remove it, the field is not accepted here"
    return message


def handle_http_exception(
    request: Request[Any, Any, Any], error: HTTPException
) -> Response[Problem]:
    status = error.status_code
    detail = error.detail or TITLES.get(status, "Error")
    if status == 413:
        detail = "The request body is larger than this server accepts. Send a smaller body."
    if status == 400 and "JSON" in str(detail):
        detail = f"The request body is not valid JSON: {detail}"
    if isinstance(error, NotFoundException) and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}."
    headers = dict(error.headers or {})
    return problem_response(request, status, str(detail), headers=headers or None)


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "An unexpected error occurred. It has been logged; retry, or report it if it persists.",
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: handle_domain_error,
    ApplicationError: handle_application_error,
    ValidationException: handle_validation_exception,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
