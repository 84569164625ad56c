"""Scripted behaviours that make the fake provider server misbehave for one request."""

from __future__ import annotations

import enum
from typing import Any

import attrs

# Long enough for any per-attempt timeout a test sets, short enough that a
# forgotten hang cannot stall a test run for long. Stopping the server ends
# every hang at once.
DEFAULT_HANG_SECONDS = 30.0


class BehaviorKind(enum.Enum):
    HANG = "hang"
    STATUS = "status"
    MALFORMED_JSON = "malformed_json"
    MISSING_FIELDS = "missing_fields"
    NO_USAGE = "no_usage"
    USAGE = "usage"
    CUT_STREAM = "cut_stream"
    END_STREAM_EARLY = "end_stream_early"
    STALL_STREAM = "stall_stream"
    STREAM_ERROR = "stream_error"
    NO_REQUEST_ID = "no_request_id"
    REPLY = "reply"


@attrs.frozen
class Behavior:
    """What the fake server does with the next request instead of responding normally.

    Build one with the class methods. Each applies to exactly one request.
    """

    kind: BehaviorKind
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None
    seconds: float = DEFAULT_HANG_SECONDS
    after_deltas: int = 0
    error_type: str | None = None
    usage: dict[str, int] | None = None
    words: tuple[str, ...] = ()

    @classmethod
    def hang(cls, seconds: float = DEFAULT_HANG_SECONDS) -> Behavior:
        """Send nothing for `seconds`, then respond normally."""
        return cls(BehaviorKind.HANG, seconds=seconds)

    @classmethod
    def error(
        cls,
        status: int,
        *,
        retry_after: str | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        error_type: str | None = None,
    ) -> Behavior:
        """Respond with an error status and the provider's error body for it.

        `retry_after` is sent as the Retry-After header. `body` replaces the
        default error body, while `error_type` only changes its type field.
        """
        header_items = dict(headers or {})
        if retry_after is not None:
            header_items["retry-after"] = retry_after
        return cls(
            BehaviorKind.STATUS,
            status=status,
            headers=tuple(header_items.items()),
            body=body,
            error_type=error_type,
        )

    @classmethod
    def malformed_json(cls) -> Behavior:
        """Respond 200 with a body that is not JSON (in a stream: one event that is not JSON)."""
        return cls(BehaviorKind.MALFORMED_JSON)

    @classmethod
    def missing_fields(cls) -> Behavior:
        """Respond 200 with a JSON object that lacks the fields every response must have."""
        return cls(BehaviorKind.MISSING_FIELDS)

    @classmethod
    def no_usage(cls) -> Behavior:
        """Respond normally but leave out usage, as some compatible servers do."""
        return cls(BehaviorKind.NO_USAGE)

    @classmethod
    def with_usage(cls, usage: dict[str, int]) -> Behavior:
        """Respond normally with these usage fields merged into the provider's usage object."""
        return cls(BehaviorKind.USAGE, usage=dict(usage))

    @classmethod
    def reply(cls, *words: str) -> Behavior:
        """Respond normally, but with these words as the output (joined by spaces)."""
        return cls(BehaviorKind.REPLY, words=words)

    @classmethod
    def without_request_id(cls) -> Behavior:
        """Respond normally but leave out the request-id header (x-request-id for OpenAI)."""
        return cls(BehaviorKind.NO_REQUEST_ID)

    @classmethod
    def cut_stream(cls, after_deltas: int = 2) -> Behavior:
        """Stream `after_deltas` text deltas, then drop the connection mid-body."""
        return cls(BehaviorKind.CUT_STREAM, after_deltas=after_deltas)

    @classmethod
    def end_stream_early(cls, after_deltas: int = 2) -> Behavior:
        """Stream `after_deltas` text deltas, then end the body cleanly without the final event."""
        return cls(BehaviorKind.END_STREAM_EARLY, after_deltas=after_deltas)

    @classmethod
    def stall_stream(cls, after_deltas: int = 2, seconds: float = DEFAULT_HANG_SECONDS) -> Behavior:
        """Stream `after_deltas` text deltas, then send nothing for `seconds`."""
        return cls(BehaviorKind.STALL_STREAM, after_deltas=after_deltas, seconds=seconds)

    @classmethod
    def stream_error(cls, error_type: str = "overloaded_error", after_deltas: int = 0) -> Behavior:
        """Stream `after_deltas` text deltas, then an error inside the 200 stream.

        Anthropic sends an `error` event, while OpenAI-compatible servers such as
        vLLM send a chunk holding an `error` object.
        """
        return cls(BehaviorKind.STREAM_ERROR, error_type=error_type, after_deltas=after_deltas)
