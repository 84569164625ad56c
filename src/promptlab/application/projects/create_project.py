"""Create a project in an organization."""

from __future__ import annotations

import logging
import uuid

import attrs

from promptlab.application.ports.clock import Clock, IdGenerator
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.validation import collect_field_errors
from promptlab.application.projects.views import ProjectView
from promptlab.domain.accounts import User
from promptlab.domain.errors import FieldError, NotFoundError, ValidationError
from promptlab.domain.projects import (
    Project,
    check_project_description,
    clean_project_name,
    project_role_for,
)

logger = logging.getLogger(__name__)


@attrs.frozen
class CreateProjectCommand:
    user: User
    name: str
    description: str = ""
    organization_id: uuid.UUID | None = None


class CreateProject:
    """Create an active project; the caller's organization role decides their role on it.

    Rules:
    - any member of the organization may create a project in it; an
      organization the caller does not belong to is reported as not found;
    - without an organization, the project goes to the caller's personal one;
    - the name is trimmed, 1 to 200 characters, and unique among the
      organization's active projects ignoring letter case. The database
      enforces uniqueness, so of two simultaneous creates one gets ConflictError.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def __call__(self, command: CreateProjectCommand) -> ProjectView:
        errors: list[FieldError] = []
        name = collect_field_errors(errors, lambda: clean_project_name(command.name))
        collect_field_errors(errors, lambda: check_project_description(command.description))
        if errors:
            raise ValidationError(errors)

        async with self._uow as uow:
            organization_id = command.organization_id
            if organization_id is None:
                personal = await uow.organizations.get_personal(command.user.id)
                if personal is None:
                    raise ValidationError(
                        FieldError(
                            "organization",
                            "is required because you have no personal organization",
                        )
                    )
                organization_id = personal.id

            found = await uow.organizations.get_for_member(organization_id, command.user.id)
            if found is None:
                raise NotFoundError(f"Organization {organization_id} not found.")
            _, organization_role = found

            now = self._clock.now()
            project = Project(
                id=self._ids.new_id(),
                organization_id=organization_id,
                name=name,
                description=command.description,
                is_archived=False,
                archived_at=None,
                created_by=command.user.id,
                created_at=now,
                updated_at=now,
            )
            await uow.projects.add(project)
            await uow.commit()

        logger.info(
            "project %s created in organization %s by user %s",
            project.id,
            organization_id,
            command.user.id,
        )
        return ProjectView(project=project, role=project_role_for(organization_role))
