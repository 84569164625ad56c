"""Wire schemas of the project and collaborator endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

from promptlab.application.ports.projects import CollaboratorEntry
from promptlab.application.projects.views import ProjectView
from promptlab.entrypoints.http.schemas.common import Body

RoleName = Literal["viewer", "editor", "admin"]


class ProjectCreateIn(Body):
    name: str
    description: str = ""
    # Omitted: the caller's personal organization.
    organization: uuid.UUID | None = None


class ProjectUpdateIn(Body):
    """Only fields present change. `is_archived: false` restores, `true` archives."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    is_archived: bool | msgspec.UnsetType = msgspec.UNSET


class ProjectOut(msgspec.Struct):
    id: uuid.UUID
    organization: uuid.UUID
    name: str
    description: str
    is_archived: bool
    archived_at: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    # The caller's effective role: the stronger of organization and collaborator roles.
    role: str


class CollaboratorCreateIn(Body):
    email: str
    role: RoleName


class CollaboratorUpdateIn(Body):
    role: RoleName


class CollaboratorOut(msgspec.Struct):
    user_id: uuid.UUID
    email: str
    full_name: str
    role: str
    added_at: datetime


def project_out(view: ProjectView) -> ProjectOut:
    project = view.project
    return ProjectOut(
        id=project.id,
        organization=project.organization_id,
        name=project.name,
        description=project.description,
        is_archived=project.is_archived,
        archived_at=project.archived_at,
        created_by=project.created_by,
        created_at=project.created_at,
        updated_at=project.updated_at,
        role=view.role.value,
    )


def collaborator_out(entry: CollaboratorEntry) -> CollaboratorOut:
    return CollaboratorOut(
        user_id=entry.collaborator.user_id,
        email=entry.email,
        full_name=entry.full_name,
        role=entry.collaborator.role.value,
        added_at=entry.collaborator.created_at,
    )


def unset_to_none(value: object) -> object:
    """Return None for a field the client left out, so the use case leaves it unchanged."""
    return None if value is msgspec.UNSET else value
