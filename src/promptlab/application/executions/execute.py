"""Run a prompt on a model and record the execution log."""

from __future__ import annotations

import asyncio
import logging

from promptlab.application.executions.outcomes import (
    cost_of,
    elapsed_ms,
    error_of,
    failed_outcome,
    internal_error,
    record_outcome,
)
from promptlab.application.executions.policy import ExecutionPolicy
from promptlab.application.executions.retries import (
    AttemptCounter,
    CallContext,
    Sleep,
    call_with_retries,
)
from promptlab.application.executions.starting import ExecutePromptCommand, ExecutionStarter
from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.model_provider import (
    ChatRequest,
    ModelCatalog,
    ModelProviderRegistry,
    ProviderError,
)
from promptlab.application.ports.rate_limit import RateLimit, RateLimiter
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.catalog import ModelSpec
from promptlab.domain.executions import Execution, ExecutionOutcome, ExecutionStatus

logger = logging.getLogger(__name__)


class ExecutePrompt:
    """Execute a prompt and return its log, `succeeded` or `failed`.

    Business rules:
    - everything ExecutionStarter checks (access, archived project, closed
      session, model, parameters, variables, Idempotency-Key, rate limit);
      a replayed Idempotency-Key returns the earlier log without a call;
    - the log is committed as `running` before the provider is called;
    - only retryable provider failures are retried, at most
      `policy.max_attempts` times and within `policy.deadline`; `attempts`
      counts every call made;
    - the outcome is written exactly once, and only while the log is still
      running, so the reaper and this worker never both record one;
    - a provider failure is recorded as `failed` with its code, message and
      HTTP status, never raised to the client;
    - cost comes from catalog prices and is None when usage or a price is
      unknown.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        catalog: ModelCatalog,
        providers: ModelProviderRegistry,
        clock: Clock,
        ids: IdGenerator,
        policy: ExecutionPolicy,
        rate_limiter: RateLimiter,
        rate_limit: RateLimit | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._uow = uow
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

    async def __call__(self, command: ExecutePromptCommand) -> Execution:
        started = await self._starter.start(command, stream=False)
        if started.replayed or started.model is None:
            return started.execution

        # NOTE: if this request is cancelled (server shutdown) before the
        # outcome is written, the log stays running until the reaper marks
        # it interrupted after its deadline.
        outcome = await self._call_provider(started.execution, started.model)
        return await record_outcome(self._uow, started.execution, outcome, self._clock)

    async def _call_provider(self, execution: Execution, model: ModelSpec) -> ExecutionOutcome:
        attempts = AttemptCounter()
        started = self._clock.monotonic()
        try:
            provider = self._providers.get(model.provider)
            request = ChatRequest(
                model=model.upstream_name,
                messages=execution.messages,
                parameters=execution.parameters,
            )
            response = await call_with_retries(
                lambda timeout: provider.complete(request, timeout=timeout),
                policy=self._policy,
                clock=self._clock,
                deadline=started + self._policy.deadline,
                sleep=self._sleep,
                context=CallContext(execution.id, model.provider, model.id),
                attempts=attempts,
            )
        except ProviderError as error:
            logger.info(
                "Execution %s on provider %s model %s failed with %s after %d attempts",
                execution.id,
                model.provider,
                model.id,
                error.code,
                attempts.count,
            )
            return failed_outcome(
                error_of(error),
                attempts=attempts.count,
                latency_ms=elapsed_ms(self._clock, started),
            )
        except Exception:
            logger.exception(
                "Execution %s on provider %s model %s raised an unexpected error",
                execution.id,
                model.provider,
                model.id,
            )
            return failed_outcome(
                internal_error(execution),
                attempts=attempts.count,
                latency_ms=elapsed_ms(self._clock, started),
            )

        return ExecutionOutcome(
            status=ExecutionStatus.SUCCEEDED,
            attempts=attempts.count,
            output=response.text,
            finish_reason=response.finish_reason,
            usage=response.usage,
            cost=cost_of(response.usage, model),
            latency_ms=elapsed_ms(self._clock, started),
            provider_request_id=response.request_id,
        )
