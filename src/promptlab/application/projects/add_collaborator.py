"""Add an existing user to a project as a collaborator."""

from __future__ import annotations

import logging
import uuid

import attrs

from promptlab.application.ports.clock import Clock
from promptlab.application.ports.projects import CollaboratorEntry
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.application.projects.validation import collect_field_errors
from promptlab.domain.accounts import User, normalize_email
from promptlab.domain.errors import FieldError, NotFoundError, ValidationError
from promptlab.domain.projects import Collaborator, ProjectAction, parse_project_role

logger = logging.getLogger(__name__)


@attrs.frozen
class AddCollaboratorCommand:
    user: User
    project_id: uuid.UUID
    email: str
    role: str


class AddCollaborator:
    """Give a user a role on one project.

    Rules:
    - only project admins may add collaborators, and not to an archived project;
    - the user is found by email, ignoring letter case, and may belong to any
      organization; an unknown or deactivated address is reported as "no user
      with that email" and nothing else about it;
    - a user who already is a collaborator is a conflict (change the role instead);
    - the effective role of someone who is also an organization member is the
      stronger of the two roles.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: AddCollaboratorCommand) -> CollaboratorEntry:
        errors: list[FieldError] = []
        email_normalized = collect_field_errors(errors, lambda: normalize_email(command.email))
        role = collect_field_errors(errors, lambda: parse_project_role(command.role))
        if errors or email_normalized is None or role is None:
            raise ValidationError(errors)

        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.MANAGE_COLLABORATORS)

            user = await uow.users.get_by_email(email_normalized)
            if user is None or not user.is_active:
                raise NotFoundError("No user with that email.")

            collaborator = Collaborator(
                project_id=command.project_id,
                user_id=user.id,
                role=role,
                created_at=self._clock.now(),
            )
            await uow.projects.add_collaborator(collaborator)
            await uow.commit()

        logger.info(
            "user %s added to project %s as %s by user %s",
            user.id,
            command.project_id,
            role,
            command.user.id,
        )
        return CollaboratorEntry(
            collaborator=collaborator, email=user.email, full_name=user.full_name
        )
