"""Project and collaborator use cases on the in-memory adapters."""

from __future__ import annotations

import uuid

import attrs
import pytest

from promptlab.adapters.memory.clock import ManualClock, SequentialIdGenerator
from promptlab.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from promptlab.application.pagination import PageRequest
from promptlab.application.projects.access import load_project_access
from promptlab.application.projects.add_collaborator import (
    AddCollaborator,
    AddCollaboratorCommand,
)
from promptlab.application.projects.archive_project import ArchiveProject, ArchiveProjectCommand
from promptlab.application.projects.create_project import CreateProject, CreateProjectCommand
from promptlab.application.projects.get_project import GetProject, GetProjectCommand
from promptlab.application.projects.list_collaborators import (
    ListCollaborators,
    ListCollaboratorsCommand,
)
from promptlab.application.projects.list_projects import ListProjects, ListProjectsCommand
from promptlab.application.projects.remove_collaborator import (
    RemoveCollaborator,
    RemoveCollaboratorCommand,
)
from promptlab.application.projects.update_collaborator import (
    UpdateCollaborator,
    UpdateCollaboratorCommand,
)
from promptlab.application.projects.update_project import UpdateProject, UpdateProjectCommand
from promptlab.application.projects.views import ProjectView
from promptlab.domain.accounts import User
from promptlab.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from promptlab.domain.organizations import Membership, Organization, OrganizationRole
from promptlab.domain.projects import ProjectAction, ProjectRole


