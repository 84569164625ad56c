"""Time limits and retry settings of a provider call."""

from __future__ import annotations

import attrs

from promptlab.domain.text import MAX_PROMPT_LENGTH

# The reaper treats a log as abandoned only this long after the worker's own
# deadline, so a worker that hits its deadline still records its own outcome.
DEADLINE_GRACE_SECONDS = 10.0


@attrs.frozen(kw_only=True)
class ExecutionPolicy:
    """How long and how often one execution may try its provider. Times are in seconds.

    `attempt_timeout` bounds one attempt (for a stream: the wait for each
    event); `deadline` bounds the whole execution, retries and waits included.
    A Retry-After longer than `retry_after_cap` ends the retries, because an
    earlier attempt would be rejected again. Other retryable failures wait an
    exponential backoff from `backoff_initial` up to `backoff_max`, with jitter.
    `max_rendered_length` bounds the characters of all rendered messages, so
    variable values cannot grow a prompt past the limit its template has.
    """

    attempt_timeout: float = 60.0
    deadline: float = 300.0
    max_attempts: int = 3
    retry_after_cap: float = 30.0
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    max_rendered_length: int = MAX_PROMPT_LENGTH

    def __attrs_post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name in ("attempt_timeout", "deadline"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
