"""Archive a project: a soft delete that makes it and everything in it read-only."""

from __future__ import annotations

import logging
import uuid

import attrs

from promptlab.application.ports.clock import Clock
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.domain.accounts import User
from promptlab.domain.projects import ProjectAction

logger = logging.getLogger(__name__)


@attrs.frozen
class ArchiveProjectCommand:
    user: User
    project_id: uuid.UUID


class ArchiveProject:
    """Mark a project archived; nothing is removed.

    Rules:
    - only project admins may archive;
    - archiving an archived project is a conflict, like every other write to it;
    - the project keeps its sessions, prompts, executions and collaborators,
      and a restore brings all of them back unchanged;
    - the name becomes free for a new active project of the organization.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: ArchiveProjectCommand) -> None:
        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            access.require(ProjectAction.ARCHIVE)

            access.project.archive(self._clock.now())
            await uow.projects.update(access.project)
            await uow.commit()

        logger.info("project %s archived by user %s", command.project_id, command.user.id)
