"""The first half of every execution: check, resolve, render, and store the running log.

Plain and streamed executions share it, so both enforce the same rules and
leave the same evidence before any provider is called.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

import attrs

from promptlab.application.errors import IdempotencyMismatchError
from promptlab.application.executions.policy import DEADLINE_GRACE_SECONDS, ExecutionPolicy
from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.executions import DuplicateIdempotencyKeyError
from promptlab.application.ports.model_provider import ModelCatalog, ModelProviderRegistry
from promptlab.application.ports.rate_limit import RateLimit, RateLimiter
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.application.rate_limits import enforce_rate_limit
from promptlab.domain.accounts import User
from promptlab.domain.catalog import ModelSpec
from promptlab.domain.errors import FieldError, NotFoundError, ValidationError
from promptlab.domain.executions import Execution, ExecutionStatus
from promptlab.domain.messages import Message
from promptlab.domain.parameters import GenerationParameters, validate_parameters
from promptlab.domain.projects import ProjectAction
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession
from promptlab.domain.templates import parse_messages, render_messages

MAX_IDEMPOTENCY_KEY_LENGTH = 255
IDEMPOTENCY_KEY_FIELD = "Idempotency-Key"


@attrs.frozen(kw_only=True)
class ExecutePromptCommand:
    """One request to run a prompt. `model` and `parameters` are as the client sent them;
    None and unset fields fall back to the session's defaults."""

    user: User
    project_id: uuid.UUID
    session_id: uuid.UUID
    prompt_id: uuid.UUID
    model: str | None = None
    variables: dict[str, str] = attrs.field(factory=dict)
    parameters: GenerationParameters = attrs.field(factory=GenerationParameters)
    idempotency_key: str | None = None


@attrs.frozen
class StartedExecution:
    """A running log ready for its provider call, or, when `replayed`, the log that an
    earlier request with the same Idempotency-Key created (in any status)."""

    execution: Execution
    model: ModelSpec | None
    replayed: bool


