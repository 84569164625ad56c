"""List the projects a user can see."""

from __future__ import annotations

import uuid

import attrs

from promptlab.application.pagination import Page, PageRequest
from promptlab.application.ports.projects import ProjectFilter
from promptlab.application.ports.unit_of_work import UnitOfWork
from promptlab.application.projects.views import ProjectView
from promptlab.domain.accounts import User
from promptlab.domain.errors import ValidationError
from promptlab.domain.projects import MAX_PROJECT_NAME_LENGTH, effective_role
from promptlab.domain.text import find_text_errors


@attrs.frozen
class ListProjectsCommand:
    user: User
    page: PageRequest
    organization_id: uuid.UUID | None = None
    archived: bool = False
    search: str | None = None


class ListProjects:
    """Return one page of the projects the caller can see, newest first.

    Rules:
    - visible are every project of an organization the caller belongs to,
      plus every project the caller collaborates on, whatever its organization;
    - archived projects are listed only when `archived` is true, and then
      only archived ones;
    - `organization` narrows to one organization and reveals nothing about an
      organization the caller cannot see (the list is just empty);
    - `search` matches a case-insensitive substring of the name, where `%`
      and `_` are ordinary characters;
    - each project carries the caller's effective role.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: ListProjectsCommand) -> Page[ProjectView]:
        search = command.search or None
        if search is not None:
            errors = find_text_errors(search, field="search", max_length=MAX_PROJECT_NAME_LENGTH)
            if errors:
                raise ValidationError(errors)

        filters = ProjectFilter(
            organization_id=command.organization_id, archived=command.archived, search=search
        )
        async with self._uow as uow:
            page = await uow.projects.list_visible(command.user.id, filters, command.page)

        views = []
        for grant in page.items:
            role = effective_role(grant.organization_role, grant.collaborator_role)
            if role is None:
                # The query selects only projects reached through a role.
                raise RuntimeError(f"project {grant.project.id} was listed without a role")
            views.append(ProjectView(project=grant.project, role=role))
        return Page(items=views, next=page.next)