@attrs.define
class World:
    """In-memory adapters and helpers to add users and organizations directly."""

    uow_factory: InMemoryUnitOfWorkFactory = attrs.Factory(InMemoryUnitOfWorkFactory)
    clock: ManualClock = attrs.Factory(ManualClock)
    ids: SequentialIdGenerator = attrs.Factory(SequentialIdGenerator)

    async def user(self, name: str) -> User:
        now = self.clock.now()
        user = User(
            id=self.ids.new_id(),
            email=f"{name}@example.com",
            email_normalized=f"{name}@example.com",
            full_name=name.title(),
            password_hash="unused",
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        async with self.uow_factory() as uow:
            await uow.users.add(user)
            await uow.commit()
        await self.organization(f"{name}'s workspace", [(user, OrganizationRole.OWNER)], user)
        return user

    async def organization(
        self,
        name: str,
        members: list[tuple[User, OrganizationRole]],
        personal_owner: User | None = None,
    ) -> Organization:
        now = self.clock.now()
        organization = Organization(
            id=self.ids.new_id(),
            name=name,
            description="",
            is_personal=personal_owner is not None,
            created_at=now,
            updated_at=now,
        )
        async with self.uow_factory() as uow:
            await uow.organizations.add(
                organization, personal_owner_id=personal_owner.id if personal_owner else None
            )
            for member, role in members:
                await uow.organizations.add_membership(
                    Membership(organization.id, member.id, role, now)
                )
            await uow.commit()
        return organization

    async def create(self, user: User, name: str, **fields: object) -> ProjectView:
        self.clock.advance(1)
        use_case = CreateProject(uow=self.uow_factory(), clock=self.clock, ids=self.ids)
        return await use_case(CreateProjectCommand(user=user, name=name, **fields))  # type: ignore[arg-type]

    async def list(self, user: User, **filters: object) -> list[ProjectView]:
        use_case = ListProjects(uow=self.uow_factory(write=False))
        page = await use_case(ListProjectsCommand(user=user, page=PageRequest(), **filters))  # type: ignore[arg-type]
        return page.items

    async def update(self, user: User, project_id: uuid.UUID, **fields: object) -> ProjectView:
        use_case = UpdateProject(uow=self.uow_factory(), clock=self.clock)
        return await use_case(UpdateProjectCommand(user=user, project_id=project_id, **fields))  # type: ignore[arg-type]

    async def archive(self, user: User, project_id: uuid.UUID) -> None:
        use_case = ArchiveProject(uow=self.uow_factory(), clock=self.clock)
        await use_case(ArchiveProjectCommand(user=user, project_id=project_id))

    async def add_collaborator(
        self, user: User, project_id: uuid.UUID, email: str, role: str
    ) -> None:
        self.clock.advance(1)
        use_case = AddCollaborator(uow=self.uow_factory(), clock=self.clock)
        await use_case(
            AddCollaboratorCommand(user=user, project_id=project_id, email=email, role=role)
        )

    async def remove_collaborator(
        self, user: User, project_id: uuid.UUID, collaborator: User
    ) -> None:
        use_case = RemoveCollaborator(uow=self.uow_factory())
        await use_case(
            RemoveCollaboratorCommand(
                user=user, project_id=project_id, collaborator_id=collaborator.id
            )
        )

    async def role_of(self, user: User, project_id: uuid.UUID) -> ProjectRole:
        async with self.uow_factory(write=False) as uow:
            return (await load_project_access(uow, project_id, user)).role


@pytest.fixture
async def world() -> World:
    return World()


async def test_create_defaults_to_personal_organization(world: World) -> None:
    alice = await world.user("alice")

    view = await world.create(alice, "  Demo  ", description="first")

    async with world.uow_factory(write=False) as uow:
        personal = await uow.organizations.get_personal(alice.id)
    assert personal is not None
    assert view.project.organization_id == personal.id
    assert view.project.name == "Demo"
    assert view.project.created_by == alice.id
    assert view.role is ProjectRole.ADMIN


async def test_create_in_foreign_organization_not_found(world: World) -> None:
    alice = await world.user("alice")
    mallory = await world.user("mallory")
    team = await world.organization("Team", [(alice, OrganizationRole.OWNER)])

    with pytest.raises(NotFoundError):
        await world.create(mallory, "Demo", organization_id=team.id)
    assert await world.list(alice) == []


async def test_member_creates_as_editor(world: World) -> None:
    alice = await world.user("alice")
    bob = await world.user("bob")
    team = await world.organization(
        "Team", [(alice, OrganizationRole.OWNER), (bob, OrganizationRole.MEMBER)]
    )

    view = await world.create(bob, "Demo", organization_id=team.id)

    assert view.role is ProjectRole.EDITOR
    assert await world.role_of(alice, view.project.id) is ProjectRole.ADMIN


async def test_create_rejects_invalid_fields_together(world: World) -> None:
    alice = await world.user("alice")

    with pytest.raises(ValidationError) as invalid:
        await world.create(alice, " ", description="x" * 5001)

    assert {error.field for error in invalid.value.errors} == {"name", "description"}


async def test_names_unique_among_active_projects(world: World) -> None:
    alice = await world.user("alice")
    first = await world.create(alice, "Demo")

    with pytest.raises(ConflictError):
        await world.create(alice, "DEMO")

    await world.archive(alice, first.project.id)
    second = await world.create(alice, "demo")
    assert second.project.name == "demo"


async def test_restore_into_taken_name_conflicts(world: World) -> None:
    alice = await world.user("alice")
    first = await world.create(alice, "Demo")
    await world.archive(alice, first.project.id)
    await world.create(alice, "Demo")

    with pytest.raises(ConflictError) as conflict:
        await world.update(alice, first.project.id, is_archived=False)
    assert "Rename one of them" in conflict.value.message

    restored = await world.update(alice, first.project.id, is_archived=False, name="Demo 1")
    assert restored.project.is_archived is False
    assert restored.project.archived_at is None
    assert restored.project.name == "Demo 1"


async def test_archived_project_is_read_only(world: World) -> None:
    alice = await world.user("alice")
    bob = await world.user("bob")
    view = await world.create(alice, "Demo")
    project_id = view.project.id
    await world.archive(alice, project_id)

    with pytest.raises(ConflictError):
        await world.update(alice, project_id, description="changed")
    with pytest.raises(ConflictError):
        await world.archive(alice, project_id)
    with pytest.raises(ConflictError):
        await world.add_collaborator(alice, project_id, bob.email, "viewer")

    shown = await GetProject(uow=world.uow_factory(write=False))(
        GetProjectCommand(user=alice, project_id=project_id)
    )
    assert shown.project.is_archived is True
    assert await world.list(alice) == []
    assert [item.project.id for item in await world.list(alice, archived=True)] == [project_id]

    await world.update(alice, project_id, is_archived=False)
    changed = await world.update(alice, project_id, description="changed")
    assert changed.project.description == "changed"


async def test_list_shows_only_visible_projects(world: World) -> None:
    alice = await world.user("alice")
    bob = await world.user("bob")
    carol = await world.user("carol")
    shared = await world.create(alice, "Shared")
    await world.create(alice, "Private")
    own = await world.create(bob, "Own")
    await world.add_collaborator(alice, shared.project.id, bob.email, "viewer")

    listed = {item.project.name: item.role for item in await world.list(bob)}

    assert listed == {"Shared": ProjectRole.VIEWER, "Own": ProjectRole.ADMIN}
    assert await world.list(carol) == []
    only_own = await world.list(bob, organization_id=own.project.organization_id)
    assert [item.project.name for item in only_own] == ["Own"]


async def test_search_treats_wildcards_literally(world: World) -> None:
    alice = await world.user("alice")
    for name in ("100% done", "100 percent", "a_b", "axb"):
        await world.create(alice, name)

    assert [v.project.name for v in await world.list(alice, search="0% D")] == ["100% done"]
    assert [v.project.name for v in await world.list(alice, search="A_")] == ["a_b"]


async def test_viewer_cannot_update_project(world: World) -> None:
    alice = await world.user("alice")
    bob = await world.user("bob")
    view = await world.create(alice, "Demo")
    await world.add_collaborator(alice, view.project.id, bob.email, "viewer")

    with pytest.raises(PermissionDeniedError):
        await world.update(bob, view.project.id, name="Mine")
    with pytest.raises(PermissionDeniedError):
        await world.update(bob, view.project.id)
    with pytest.raises(PermissionDeniedError):
        await world.archive(bob, view.project.id)


async def test_add_collaborator_unknown_email(world: World) -> None:
    alice = await world.user("alice")
    view = await world.create(alice, "Demo")

    with pytest.raises(NotFoundError) as missing:
        await world.add_collaborator(alice, view.project.id, "nobody@example.com", "viewer")

    assert missing.value.message == "No user with that email."


async def test_add_collaborator_twice_conflicts(world: World) -> None:
    alice = await world.user("alice")
    bob = await world.user("bob")
    view = await world.create(alice, "Demo")
    await world.add_collaborator(alice, view.project.id, "BOB@example.com", "editor")

    with pytest.raises(ConflictError):
        await world.add_collaborator(alice, view.project.id, bob.email, "viewer")
    assert await world.role_of(bob, view.project.id) is ProjectRole.EDITOR


async def test_collaborator_role_change_and_removal(world: World) -> None:
    alice = await world.user("alice")
    bob = await world.user("bob")
    view = await world.create(alice, "Demo")
    project_id = view.project.id
    await world.add_collaborator(alice, project_id, bob.email, "viewer")

    updated = await UpdateCollaborator(uow=world.uow_factory())(
        UpdateCollaboratorCommand(
            user=alice, project_id=project_id, collaborator_id=bob.id, role="admin"
        )
    )
    assert updated.collaborator.role is ProjectRole.ADMIN
    assert await world.role_of(bob, project_id) is ProjectRole.ADMIN

    listed = await ListCollaborators(uow=world.uow_factory(write=False))(
        ListCollaboratorsCommand(user=bob, project_id=project_id, page=PageRequest())
    )
    assert [(entry.email, entry.full_name) for entry in listed.items] == [(bob.email, "Bob")]

    await world.remove_collaborator(alice, project_id, bob)
    with pytest.raises(NotFoundError):
        await world.role_of(bob, project_id)
    with pytest.raises(NotFoundError):
        await world.remove_collaborator(alice, project_id, bob)


async def test_viewer_may_leave_but_not_remove_others(world: World) -> None:
    alice = await world.user("alice")
    bob = await world.user("bob")
    carol = await world.user("carol")
    view = await world.create(alice, "Demo")
    project_id = view.project.id
    await world.add_collaborator(alice, project_id, bob.email, "viewer")
    await world.add_collaborator(alice, project_id, carol.email, "viewer")

    with pytest.raises(PermissionDeniedError):
        await world.remove_collaborator(bob, project_id, carol)
    await world.remove_collaborator(bob, project_id, bob)

    with pytest.raises(NotFoundError):
        await world.role_of(bob, project_id)
    assert await world.role_of(carol, project_id) is ProjectRole.VIEWER


async def test_access_helper_hides_foreign_projects(world: World) -> None:
    alice = await world.user("alice")
    mallory = await world.user("mallory")
    view = await world.create(alice, "Demo")

    async with world.uow_factory(write=False) as uow:
        with pytest.raises(NotFoundError) as hidden:
            await load_project_access(uow, view.project.id, mallory)
        with pytest.raises(NotFoundError) as missing:
            await load_project_access(uow, uuid.uuid4(), mallory)
        access = await load_project_access(uow, view.project.id, alice)

    assert "not found" in hidden.value.message
    assert "not found" in missing.value.message
    access.require(ProjectAction.MANAGE_COLLABORATORS)
