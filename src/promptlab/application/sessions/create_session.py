"""Create a prompt session in a project."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

import attrs

from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.model_provider import ModelCatalog
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.application.sessions.defaults import find_model_errors, find_parameters_errors
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
)
from promptlab.domain.text import DEFAULT_TEXT_LIMITS, TextLimits

logger = logging.getLogger(__name__)


@attrs.frozen
class CreateSessionCommand:
    user: User
    project_id: uuid.UUID
    name: str
    description: str = ""
    default_model: str | None = None
    default_parameters: GenerationParameters = attrs.field(factory=GenerationParameters)
    metadata: Mapping[str, str] = attrs.field(factory=dict)


class CreateSession:
    """Create an active session with optional defaults for the prompts run in it.

    Rules:
    - editors and above may create, viewers may not (PermissionDeniedError),
      and an archived project takes no new sessions (ConflictError);
    - `name` is required non-blank text and `description` optional text,
      both within the text limits and stored exactly as given;
    - `default_model`, when given, is a model of the catalog;
    - `default_parameters` are within their ranges, and `max_tokens` within
      the default model's maximum output when a default model is given;
    - `metadata` maps strings to strings within the metadata limits;
    - every invalid field is reported at once.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        catalog: ModelCatalog,
        clock: Clock,
        ids: IdGenerator,
        text_limits: TextLimits = DEFAULT_TEXT_LIMITS,
        metadata_limits: MetadataLimits = DEFAULT_METADATA_LIMITS,
    ) -> None:
        self._uow = uow
        self._catalog = catalog
        self._clock = clock
        self._ids = ids
        self._text_limits = text_limits
        self._metadata_limits = metadata_limits

    async def __call__(self, command: CreateSessionCommand) -> PromptSession:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.WRITE_CONTENT)

            self._check(command)

            now = self._clock.now()
            session = PromptSession(
                id=self._ids.new_id(),
                project_id=command.project_id,
                name=command.name,
                description=command.description,
                default_model=command.default_model,
                default_parameters=command.default_parameters,
                metadata=dict(command.metadata),
                status=SessionStatus.ACTIVE,
                created_by=command.user.id,
                created_at=now,
                updated_at=now,
            )
            await uow.sessions.add(session)
            await uow.commit()

        logger.info(
            "session %s created in project %s by user %s",
            session.id,
            session.project_id,
            command.user.id,
        )
        return session

    def _check(self, command: CreateSessionCommand) -> None:
        errors: list[FieldError] = []
        errors.extend(find_name_errors(command.name, limits=self._text_limits))
        errors.extend(find_description_errors(command.description, limits=self._text_limits))

        model = None
        if command.default_model is not None:
            errors.extend(find_model_errors(self._catalog, command.default_model))
            model = self._catalog.find(command.default_model)
        errors.extend(find_parameters_errors(command.default_parameters, model))

        errors.extend(find_metadata_errors(command.metadata, limits=self._metadata_limits))
        if errors:
            raise ValidationError(errors)
