"""Load a project together with the caller's effective role on it.

Every use case that touches a project, or anything inside one, starts here
and then calls `ProjectAccess.require(action)`. The roles are read from the
database on each call, never from token contents, so a removed collaborator
or membership loses access on the very next request.
"""

from __future__ import annotations

import uuid

from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.domain.accounts import User
from promptlab.domain.projects import ProjectAccess, effective_role, project_not_found


async def load_project_access(uow: UnitOfWork, project_id: uuid.UUID, user: User) -> ProjectAccess:
    """Return the project and `user`'s effective role on it, in one repository call.

    Raises NotFoundError when the project does not exist or `user` reaches it
    through neither an organization membership nor a collaboration, so a
    caller cannot tell another tenant's project from a missing one.
    """
    grant = await uow.projects.get_grant(project_id, user.id)
    if grant is None:
        raise project_not_found(project_id)

    role = effective_role(grant.organization_role, grant.collaborator_role)
    if role is None:
        raise project_not_found(project_id)

    return ProjectAccess(project=grant.project, role=role)