def request_fingerprint(command: ExecutePromptCommand, *, stream: bool) -> str:
    """Return the SHA-256 of the request's canonical JSON, so a reused Idempotency-Key can be
    matched against the body it was first sent with."""
    document = {
        "prompt": str(command.prompt_id),
        "model": command.model,
        "variables": command.variables,
        "parameters": command.parameters.to_dict(),
        "stream": stream,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def validate_idempotency_key(key: str) -> None:
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValidationError(
            FieldError(
                IDEMPOTENCY_KEY_FIELD,
                f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters, got {len(key)}",
            )
        )
    if not all(" " <= character <= "~" for character in key):
        raise ValidationError(
            FieldError(IDEMPOTENCY_KEY_FIELD, "must contain only printable ASCII characters")
        )


class ExecutionStarter:
    """Checks an execute request and stores its log as `running`, committed.

    Rules, in order:
    - each user may start `rate_limit` executions per window (429);
    - the caller needs the editor role or higher (403), on a project that is
      not archived (409), and the session and prompt must exist in it (404);
    - a reused Idempotency-Key with the same request returns the earlier log
      whatever its status, without a second provider call; with a different
      request it is rejected (422);
    - the session must be active (409);
    - the model is the request's, else the session's default (422 when
      neither is set or the id is not in the catalog), and its provider must
      be configured (422 saying how to configure it);
    - parameters are the session defaults overridden by the request's, within
      the model's limits (422 under `parameters`);
    - every placeholder needs a value and every value a placeholder (422 under
      `variables` listing all of them), and the rendered messages stay within
      the prompt length limit (422 under `variables`);
    - the log is committed before the provider is called, so a crash leaves
      evidence for the reaper, and no database connection is held meanwhile.
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
        rate_limit: RateLimit | None,
    ) -> None:
        self._uow = uow
        self._catalog = catalog
        self._providers = providers
        self._clock = clock
        self._ids = ids
        self._policy = policy
        self._rate_limiter = rate_limiter
        self._rate_limit = rate_limit

    async def start(self, command: ExecutePromptCommand, *, stream: bool) -> StartedExecution:
        if command.idempotency_key is not None:
            validate_idempotency_key(command.idempotency_key)
        if self._rate_limit is not None:
            await enforce_rate_limit(
                self._rate_limiter, self._rate_limit, f"execute:user:{command.user.id}"
            )

        access = await load_project_access(self._uow, command.project_id, command.user)
        access.require(ProjectAction.EXECUTE)
        session, prompt = await self._load_session_and_prompt(command)

        fingerprint = request_fingerprint(command, stream=stream)
        if command.idempotency_key is not None:
            earlier = await self._uow.executions.get_by_idempotency_key(
                command.user.id, command.idempotency_key
            )
            if earlier is not None:
                await self._uow.rollback()
                return self._replay(earlier, fingerprint)

        session.require_active()
        model = self._resolve_model(command, session)
        parameters = session.default_parameters.merged_with(command.parameters)
        validate_parameters(
            parameters, field_prefix="parameters", max_output_tokens=model.max_output_tokens
        )
        messages = _render(prompt, command.variables)
        _check_rendered_length(messages, self._policy.max_rendered_length)

        now = self._clock.now()
        execution = Execution(
            id=self._ids.new_id(),
            project_id=command.project_id,
            session_id=session.id,
            prompt_id=prompt.id,
            model=model.id,
            provider=model.provider,
            messages=messages,
            variables=dict(command.variables),
            parameters=parameters,
            status=ExecutionStatus.RUNNING,
            created_by=command.user.id,
            created_at=now,
            deadline_at=now + timedelta(seconds=self._policy.deadline + DEADLINE_GRACE_SECONDS),
            streamed=stream,
            idempotency_key=command.idempotency_key,
            request_fingerprint=fingerprint if command.idempotency_key is not None else None,
        )

        try:
            await self._uow.executions.add(execution)
            await self._uow.commit()
        except DuplicateIdempotencyKeyError:
            # A concurrent request with the same key inserted first; the
            # unique index let exactly one of them through.
            await self._uow.rollback()
            assert command.idempotency_key is not None
            earlier = await self._uow.executions.get_by_idempotency_key(
                command.user.id, command.idempotency_key
            )
            await self._uow.rollback()
            if earlier is None:
                raise
            return self._replay(earlier, fingerprint)
        return StartedExecution(execution=execution, model=model, replayed=False)

    async def _load_session_and_prompt(
        self, command: ExecutePromptCommand
    ) -> tuple[PromptSession, Prompt]:
        # The share lock makes a concurrent close of the session wait until
        # this execution's log is committed, as creating a prompt does.
        session = await self._uow.sessions.get(command.project_id, command.session_id, lock="share")
        if session is None:
            raise NotFoundError(f"Session {command.session_id} not found.")
        prompt = await self._uow.prompts.get(session.id, command.prompt_id)
        if prompt is None:
            raise NotFoundError(f"Prompt {command.prompt_id} not found.")
        return session, prompt

    def _replay(self, earlier: Execution, fingerprint: str) -> StartedExecution:
        if earlier.request_fingerprint != fingerprint:
            raise IdempotencyMismatchError(
                "This Idempotency-Key was already used with a different request "
                f"(execution {earlier.id}). Send a new key for a new request, or repeat the "
                "original request unchanged to get its log."
            )
        return StartedExecution(execution=earlier, model=None, replayed=True)

    def _resolve_model(self, command: ExecutePromptCommand, session: PromptSession) -> ModelSpec:
        available = ", ".join(spec.id for spec in self._catalog.list_models())
        model_id = command.model or session.default_model
        if model_id is None:
            raise ValidationError(
                FieldError(
                    "model",
                    f"is required because session {session.id} has no default_model; "
                    f"available models: {available}",
                )
            )

        model = self._catalog.find(model_id)
        if model is None:
            source = "" if command.model else " (the session's default_model)"
            raise ValidationError(
                FieldError(
                    "model", f"unknown model '{model_id}'{source}; available models: {available}"
                )
            )

        status = self._providers.status(model.provider)
        if not status.configured:
            raise ValidationError(
                FieldError(
                    "model",
                    f"model '{model.id}' cannot run here because its provider "
                    f"'{model.provider}' is not configured. "
                    + (status.detail or "See GET /api/models/ for the configured models."),
                )
            )
        return model


def _check_rendered_length(messages: tuple[Message, ...], max_length: int) -> None:
    length = sum(len(message.content) for message in messages)
    if length > max_length:
        raise ValidationError(
            FieldError(
                "variables",
                f"the rendered prompt is {length} characters, more than the {max_length} "
                "allowed; shorten the values",
            )
        )


def _render(prompt: Prompt, variables: dict[str, str]) -> tuple[Message, ...]:
    template = parse_messages(prompt.messages)
    return render_messages(template, variables, field="variables")
