"""Remove a collaborator from a project."""

from __future__ import annotations

import logging
import uuid

import attrs

from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.domain.accounts import User
from promptlab.domain.projects import ProjectAction, collaborator_not_found

logger = logging.getLogger(__name__)


@attrs.frozen
class RemoveCollaboratorCommand:
    user: User
    project_id: uuid.UUID
    collaborator_id: uuid.UUID


class RemoveCollaborator:
    """Delete a collaborator entry; the user loses that access on their next request.

    Rules:
    - project admins may remove anyone; any collaborator may remove themselves
      (leave the project);
    - nothing changes on an archived project until it is restored;
    - a user who is not a collaborator on the project is reported as not found;
    - access through an organization membership is unaffected.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: RemoveCollaboratorCommand) -> None:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            leaving = command.collaborator_id == command.user.id
            access.require(ProjectAction.LEAVE if leaving else ProjectAction.MANAGE_COLLABORATORS)

            removed = await uow.projects.remove_collaborator(
                command.project_id, command.collaborator_id
            )
            if not removed:
                raise collaborator_not_found(command.project_id, command.collaborator_id)
            await uow.commit()

        logger.info(
            "collaborator %s removed from project %s by user %s",
            command.collaborator_id,
            command.project_id,
            command.user.id,
        )
