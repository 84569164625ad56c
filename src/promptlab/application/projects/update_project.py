"""Rename, describe, archive or restore a project (a partial update)."""

from __future__ import annotations

import logging
import uuid

import attrs

from promptlab.application.ports.clock import Clock
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.access import load_project_access
from promptlab.application.projects.validation import collect_field_errors
from promptlab.application.projects.views import ProjectView
from promptlab.domain.accounts import User
from promptlab.domain.errors import ConflictError, FieldError, ValidationError
from promptlab.domain.projects import (
    ProjectAccess,
    ProjectAction,
    check_project_description,
    clean_project_name,
)

logger = logging.getLogger(__name__)


@attrs.frozen
class UpdateProjectCommand:
    """Fields left as None stay unchanged."""

    user: User
    project_id: uuid.UUID
    name: str | None = None
    description: str | None = None
    is_archived: bool | None = None


class UpdateProject:
    """Apply the fields present in the command to a project.

    Rules:
    - only project admins may change a project, even with an empty body;
    - `is_archived: false` restores an archived project, and may come with a
      new name, so a project whose name was taken meanwhile can be restored
      under another one; restoring into a name that an active project now
      has is a conflict whose message asks to rename one of them;
    - `is_archived: true` archives, as DELETE does;
    - any other change to an archived project is rejected until it is restored;
    - a name follows the creation rules, including uniqueness among the
      organization's active projects.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: UpdateProjectCommand) -> ProjectView:
        errors: list[FieldError] = []
        name = None
        if command.name is not None:
            name = collect_field_errors(errors, lambda: clean_project_name(command.name or ""))
        if command.description is not None:
            collect_field_errors(errors, lambda: check_project_description(command.description))
        if errors:
            raise ValidationError(errors)

        async with self._uow as uow:
            access = await load_project_access(uow, command.project_id, command.user)
            project = access.project
            now = self._clock.now()

            restoring = command.is_archived is False and project.is_archived
            if restoring:
                access.require(ProjectAction.RESTORE)
                project.restore(now)
                # Other fields are judged against the restored project.
                access = ProjectAccess(project=project, role=access.role)

            access.require(ProjectAction.UPDATE_PROJECT)
            changes_fields = name is not None or command.description is not None
            if name is not None:
                project.name = name
            if command.description is not None:
                project.description = command.description
            if changes_fields:
                project.updated_at = now

            archiving = command.is_archived is True and not project.is_archived
            if archiving:
                access.require(ProjectAction.ARCHIVE)
                project.archive(now)

            if restoring or changes_fields or archiving:
                try:
                    await uow.projects.update(project)
                except ConflictError as error:
                    if not restoring:
                        raise
                    raise ConflictError(
                        f"Project {project.id} cannot be restored because an active project "
                        f"in its organization is now named {project.name!r}. Rename one of "
                        'them, for example with PATCH and the body {"is_archived": false, '
                        '"name": "<new name>"}, then restore.'
                    ) from error
                await uow.commit()

        if restoring:
            logger.info("project %s restored by user %s", project.id, command.user.id)
        if archiving:
            logger.info("project %s archived by user %s", project.id, command.user.id)
        return ProjectView(project=project, role=access.role)
