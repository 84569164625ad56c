"""Organizations, memberships and organization roles."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import attrs


class OrganizationRole(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


@attrs.define
class Organization:
    """A tenant. A personal organization is created with each user and has exactly one member."""

    id: uuid.UUID
    name: str
    description: str
    is_personal: bool
    created_at: datetime
    updated_at: datetime


@attrs.define
class Membership:
    organization_id: uuid.UUID
    user_id: uuid.UUID
    role: OrganizationRole
    created_at: datetime
