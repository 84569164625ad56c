"""Run a prompt on a model as a stream of output deltas, and record the execution log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing

import attrs

from promptlab.application.executions.outcomes import (
    cost_of,
    elapsed_ms,
    error_of,
    failed_outcome,
    internal_error,
    record_outcome_in_new_unit,
    run_to_completion,
)
from promptlab.application.executions.policy import ExecutionPolicy
from promptlab.application.executions.retries import (
    AttemptCounter,
    CallContext,
    Sleep,
    call_with_retries,
    deadline_error,
)
from promptlab.application.executions.starting import ExecutePromptCommand, ExecutionStarter
from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.model_provider import (
    ChatRequest,
    ModelCatalog,
    ModelProvider,
    ModelProviderRegistry,
    ProviderError,
    ProviderErrorCode,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from promptlab.application.ports.rate_limit import RateLimit, RateLimiter
from promptlab.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from promptlab.domain.catalog import ModelSpec
from promptlab.domain.executions import Execution, ExecutionOutcome, ExecutionStatus
from promptlab.domain.text import storable_text

logger = logging.getLogger(__name__)


@attrs.frozen
class ExecutionStarted:
    """The first update of a stream: the log as stored before the provider is called."""

    execution: Execution


@attrs.frozen
class OutputDelta:
    """A piece of output text, in arrival order."""

    text: str


@attrs.frozen
class ExecutionFinished:
    """The last update of a stream: the log as stored (for a replay, possibly still running)."""

    execution: Execution


StreamUpdate = ExecutionStarted | OutputDelta | ExecutionFinished


@attrs.frozen
class ExecutionStream:
    """The log as stored when the stream starts, and the stream's updates.

    Iterating `updates` runs the provider call: it yields ExecutionStarted,
    then OutputDelta pieces, then ExecutionFinished. Closing it early (the
    client went away) records the log as `cancelled` with the output so far.
    """

    execution: Execution
    updates: AsyncIterator[StreamUpdate]


@attrs.define
class _Progress:
    """The output a stream has produced so far, kept for a failed or cancelled outcome."""

    parts: list[str] = attrs.field(factory=list)
    first_token_at: float | None = None

    @property
    def output(self) -> str | None:
        return "".join(self.parts) if self.parts else None


class StreamPromptExecution:
    """Execute a prompt and stream its output, then its final log.

    Business rules, besides those of ExecutePrompt:
    - the stream starts with the log committed as `running`, so the client
      has its id before any output;
    - retries apply only before the first event arrives: once output was
      sent, a retry would send it again;
    - `time_to_first_token_ms` is measured from the first attempt's start to
      the first text delta;
    - a client that goes away mid-stream leaves the log `cancelled`, with the
      output received so far; that write is shielded from the cancellation;
    - writes after the start use their own unit of work from `uow_factory`,
      because the request's unit of work ends before the stream is sent.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        uow_factory: UnitOfWorkFactory,
        catalog: ModelCatalog,
        providers: ModelProviderRegistry,
        clock: Clock,
        ids: IdGenerator,
        policy: ExecutionPolicy,
        rate_limiter: RateLimiter,
        rate_limit: RateLimit | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._uow_factory = uow_factory
        self._providers = providers
        self._clock = clock
        self._policy = policy
        self._sleep = sleep
        self._starter = ExecutionStarter(
            uow,
            catalog=catalog,
            providers=providers,
            clock=clock,
            ids=ids,
            policy=policy,
            rate_limiter=rate_limiter,
            rate_limit=rate_limit,
        )

    async def __call__(self, command: ExecutePromptCommand) -> ExecutionStream:
        started = await self._starter.start(command, stream=True)
        if started.replayed or started.model is None:
            return ExecutionStream(started.execution, _replay(started.execution))
        return ExecutionStream(started.execution, self._run(started.execution, started.model))

    async def _run(self, execution: Execution, model: ModelSpec) -> AsyncIterator[StreamUpdate]:
        attempts = AttemptCounter()
        progress = _Progress()
        started = self._clock.monotonic()
        deadline = started + self._policy.deadline

        try:
            # Inside the try, so a client that leaves right after this update
            # still gets its log marked cancelled.
            yield ExecutionStarted(execution)
            try:
                provider = self._providers.get(model.provider)
                request = ChatRequest(
                    model=model.upstream_name,
                    messages=execution.messages,
                    parameters=execution.parameters,
                )
                events, event = await call_with_retries(
                    lambda timeout: _open_stream(provider, request, timeout),
                    policy=self._policy,
                    clock=self._clock,
                    deadline=deadline,
                    sleep=self._sleep,
                    context=CallContext(execution.id, model.provider, model.id),
                    attempts=attempts,
                )
                async with aclosing(events):
                    while isinstance(event, TextDelta):
                        if progress.first_token_at is None:
                            progress.first_token_at = self._clock.monotonic()
                        # Cleaned as the stored output is, so the deltas add up to it
                        # and every one can be encoded as UTF-8 for the client.
                        text = storable_text(event.text) or ""
                        progress.parts.append(text)
                        yield OutputDelta(text)
                        event = await self._next_event(events, deadline)
                outcome = self._succeeded(event, model, attempts, progress, started)
            except ProviderError as error:
                outcome = failed_outcome(
                    error_of(error),
                    attempts=attempts.count,
                    latency_ms=elapsed_ms(self._clock, started),
                    output=progress.output,
                    time_to_first_token_ms=self._first_token_ms(progress, started),
                )
            except Exception:
                logger.exception(
                    "Streamed execution %s on provider %s model %s raised an unexpected error",
                    execution.id,
                    model.provider,
                    model.id,
                )
                outcome = failed_outcome(
                    internal_error(execution),
                    attempts=attempts.count,
                    latency_ms=elapsed_ms(self._clock, started),
                    output=progress.output,
                    time_to_first_token_ms=self._first_token_ms(progress, started),
                )
        except (GeneratorExit, asyncio.CancelledError):
            logger.info(
                "Streamed execution %s was cancelled by its client after %d characters",
                execution.id,
                len(progress.output or ""),
            )
            cancelled = ExecutionOutcome(
                status=ExecutionStatus.CANCELLED,
                attempts=attempts.count,
                output=progress.output,
                latency_ms=elapsed_ms(self._clock, started),
                time_to_first_token_ms=self._first_token_ms(progress, started),
            )
            await run_to_completion(
                record_outcome_in_new_unit(self._uow_factory, execution, cancelled, self._clock)
            )
            raise

        final = await run_to_completion(
            record_outcome_in_new_unit(self._uow_factory, execution, outcome, self._clock)
        )
        yield ExecutionFinished(final)

    async def _next_event(self, events: AsyncIterator[StreamEvent], deadline: float) -> StreamEvent:
        remaining = deadline - self._clock.monotonic()
        if remaining <= 0:
            raise deadline_error(self._policy.deadline)
        try:
            async with asyncio.timeout(remaining):
                return await anext(events)
        except TimeoutError:
            raise deadline_error(self._policy.deadline) from None
        except StopAsyncIteration:
            raise _ended_early() from None

    def _succeeded(
        self,
        end: StreamEvent,
        model: ModelSpec,
        attempts: AttemptCounter,
        progress: _Progress,
        started: float,
    ) -> ExecutionOutcome:
        assert isinstance(end, StreamEnd)
        return ExecutionOutcome(
            status=ExecutionStatus.SUCCEEDED,
            attempts=attempts.count,
            output="".join(progress.parts),
            finish_reason=end.finish_reason,
            usage=end.usage,
            cost=cost_of(end.usage, model),
            latency_ms=elapsed_ms(self._clock, started),
            time_to_first_token_ms=self._first_token_ms(progress, started),
            provider_request_id=end.request_id,
        )

    def _first_token_ms(self, progress: _Progress, started: float) -> int | None:
        if progress.first_token_at is None:
            return None
        return max(0, round((progress.first_token_at - started) * 1000))


async def _open_stream(
    provider: ModelProvider, request: ChatRequest, timeout: float
) -> tuple[AsyncIterator[StreamEvent], StreamEvent]:
    """Start a stream and wait for its first event, the part of a stream that may be retried."""
    events = provider.stream(request, timeout=timeout)
    try:
        first = await anext(events)
    except StopAsyncIteration:
        await events.aclose()  # type: ignore[attr-defined]
        raise _ended_early() from None
    except BaseException:
        await events.aclose()  # type: ignore[attr-defined]
        raise
    return events, first


def _ended_early() -> ProviderError:
    return ProviderError(
        ProviderErrorCode.STREAM_INTERRUPTED,
        "The provider's stream ended before its final event.",
        retryable=False,
    )


async def _replay(execution: Execution) -> AsyncIterator[StreamUpdate]:
    yield ExecutionStarted(execution)
    yield ExecutionFinished(execution)
