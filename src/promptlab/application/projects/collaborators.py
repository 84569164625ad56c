"""Results shared by the collaborator use cases."""

from __future__ import annotations

import uuid

from promptlab.application.ports.projects import CollaboratorEntry
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.projects import collaborator_not_found


async def load_collaborator(
    uow: UnitOfWork, project_id: uuid.UUID, user_id: uuid.UUID
) -> CollaboratorEntry:
    """Return the collaborator entry, or raise NotFoundError when the user is not one."""
    entry = await uow.projects.get_collaborator(project_id, user_id)
    if entry is None:
        raise collaborator_not_found(project_id, user_id)
    return entry
