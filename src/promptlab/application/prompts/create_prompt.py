"""Create an immutable prompt in a session."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

import attrs

from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.domain.accounts import User
from promptlab.domain.errors import FieldError, ValidationError
from promptlab.domain.messages import Message
from promptlab.domain.projects import ProjectAction
from promptlab.domain.prompts import Prompt, PromptText, check_prompt_text
from promptlab.domain.sessions import session_not_found
from promptlab.domain.text import DEFAULT_TEXT_LIMITS, TextLimits

logger = logging.getLogger(__name__)


@attrs.frozen
class CreatePromptCommand:
    """Exactly one of `messages` and `content` is expected; the use case reports otherwise."""

    user: User
    project_id: uuid.UUID
    session_id: uuid.UUID
    messages: Sequence[Message] | None = None
    content: str | None = None
    name: str | None = None
    parent_id: uuid.UUID | None = None


class CreatePrompt:
    """Create a prompt from chat messages or from one user message given as `content`.

    Rules:
    - editors and above may create, viewers may not (PermissionDeniedError);
      an archived project and a closed session take no new prompts
      (ConflictError, saying how to restore or reopen);
    - the text follows `check_prompt_text`. It is one of `messages` and
      `content`, within the count and length limits, without NUL or
      surrogates, and valid template syntax. The prompt lists its placeholder
      names;
    - `parent`, when given, is a prompt of the same project, in any of its
      sessions;
    - every invalid field is reported at once;
    - the session row is share-locked until the commit, so closing the session
      waits for prompts being added and none lands in a closed session.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        text_limits: TextLimits = DEFAULT_TEXT_LIMITS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._text_limits = text_limits

    async def __call__(self, command: CreatePromptCommand) -> Prompt:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.WRITE_CONTENT)

            session = await uow.sessions.get(command.project_id, command.session_id, lock="share")
            if session is None:
                raise session_not_found(command.session_id)
            session.require_active()

            errors: list[FieldError] = []
            text = self._check_text(command, errors)
            if command.parent_id is not None:
                parent = await uow.prompts.get_in_project(command.project_id, command.parent_id)
                if parent is None:
                    errors.append(
                        FieldError(
                            "parent",
                            f"no prompt {command.parent_id} exists in this project. "
                            "A parent must be a prompt of the same project.",
                        )
                    )
            if errors or text is None:
                raise ValidationError(errors)

            prompt = Prompt(
                id=self._ids.new_id(),
                project_id=command.project_id,
                session_id=command.session_id,
                name=command.name,
                messages=text.messages,
                variables=text.variables,
                parent_id=command.parent_id,
                created_by=command.user.id,
                created_at=self._clock.now(),
            )
            await uow.prompts.add(prompt)
            await uow.commit()

        logger.info(
            "prompt %s created in session %s of project %s by user %s",
            prompt.id,
            prompt.session_id,
            prompt.project_id,
            command.user.id,
        )
        return prompt

    def _check_text(
        self, command: CreatePromptCommand, errors: list[FieldError]
    ) -> PromptText | None:
        try:
            return check_prompt_text(
                messages=command.messages,
                content=command.content,
                name=command.name,
                limits=self._text_limits,
            )
        except ValidationError as error:
            errors.extend(error.errors)
            return None
