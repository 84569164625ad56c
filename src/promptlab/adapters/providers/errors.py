"""Translation of HTTP statuses and transport failures into ProviderError.

Both HTTP adapters share these rules so that a 429 or a dropped connection
means the same thing whichever provider sent it.
"""

from __future__ import annotations

import email.utils
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime

import aiohttp

from promptlab.application.ports.model_provider import ProviderError, ProviderErrorCode

# Upstream error messages are quoted in ours so that a user can see why a
# request was rejected, but only this much of them.
MAX_UPSTREAM_MESSAGE_LENGTH = 300

# Statuses after which the same request may succeed later.
RETRYABLE_SERVER_STATUSES = frozenset({500, 502, 503, 504})

# Anthropic's status for "overloaded_error". No other provider is known to use it.
OVERLOADED_STATUS = 529

_STATUS_CODES: dict[int, tuple[str, str]] = {
    400: (ProviderErrorCode.BAD_REQUEST, "bad request"),
    401: (ProviderErrorCode.AUTHENTICATION_FAILED, "authentication failed"),
    403: (ProviderErrorCode.PERMISSION_DENIED, "permission denied"),
    404: (ProviderErrorCode.NOT_FOUND, "model or endpoint not found"),
    408: (ProviderErrorCode.TIMEOUT, "request timed out"),
    413: (ProviderErrorCode.BAD_REQUEST, "request too large"),
    422: (ProviderErrorCode.BAD_REQUEST, "unprocessable request"),
    429: (ProviderErrorCode.RATE_LIMITED, "rate limited"),
    OVERLOADED_STATUS: (ProviderErrorCode.OVERLOADED, "overloaded"),
}

_RETRYABLE_CODES = frozenset(
    {
        ProviderErrorCode.TIMEOUT,
        ProviderErrorCode.CONNECTION_FAILED,
        ProviderErrorCode.RATE_LIMITED,
        ProviderErrorCode.OVERLOADED,
        ProviderErrorCode.SERVER_ERROR,
    }
)


def redact(text: str, secret: str | None) -> str:
    """Return `text` with every occurrence of `secret` replaced, so no key leaks into a message."""
    if not secret:
        return text
    return text.replace(secret, "[redacted]")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header: delay seconds or an HTTP-date, as RFC 9110 allows.

    Returns the wait in seconds, 0 for a date in the past, or None when the
    header is missing or unreadable.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None

    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        if not math.isfinite(seconds) or seconds < 0:
            return None
        return seconds

    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        # HTTP-dates are always GMT, but parsedate_to_datetime returns a
        # naive datetime for the obsolete "-0000" zone.
        moment = moment.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (moment - current).total_seconds())


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """Return the wait a provider requested, from `retry-after` (any case) or `retry-after-ms`."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        parsed = parse_retry_after(milliseconds)
        if parsed is not None:
            return parsed / 1000
    return parse_retry_after(headers.get("retry-after"))


def upstream_error_message(body: bytes | str) -> str | None:
    """Extract the human-readable message from an OpenAI or Anthropic error body.

    Both wrap it as `{"error": {"message": ...}}`. Plain-text bodies are
    returned as they are, so a proxy's error page is not lost.
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    text = text.strip()
    if not text:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return _shorten(text)

    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return _shorten(error["message"])
        if isinstance(error, str):
            return _shorten(error)
        if isinstance(parsed.get("message"), str):
            return _shorten(parsed["message"])
        if isinstance(parsed.get("detail"), str):
            return _shorten(parsed["detail"])
    return _shorten(text)


def error_from_status(
    provider: str,
    status: int,
    *,
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str | None,
) -> ProviderError:
    """Classify an HTTP error response from `provider`."""
    code, retryable = classify_status(status)
    _, summary = _describe_status(status)
    retry_after = retry_after_from_headers(headers) if retryable else None

    message = f"Provider '{provider}' returned HTTP {status} ({summary})."
    upstream = upstream_error_message(body)
    if upstream:
        message = f"{message[:-1]}: {upstream}"
    if retry_after is not None:
        message = f"{message.rstrip('.')}. The provider requested a retry after {retry_after:g} s."

    return ProviderError(
        code,
        redact(message, secret),
        status=status,
        retryable=retryable,
        retry_after=retry_after,
    )


def error_from_transport(
    provider: str,
    error: aiohttp.ClientError,
    *,
    url: str,
    connect_timeout: float,
    timeout: float,
    secret: str | None,
) -> ProviderError:
    """Classify a failure to exchange a request and response with `provider`.

    `connect_timeout` is the limit on opening a connection and `timeout` the
    limit on the whole attempt, each in seconds.
    """
    retryable = True
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        message = (
            f"Could not connect to provider '{provider}' at {url} within {connect_timeout:g} s."
        )
    elif isinstance(error, aiohttp.ServerTimeoutError):
        return timeout_error(provider, timeout)
    elif isinstance(error, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        message = f"Provider '{provider}' has an unusable base URL {url}: use http:// or https://."
        retryable = False
    elif isinstance(error, aiohttp.ClientConnectorError):
        message = f"Could not connect to provider '{provider}' at {url}: {_describe(error)}."
    else:
        message = (
            f"The connection to provider '{provider}' failed before a complete response "
            f"arrived: {_describe(error)}."
        )
    return ProviderError(
        ProviderErrorCode.CONNECTION_FAILED, redact(message, secret), retryable=retryable
    )


def timeout_error(provider: str, timeout: float) -> ProviderError:
    return ProviderError(
        ProviderErrorCode.TIMEOUT,
        f"Provider '{provider}' did not respond within {timeout:g} s.",
        retryable=True,
    )


def stream_timeout_error(provider: str, timeout: float) -> ProviderError:
    return ProviderError(
        ProviderErrorCode.TIMEOUT,
        f"Provider '{provider}' sent no stream event within {timeout:g} s.",
        retryable=True,
    )


def stream_interrupted_error(provider: str, reason: str) -> ProviderError:
    """Build the error for a stream that ended before its final event.

    Not retryable: the caller has already received part of the output, so a
    new attempt would repeat it.
    """
    return ProviderError(
        ProviderErrorCode.STREAM_INTERRUPTED,
        f"The stream from provider '{provider}' ended before its final event: {reason}.",
        retryable=False,
    )


def invalid_response_error(
    provider: str, reason: str, *, status: int | None = None
) -> ProviderError:
    return ProviderError(
        ProviderErrorCode.INVALID_RESPONSE,
        f"Provider '{provider}' sent a response that could not be read: {reason}.",
        status=status,
        retryable=False,
    )


def classify_status(status: int) -> tuple[str, bool]:
    """Return the ProviderErrorCode for an HTTP error status and whether a retry may succeed."""
    code, _ = _describe_status(status)
    if code == ProviderErrorCode.SERVER_ERROR:
        # 501 Not Implemented or 505 will not change on a second attempt.
        return code, status in RETRYABLE_SERVER_STATUSES
    return code, code in _RETRYABLE_CODES


def _describe_status(status: int) -> tuple[str, str]:
    if status in _STATUS_CODES:
        return _STATUS_CODES[status]
    if status >= 500:
        return ProviderErrorCode.SERVER_ERROR, "server error"
    return ProviderErrorCode.BAD_REQUEST, "request rejected"


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_UPSTREAM_MESSAGE_LENGTH:
        return text[: MAX_UPSTREAM_MESSAGE_LENGTH - 3] + "..."
    return text


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__
