"""Organization and membership use cases on the in-memory adapters."""

from __future__ import annotations

import uuid

import pytest

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
from promptlab.application.pagination import PageRequest
from promptlab.domain.accounts import User
from promptlab.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from promptlab.domain.organizations import Member, Organization, OrganizationRole
from tests.unit.application.auth_world import AuthWorld

OWNER = OrganizationRole.OWNER
ADMIN = OrganizationRole.ADMIN
MEMBER = OrganizationRole.MEMBER


class OrganizationWorld(AuthWorld):
    async def user(self, name: str) -> User:
        return (await self.register(f"{name}@example.com", full_name=name.title())).user

    async def create(self, actor: User, name: str = "Team", description: str = "") -> Organization:
        create = CreateOrganization(self.uow_factory(), self.clock, self.ids)
        view = await create(
            CreateOrganizationCommand(actor_id=actor.id, name=name, description=description)
        )
        return view.organization

    async def add(
        self, actor: User, organization: Organization, email: str, role: OrganizationRole
    ) -> Member:
        self.clock.advance(1)
        add = AddMember(self.uow_factory(), self.clock)
        return await add(
            AddMemberCommand(
                actor_id=actor.id, organization_id=organization.id, email=email, role=role
            )
        )

    async def change(
        self, actor: User, organization: Organization, target: User, role: OrganizationRole
    ) -> Member:
        change = ChangeMemberRole(self.uow_factory())
        return await change(
            ChangeMemberRoleCommand(
                actor_id=actor.id, organization_id=organization.id, user_id=target.id, role=role
            )
        )

    async def remove(self, actor: User, organization: Organization, target: User) -> None:
        remove = RemoveMember(self.uow_factory())
        await remove(
            RemoveMemberCommand(
                actor_id=actor.id, organization_id=organization.id, user_id=target.id
            )
        )

    async def members(
        self, actor: User, organization: Organization, limit: int = 50
    ) -> list[Member]:
        list_members = ListMembers(self.uow_factory(write=False))
        page = await list_members(
            ListMembersQuery(
                actor_id=actor.id, organization_id=organization.id, page=PageRequest(limit=limit)
            )
        )
        return page.items

    async def role_of(self, organization: Organization, user: User) -> OrganizationRole | None:
        async with self.uow_factory(write=False) as uow:
            membership = await uow.organizations.get_membership(organization.id, user.id)
        return membership.role if membership else None


@pytest.fixture
def world() -> OrganizationWorld:
    return OrganizationWorld()


async def test_create_makes_caller_owner(world: OrganizationWorld) -> None:
    ada = await world.user("ada")

    organization = await world.create(ada, "Analytical Engines", "Gears")

    assert organization.name == "Analytical Engines"
    assert organization.description == "Gears"
    assert not organization.is_personal
    assert await world.role_of(organization, ada) is OWNER


async def test_create_keeps_text_as_sent(world: OrganizationWorld) -> None:
    ada = await world.user("ada")

    organization = await world.create(ada, "  Spaced  ", " e\u0301 ")

    assert organization.name == "  Spaced  "
    assert organization.description == " e\u0301 "


async def test_create_rejects_invalid_fields(world: OrganizationWorld) -> None:
    ada = await world.user("ada")

    with pytest.raises(ValidationError) as raised:
        await world.create(ada, " ", "x" * 5_001)

    assert [error.field for error in raised.value.errors] == ["name", "description"]


