"""Change a collaborator's role."""

from __future__ import annotations

import logging
import uuid

import attrs

from promptlab.application.ports.projects import CollaboratorEntry
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.application.projects.collaborators import load_collaborator
from promptlab.domain.accounts import User
from promptlab.domain.projects import ProjectAction, parse_project_role

logger = logging.getLogger(__name__)


@attrs.frozen
class UpdateCollaboratorCommand:
    user: User
    project_id: uuid.UUID
    collaborator_id: uuid.UUID
    role: str


class UpdateCollaborator:
    """Set a collaborator's role; the change applies from the next request on.

    Rules:
    - only project admins may change roles, and not on an archived project;
    - a user who is not a collaborator on the project is reported as not found.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: UpdateCollaboratorCommand) -> CollaboratorEntry:
        role = parse_project_role(command.role)

        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.MANAGE_COLLABORATORS)

            entry = await load_collaborator(uow, command.project_id, command.collaborator_id)
            entry.collaborator.role = role
            await uow.projects.update_collaborator(entry.collaborator)
            await uow.commit()

        logger.info(
            "collaborator %s on project %s set to %s by user %s",
            command.collaborator_id,
            command.project_id,
            role,
            command.user.id,
        )
        return entry
