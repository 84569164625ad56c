"""Change the fields of a prompt session, including closing and reopening it."""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Mapping
from typing import TypeVar

import attrs

from promptlab.application.ports.clock import Clock
from promptlab.application.ports.model_provider import ModelCatalog
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.application.sessions.defaults import find_model_errors, find_parameters_errors
from promptlab.application.sessions.views import SessionDetail
from promptlab.domain.accounts import User
from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.parameters import GenerationParameters
from promptlab.domain.projects import ProjectAction
from promptlab.domain.sessions import (
    DEFAULT_METADATA_LIMITS,
    MetadataLimits,
    PromptSession,
    SessionStatus,
    find_description_errors,
    find_metadata_errors,
    find_name_errors,
    session_not_found,
)
from promptlab.domain.text import DEFAULT_TEXT_LIMITS, TextLimits

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Unset(enum.Enum):
    """Marks a field absent from a partial update, where None means "clear the value"."""

    UNSET = "unset"


UNSET = Unset.UNSET

Maybe = T | Unset


@attrs.frozen
class UpdateSessionCommand:
    """Fields left UNSET stay unchanged. `default_model=None` removes the default model."""

    user: User
    project_id: uuid.UUID
    session_id: uuid.UUID
    name: Maybe[str] = UNSET
    description: Maybe[str] = UNSET
    default_model: Maybe[str | None] = UNSET
    default_parameters: Maybe[GenerationParameters] = UNSET
    metadata: Maybe[Mapping[str, str]] = UNSET
    status: Maybe[SessionStatus] = UNSET


class UpdateSession:
    """Apply the fields present in the command to a session and return its detail.

    Rules:
    - editors and above may update, viewers may not (PermissionDeniedError),
      and nothing in an archived project changes (ConflictError);
    - each field given follows the creation rules; `default_parameters` and
      `metadata` replace the stored object whole;
    - `max_tokens` is checked against the maximum output of the default model
      the session has after the update, so changing only the model can be
      rejected on `default_parameters.max_tokens`;
    - `status` closes a session (no new prompts or executions) or reopens it;
      a closed session can still be renamed and described;
    - the row is locked for the update, so concurrent partial updates of
      different fields do not overwrite each other;
    - `updated_at` moves only when a field actually changes.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        catalog: ModelCatalog,
        clock: Clock,
        text_limits: TextLimits = DEFAULT_TEXT_LIMITS,
        metadata_limits: MetadataLimits = DEFAULT_METADATA_LIMITS,
    ) -> None:
        self._uow = uow
        self._catalog = catalog
        self._clock = clock
        self._text_limits = text_limits
        self._metadata_limits = metadata_limits

    async def __call__(self, command: UpdateSessionCommand) -> SessionDetail:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.WRITE_CONTENT)

            session = await uow.sessions.get(command.project_id, command.session_id, lock="update")
            if session is None:
                raise session_not_found(command.session_id)

            updated = self._apply(session, command)
            if updated != session:
                updated.updated_at = self._clock.now()
                await uow.sessions.update(updated)
            counts = await uow.sessions.count_contents(updated.id)
            await uow.commit()

        if updated.status is not session.status:
            logger.info(
                "session %s %s by user %s",
                updated.id,
                "closed" if updated.status is SessionStatus.CLOSED else "reopened",
                command.user.id,
            )
        return SessionDetail(session=updated, counts=counts)

    def _apply(self, session: PromptSession, command: UpdateSessionCommand) -> PromptSession:
        """Return the session with the command's changes, or raise ValidationError."""
        errors: list[FieldError] = []
        changes: dict[str, object] = {}

        if command.name is not UNSET:
            errors.extend(find_name_errors(command.name, limits=self._text_limits))
            changes["name"] = command.name
        if command.description is not UNSET:
            errors.extend(find_description_errors(command.description, limits=self._text_limits))
            changes["description"] = command.description
        if command.metadata is not UNSET:
            errors.extend(find_metadata_errors(command.metadata, limits=self._metadata_limits))
            changes["metadata"] = dict(command.metadata)
        if command.status is not UNSET:
            changes["status"] = command.status

        model_id = session.default_model
        if command.default_model is not UNSET:
            model_id = command.default_model
            changes["default_model"] = model_id
            if model_id is not None:
                errors.extend(find_model_errors(self._catalog, model_id))

        parameters = session.default_parameters
        if command.default_parameters is not UNSET:
            parameters = command.default_parameters
            changes["default_parameters"] = parameters
        if command.default_model is not UNSET or command.default_parameters is not UNSET:
            model = self._catalog.find(model_id) if model_id is not None else None
            errors.extend(find_parameters_errors(parameters, model))

        if errors:
            raise ValidationError(errors)
        return attrs.evolve(session, **changes)