async def test_list_shows_only_own_organizations(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    first = await world.create(ada, "First")
    world.clock.advance(1)
    second = await world.create(ada, "Second")
    await world.create(bob, "Bob's team")
    list_organizations = ListOrganizations(world.uow_factory(write=False))

    page_one = await list_organizations(
        ListOrganizationsQuery(actor_id=ada.id, page=PageRequest(limit=2))
    )

    assert [view.organization.id for view in page_one.items] == [second.id, first.id]
    assert [view.role for view in page_one.items] == [OWNER, OWNER]
    assert page_one.next is not None
    page_two = await ListOrganizations(world.uow_factory(write=False))(
        ListOrganizationsQuery(actor_id=ada.id, page=PageRequest(limit=2, after=page_one.next))
    )
    assert len(page_two.items) == 1
    assert page_two.items[0].organization.is_personal
    assert page_two.next is None


async def test_get_hides_from_outsiders(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    eve = await world.user("eve")
    organization = await world.create(ada)
    get = GetOrganization(world.uow_factory(write=False))

    with pytest.raises(NotFoundError):
        await get(GetOrganizationQuery(actor_id=eve.id, organization_id=organization.id))
    with pytest.raises(NotFoundError):
        await get(GetOrganizationQuery(actor_id=ada.id, organization_id=uuid.uuid4()))


async def test_get_counts_members(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    await world.user("bob")
    organization = await world.create(ada)
    await world.add(ada, organization, "bob@example.com", MEMBER)

    details = await GetOrganization(world.uow_factory(write=False))(
        GetOrganizationQuery(actor_id=ada.id, organization_id=organization.id)
    )

    assert details.member_count == 2
    assert details.role is OWNER


async def test_update_is_partial(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    organization = await world.create(ada, "Team", "Old description")
    world.clock.advance(60)

    view = await UpdateOrganization(world.uow_factory(), world.clock)(
        UpdateOrganizationCommand(actor_id=ada.id, organization_id=organization.id, name="New")
    )

    assert view.organization.name == "New"
    assert view.organization.description == "Old description"
    assert view.organization.updated_at == world.clock.now()


async def test_update_without_change_keeps_timestamp(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    organization = await world.create(ada, "Team")
    world.clock.advance(60)

    view = await UpdateOrganization(world.uow_factory(), world.clock)(
        UpdateOrganizationCommand(actor_id=ada.id, organization_id=organization.id, name="Team")
    )

    assert view.organization.updated_at == organization.updated_at


@pytest.mark.parametrize(
    ("role", "error"), [(ADMIN, None), (MEMBER, PermissionDeniedError), (None, NotFoundError)]
)
async def test_update_needs_admin(
    world: OrganizationWorld, role: OrganizationRole | None, error: type[Exception] | None
) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    organization = await world.create(ada)
    if role is not None:
        await world.add(ada, organization, "bob@example.com", role)
    update = UpdateOrganization(world.uow_factory(), world.clock)
    command = UpdateOrganizationCommand(
        actor_id=bob.id, organization_id=organization.id, description="By Bob"
    )

    if error is None:
        assert (await update(command)).organization.description == "By Bob"
        return
    with pytest.raises(error):
        await update(command)


async def test_member_reported_before_invalid_name(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    organization = await world.create(ada)
    await world.add(ada, organization, "bob@example.com", MEMBER)

    with pytest.raises(PermissionDeniedError):
        await UpdateOrganization(world.uow_factory(), world.clock)(
            UpdateOrganizationCommand(actor_id=bob.id, organization_id=organization.id, name="")
        )


async def test_add_member_by_email_any_case(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    organization = await world.create(ada)

    member = await world.add(ada, organization, "BOB@Example.COM", ADMIN)

    assert member.user_id == bob.id
    assert member.email == "bob@example.com"
    assert member.full_name == "Bob"
    assert member.role is ADMIN
    assert member.joined_at == world.clock.now()
    assert await world.role_of(organization, bob) is ADMIN


async def test_add_unknown_email_not_found(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    organization = await world.create(ada)

    with pytest.raises(NotFoundError) as raised:
        await world.add(ada, organization, "nobody@example.com", MEMBER)

    assert raised.value.message.startswith("No user with that email address.")
    assert "nobody" not in raised.value.message


async def test_add_deactivated_user_not_found(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    await world.deactivate(bob)
    organization = await world.create(ada)

    with pytest.raises(NotFoundError):
        await world.add(ada, organization, "bob@example.com", MEMBER)


async def test_add_existing_member_conflicts(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    await world.user("bob")
    organization = await world.create(ada)
    await world.add(ada, organization, "bob@example.com", MEMBER)

    with pytest.raises(ConflictError) as raised:
        await world.add(ada, organization, "bob@example.com", ADMIN)

    assert "already a member" in raised.value.message


async def test_add_to_personal_conflicts(world: OrganizationWorld) -> None:
    registered = await world.register("ada@example.com")
    await world.user("bob")

    with pytest.raises(ConflictError) as raised:
        await world.add(registered.user, registered.organization, "bob@example.com", MEMBER)

    assert "create a team organization" in raised.value.message


async def test_add_checks_role_before_email(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    organization = await world.create(ada)
    await world.add(ada, organization, "bob@example.com", MEMBER)

    # A member probing addresses learns nothing: registered or not, valid or not, it is 403.
    for email in ("ada@example.com", "nobody@example.com", "not an email"):
        with pytest.raises(PermissionDeniedError):
            await world.add(bob, organization, email, MEMBER)


async def test_add_by_outsider_not_found(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    eve = await world.user("eve")
    organization = await world.create(ada)

    with pytest.raises(NotFoundError):
        await world.add(eve, organization, "eve@example.com", MEMBER)


async def test_add_invalid_email_rejected(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    organization = await world.create(ada)

    with pytest.raises(ValidationError) as raised:
        await world.add(ada, organization, "not an email", MEMBER)

    assert raised.value.errors[0].field == "email"


async def test_admin_cannot_add_owner(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    await world.user("cy")
    organization = await world.create(ada)
    await world.add(ada, organization, "bob@example.com", ADMIN)

    with pytest.raises(PermissionDeniedError):
        await world.add(bob, organization, "cy@example.com", OWNER)


async def test_members_list_newest_first(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    cy = await world.user("cy")
    organization = await world.create(ada)
    await world.add(ada, organization, "bob@example.com", ADMIN)
    await world.add(ada, organization, "cy@example.com", MEMBER)

    members = await world.members(cy, organization)

    assert [member.user_id for member in members] == [cy.id, bob.id, ada.id]
    assert [member.role for member in members] == [MEMBER, ADMIN, OWNER]
    assert [member.email for member in members] == [
        "cy@example.com",
        "bob@example.com",
        "ada@example.com",
    ]


async def test_members_list_pages(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    organization = await world.create(ada)
    for name in ("bob", "cy", "dee"):
        await world.user(name)
        await world.add(ada, organization, f"{name}@example.com", MEMBER)
    list_members = ListMembers(world.uow_factory(write=False))

    seen: list[uuid.UUID] = []
    page = PageRequest(limit=3)
    while True:
        result = await list_members(
            ListMembersQuery(actor_id=ada.id, organization_id=organization.id, page=page)
        )
        seen.extend(member.user_id for member in result.items)
        if result.next is None:
            break
        page = PageRequest(limit=3, after=result.next)

    assert len(seen) == 4
    assert len(set(seen)) == 4


async def test_members_hidden_from_outsiders(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    eve = await world.user("eve")
    organization = await world.create(ada)

    with pytest.raises(NotFoundError):
        await world.members(eve, organization)


async def test_owner_promotes_then_steps_down(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    organization = await world.create(ada)
    await world.add(ada, organization, "bob@example.com", MEMBER)

    with pytest.raises(ConflictError) as raised:
        await world.change(ada, organization, ada, MEMBER)
    assert "Promote another member to owner first" in raised.value.message

    promoted = await world.change(ada, organization, bob, OWNER)
    assert promoted.role is OWNER
    stepped_down = await world.change(ada, organization, ada, ADMIN)
    assert stepped_down.role is ADMIN
    assert await world.role_of(organization, ada) is ADMIN


async def test_change_role_of_non_member(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    eve = await world.user("eve")
    organization = await world.create(ada)

    with pytest.raises(NotFoundError):
        await world.change(ada, organization, eve, ADMIN)


async def test_admin_cannot_demote_owner(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    organization = await world.create(ada)
    await world.add(ada, organization, "bob@example.com", ADMIN)

    with pytest.raises(PermissionDeniedError):
        await world.change(bob, organization, ada, MEMBER)
    assert await world.role_of(organization, ada) is OWNER


async def test_member_leaves(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    organization = await world.create(ada)
    await world.add(ada, organization, "bob@example.com", MEMBER)

    await world.remove(bob, organization, bob)

    assert await world.role_of(organization, bob) is None
    with pytest.raises(NotFoundError):
        await world.members(bob, organization)


async def test_last_owner_cannot_leave(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    organization = await world.create(ada)

    with pytest.raises(ConflictError):
        await world.remove(ada, organization, ada)

    assert await world.role_of(organization, ada) is OWNER


async def test_member_cannot_remove_others(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    bob = await world.user("bob")
    cy = await world.user("cy")
    organization = await world.create(ada)
    await world.add(ada, organization, "bob@example.com", MEMBER)
    await world.add(ada, organization, "cy@example.com", MEMBER)

    with pytest.raises(PermissionDeniedError):
        await world.remove(bob, organization, cy)

    assert await world.role_of(organization, cy) is MEMBER


async def test_remove_non_member_not_found(world: OrganizationWorld) -> None:
    ada = await world.user("ada")
    eve = await world.user("eve")
    organization = await world.create(ada)

    with pytest.raises(NotFoundError):
        await world.remove(ada, organization, eve)
