"""Wire schemas of the prompt session endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from litestar.openapi.spec import OpenAPIType
from litestar.params import KwargDefinition

from promptlab.application.sessions.update_session import UNSET, Unset, UpdateSessionCommand
from promptlab.application.sessions.views import SessionDetail
from promptlab.domain.accounts import User
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.sessions import PromptSession, SessionStatus
from promptlab.entrypoints.http.schemas.common import Body

StatusName = Literal["active", "closed"]

T = TypeVar("T")

METADATA_DESCRIPTION = (
    "A map of string keys to string values, for your own bookkeeping. By default at most "
    "50 keys, each key 1 to 100 characters and each value up to 2,000 characters "
    "(settings PROMPTLAB_MAX_METADATA_KEYS, PROMPTLAB_MAX_METADATA_KEY_LENGTH and "
    "PROMPTLAB_MAX_METADATA_VALUE_LENGTH). Keys are returned sorted."
)


# Values are decoded as any JSON value and checked by the use case, because
# msgspec reports a wrongly typed map value without its key, and the error must
# name `metadata.<key>`. The OpenAPI schema still declares string values.
METADATA_SCHEMA = KwargDefinition(
    description=METADATA_DESCRIPTION,
    schema_extra={
        "oneOf": None,
        "type": OpenAPIType.OBJECT,
        "additionalProperties": {"type": "string"},
    },
)


class ParametersIn(Body):
    """Sampling defaults; a field left out or null is not set, so the model's default applies."""

    temperature: Annotated[float | None, msgspec.Meta(description="0 to 2.")] = None
    top_p: Annotated[float | None, msgspec.Meta(description="0 to 1.")] = None
    max_tokens: Annotated[
        int | None,
        msgspec.Meta(description="Positive, and at most the default model's maximum output."),
    ] = None
    stop: Annotated[
        str | list[str] | None,
        msgspec.Meta(description="Up to 4 stop sequences; a single string is one sequence."),
    ] = None
    seed: Annotated[int | None, msgspec.Meta(description="A signed 64-bit integer.")] = None

    def to_domain(self) -> GenerationParameters:
        stop = (self.stop,) if isinstance(self.stop, str) else self.stop
        return GenerationParameters(
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.max_tokens,
            stop=tuple(stop) if stop is not None else None,
            seed=self.seed,
        )


class SessionCreateIn(Body):
    name: str
    description: str = ""
    default_model: Annotated[
        str | None, msgspec.Meta(description="A model id from GET /api/models/.")
    ] = None
    default_parameters: ParametersIn | None = None
    metadata: Annotated[dict[str, Any], METADATA_SCHEMA] = msgspec.field(default_factory=dict)


class SessionUpdateIn(Body):
    """Only fields present change. `default_parameters` and `metadata` are replaced whole."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    default_model: Annotated[
        str | None | msgspec.UnsetType,
        msgspec.Meta(description="A model id from GET /api/models/, or null to remove it."),
    ] = msgspec.UNSET
    default_parameters: Annotated[
        ParametersIn | None | msgspec.UnsetType,
        msgspec.Meta(description="Replaces every default parameter; null removes them all."),
    ] = msgspec.UNSET
    metadata: Annotated[dict[str, Any] | msgspec.UnsetType, METADATA_SCHEMA] = msgspec.UNSET
    status: Annotated[
        StatusName | msgspec.UnsetType,
        msgspec.Meta(description="`closed` stops new prompts and executions; `active` reopens."),
    ] = msgspec.UNSET


class ParametersOut(msgspec.Struct):
    """Every parameter; null means not set, so the model's default applies."""

    temperature: float | None
    top_p: float | None
    max_tokens: int | None
    stop: list[str] | None
    seed: int | None


class SessionOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    project: uuid.UUID
    name: str
    description: str
    default_model: str | None
    default_parameters: ParametersOut
    metadata: dict[str, str]
    status: StatusName
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class SessionDetailOut(SessionOut, kw_only=True):
    prompt_count: int
    # Executions of every prompt of the session, whatever their status.
    execution_count: int


def parameters_out(parameters: GenerationParameters) -> ParametersOut:
    return ParametersOut(
        temperature=parameters.temperature,
        top_p=parameters.top_p,
        max_tokens=parameters.max_tokens,
        stop=list(parameters.stop) if parameters.stop is not None else None,
        seed=parameters.seed,
    )


def _session_fields(session: PromptSession) -> dict[str, object]:
    return {
        "id": session.id,
        "project": session.project_id,
        "name": session.name,
        "description": session.description,
        "default_model": session.default_model,
        "default_parameters": parameters_out(session.default_parameters),
        # Sorted, because PostgreSQL's jsonb does not keep key order, so both
        # databases return the same order.
        "metadata": dict(sorted(session.metadata.items())),
        "status": session.status.value,
        "created_by": session.created_by,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
    }


def session_out(session: PromptSession) -> SessionOut:
    return SessionOut(**_session_fields(session))  # type: ignore[arg-type]


def session_detail_out(detail: SessionDetail) -> SessionDetailOut:
    return SessionDetailOut(
        **_session_fields(detail.session),  # type: ignore[arg-type]
        prompt_count=detail.counts.prompts,
        execution_count=detail.counts.executions,
    )


def new_session_out(session: PromptSession) -> SessionDetailOut:
    """Return the detail of a session just created, which has no prompts or executions yet."""
    return SessionDetailOut(
        **_session_fields(session),  # type: ignore[arg-type]
        prompt_count=0,
        execution_count=0,
    )


def update_command(
    data: SessionUpdateIn, user: User, project_id: uuid.UUID, session_id: uuid.UUID
) -> UpdateSessionCommand:
    """Build the use case's command, keeping absent fields absent and null as null."""

    def given(value: T | msgspec.UnsetType) -> T | Unset:
        return UNSET if isinstance(value, msgspec.UnsetType) else value

    parameters = given(data.default_parameters)
    if isinstance(parameters, ParametersIn):
        parameters = parameters.to_domain()
    elif parameters is None:
        parameters = GenerationParameters()

    status = given(data.status)
    return UpdateSessionCommand(
        user=user,
        project_id=project_id,
        session_id=session_id,
        name=given(data.name),
        description=given(data.description),
        default_model=given(data.default_model),
        default_parameters=parameters,
        metadata=given(data.metadata),
        status=status if isinstance(status, Unset) else SessionStatus(status),
    )
