"""Wire schemas of the organization endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

from promptlab.application.organizations.access import OrganizationView
from promptlab.application.organizations.get_organization import OrganizationDetails
from promptlab.domain.organizations import Member, Organization
from promptlab.entrypoints.http.schemas.common import Body

RoleName = Literal["owner", "admin", "member"]


class OrganizationCreateIn(Body):
    name: str
    description: str = ""


class OrganizationUpdateIn(Body):
    """Partial update: only the fields present change."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET


class MemberAddIn(Body):
    email: str
    role: RoleName = "member"


class MemberUpdateIn(Body):
    role: RoleName


class OrganizationOut(msgspec.Struct):
    """An organization with the caller's role in it."""

    id: uuid.UUID
    name: str
    description: str
    is_personal: bool
    role: str
    created_at: datetime
    updated_at: datetime


class OrganizationDetailOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    description: str
    is_personal: bool
    role: str
    member_count: int
    created_at: datetime
    updated_at: datetime


class MemberOut(msgspec.Struct):
    user_id: uuid.UUID
    email: str
    full_name: str
    role: str
    joined_at: datetime


def organization_out(organization: Organization, role: str) -> OrganizationOut:
    return OrganizationOut(
        id=organization.id,
        name=organization.name,
        description=organization.description,
        is_personal=organization.is_personal,
        role=role,
        created_at=organization.created_at,
        updated_at=organization.updated_at,
    )


def organization_view_out(view: OrganizationView) -> OrganizationOut:
    return organization_out(view.organization, view.role.value)


def organization_detail_out(details: OrganizationDetails) -> OrganizationDetailOut:
    organization = details.organization
    return OrganizationDetailOut(
        id=organization.id,
        name=organization.name,
        description=organization.description,
        is_personal=organization.is_personal,
        role=details.role.value,
        member_count=details.member_count,
        created_at=organization.created_at,
        updated_at=organization.updated_at,
    )


def member_out(member: Member) -> MemberOut:
    return MemberOut(
        user_id=member.user_id,
        email=member.email,
        full_name=member.full_name,
        role=member.role.value,
        joined_at=member.joined_at,
    )
