"""Organization and membership endpoints."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from promptlab.application.organizations.add_member import AddMember, AddMemberCommand
from promptlab.application.organizations.change_member_role import (
    ChangeMemberRole,
    ChangeMemberRoleCommand,
)
from promptlab.application.organizations.create_organization import (
    CreateOrganization,
    CreateOrganizationCommand,
)
from promptlab.application.organizations.get_organization import (
    GetOrganization,
    GetOrganizationQuery,
)
from promptlab.application.organizations.list_members import ListMembers, ListMembersQuery
from promptlab.application.organizations.list_organizations import (
    ListOrganizations,
    ListOrganizationsQuery,
)
from promptlab.application.organizations.remove_member import RemoveMember, RemoveMemberCommand
from promptlab.application.organizations.update_organization import (
    UpdateOrganization,
    UpdateOrganizationCommand,
)
from promptlab.domain.organizations import OrganizationRole
from promptlab.entrypoints.http.dependencies import (
    CurrentUser,
    PageCursor,
    PageLimit,
    requested_page,
    use_case,
)
from promptlab.entrypoints.http.schemas.common import PageOut, page_out
from promptlab.entrypoints.http.schemas.organizations import (
    MemberAddIn,
    MemberOut,
    MemberUpdateIn,
    OrganizationCreateIn,
    OrganizationDetailOut,
    OrganizationOut,
    OrganizationUpdateIn,
    member_out,
    organization_detail_out,
    organization_view_out,
)


def _given(value: str | msgspec.UnsetType) -> str | None:
    return None if value is msgspec.UNSET else value


class OrganizationController(Controller):
    """Every route returns 404 to a caller who is not a member of the organization."""

    path = "/api/organizations"
    tags = ["organizations"]

    @get(
        "/",
        dependencies={"list_organizations": use_case("list_organizations")},
        summary="Organizations the caller belongs to, with the caller's role",
    )
    async def list_organizations(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUser,
        list_organizations: NamedDependency[ListOrganizations],
        limit: PageLimit = None,
        cursor: PageCursor = None,
    ) -> PageOut[OrganizationOut]:
        page = requested_page(request, limit, cursor)
        result = await list_organizations(
            ListOrganizationsQuery(actor_id=current_user.id, page=page)
        )
        return page_out(result, organization_view_out)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        dependencies={"create_organization": use_case("create_organization")},
        summary="Create a team organization; the caller becomes its owner",
    )
    async def create_organization(
        self,
        current_user: CurrentUser,
        data: JSONBody[OrganizationCreateIn],
        create_organization: NamedDependency[CreateOrganization],
    ) -> OrganizationOut:
        view = await create_organization(
            CreateOrganizationCommand(
                actor_id=current_user.id, name=data.name, description=data.description
            )
        )
        return organization_view_out(view)

    @get(
        "/{organization_id:uuid}/",
        dependencies={"get_organization": use_case("get_organization")},
        summary="One organization, for its members",
    )
    async def get_organization(
        self,
        organization_id: FromPath[uuid.UUID],
        current_user: CurrentUser,
        get_organization: NamedDependency[GetOrganization],
    ) -> OrganizationDetailOut:
        details = await get_organization(
            GetOrganizationQuery(actor_id=current_user.id, organization_id=organization_id)
        )
        return organization_detail_out(details)

    @patch(
        "/{organization_id:uuid}/",
        status_code=HTTP_200_OK,
        dependencies={"update_organization": use_case("update_organization")},
        summary="Update the name or description (owners and admins)",
    )
    async def update_organization(
        self,
        organization_id: FromPath[uuid.UUID],
        current_user: CurrentUser,
        data: JSONBody[OrganizationUpdateIn],
        update_organization: NamedDependency[UpdateOrganization],
    ) -> OrganizationOut:
        view = await update_organization(
            UpdateOrganizationCommand(
                actor_id=current_user.id,
                organization_id=organization_id,
                name=_given(data.name),
                description=_given(data.description),
            )
        )
        return organization_view_out(view)

    @get(
        "/{organization_id:uuid}/members/",
        dependencies={"list_members": use_case("list_members")},
        summary="Members of the organization (any member)",
    )
    async def list_members(
        self,
        request: Request[Any, Any, Any],
        organization_id: FromPath[uuid.UUID],
        current_user: CurrentUser,
        list_members: NamedDependency[ListMembers],
        limit: PageLimit = None,
        cursor: PageCursor = None,
    ) -> PageOut[MemberOut]:
        page = requested_page(request, limit, cursor)
        result = await list_members(
            ListMembersQuery(actor_id=current_user.id, organization_id=organization_id, page=page)
        )
        return page_out(result, member_out)

    @post(
        "/{organization_id:uuid}/members/",
        status_code=HTTP_201_CREATED,
        dependencies={"add_member": use_case("add_member")},
        summary="Add a registered user by email with a role (owners and admins)",
    )
    async def add_member(
        self,
        organization_id: FromPath[uuid.UUID],
        current_user: CurrentUser,
        data: JSONBody[MemberAddIn],
        add_member: NamedDependency[AddMember],
    ) -> MemberOut:
        member = await add_member(
            AddMemberCommand(
                actor_id=current_user.id,
                organization_id=organization_id,
                email=data.email,
                role=OrganizationRole(data.role),
            )
        )
        return member_out(member)

    @patch(
        "/{organization_id:uuid}/members/{user_id:uuid}/",
        status_code=HTTP_200_OK,
        dependencies={"change_member_role": use_case("change_member_role")},
        summary="Change a member's role (owners and admins)",
    )
    async def change_member_role(
        self,
        organization_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        current_user: CurrentUser,
        data: JSONBody[MemberUpdateIn],
        change_member_role: NamedDependency[ChangeMemberRole],
    ) -> MemberOut:
        member = await change_member_role(
            ChangeMemberRoleCommand(
                actor_id=current_user.id,
                organization_id=organization_id,
                user_id=user_id,
                role=OrganizationRole(data.role),
            )
        )
        return member_out(member)

    @delete(
        "/{organization_id:uuid}/members/{user_id:uuid}/",
        status_code=HTTP_204_NO_CONTENT,
        dependencies={"remove_member": use_case("remove_member")},
        summary="Remove a member (owners and admins), or leave (any member)",
    )
    async def remove_member(
        self,
        organization_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        current_user: CurrentUser,
        remove_member: NamedDependency[RemoveMember],
    ) -> None:
        await remove_member(
            RemoveMemberCommand(
                actor_id=current_user.id, organization_id=organization_id, user_id=user_id
            )
        )
