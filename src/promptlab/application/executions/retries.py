"""Retrying provider calls: which failures are retried, how long to wait, when to stop."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential_jitter

from promptlab.application.executions.policy import ExecutionPolicy
from promptlab.application.ports.clock import Clock
from promptlab.application.ports.model_provider import ProviderError, ProviderErrorCode

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@attrs.frozen
class CallContext:
    """The ids that every log line about one execution's provider calls carries."""

    execution_id: uuid.UUID
    provider: str
    model: str


@attrs.define
class AttemptCounter:
    """Attempts made so far, kept outside the retry loop so a failure still reports them."""

    count: int = 0


def is_retryable(error: BaseException, policy: ExecutionPolicy) -> bool:
    """Return whether another attempt may succeed and is worth making.

    The adapters decide `retryable`: connection failures, timeouts, 429,
    500/502/503/504 and overload are; 400, 401, 403, 404, 422, unreadable
    responses and interrupted streams are not. A Retry-After beyond the cap
    is not honoured by waiting, so it ends the retries too.
    """
    if not isinstance(error, ProviderError) or not error.retryable:
        return False
    return error.retry_after is None or error.retry_after <= policy.retry_after_cap


def deadline_error(deadline_seconds: float) -> ProviderError:
    return ProviderError(
        ProviderErrorCode.TIMEOUT,
        f"The execution did not finish within its deadline of {deadline_seconds:g} s.",
        retryable=False,
    )


async def call_with_retries(
    operation: Callable[[float], Awaitable[T]],
    *,
    policy: ExecutionPolicy,
    clock: Clock,
    deadline: float,
    sleep: Sleep,
    context: CallContext,
    attempts: AttemptCounter,
) -> T:
    """Run `operation(timeout)` until it succeeds, fails for good, or time or attempts run out.

    `deadline` is a `clock.monotonic()` value. Each attempt gets the attempt
    timeout or the time left before the deadline, whichever is shorter. No
    attempt starts when the wait before it would pass the deadline. Raises the
    last ProviderError (or any other exception of `operation`) unchanged.
    """
    backoff = wait_exponential_jitter(
        multiplier=policy.backoff_initial, max=policy.backoff_max, jitter=policy.backoff_initial
    )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ProviderError) and error.retry_after is not None:
            return error.retry_after
        return backoff(state)

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        return clock.monotonic() + (state.upcoming_sleep or 0.0) >= deadline

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        code = error.code if isinstance(error, ProviderError) else type(error).__name__
        logger.warning(
            "Retrying execution %s on provider %s model %s after error %s "
            "(attempt %d of %d failed, waiting %.2f s)",
            context.execution_id,
            context.provider,
            context.model,
            code,
            state.attempt_number,
            policy.max_attempts,
            state.upcoming_sleep,
        )

    retrying = AsyncRetrying(
        sleep=sleep,
        stop=stop,
        wait=wait,
        retry=retry_if_exception(lambda error: is_retryable(error, policy)),
        before_sleep=log_retry,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            attempts.count += 1
            return await _one_attempt(operation, policy=policy, clock=clock, deadline=deadline)
    raise AssertionError("tenacity ends the loop by returning or raising")  # pragma: no cover


async def _one_attempt(
    operation: Callable[[float], Awaitable[T]],
    *,
    policy: ExecutionPolicy,
    clock: Clock,
    deadline: float,
) -> T:
    remaining = deadline - clock.monotonic()
    if remaining <= 0:
        raise deadline_error(policy.deadline)
    timeout = min(policy.attempt_timeout, remaining)

    # The adapters bound their own waits by `timeout`. This outer bound covers
    # an adapter that misses it, and its second of slack lets the adapter's own,
    # more precise error win in the normal case.
    try:
        async with asyncio.timeout(timeout + 1.0):
            return await operation(timeout)
    except TimeoutError:
        raise ProviderError(
            ProviderErrorCode.TIMEOUT,
            f"The provider did not respond within {timeout:g} s.",
            retryable=True,
        ) from None
