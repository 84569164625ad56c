"""In-memory adapters with one project and callers of every role, for session and prompt tests."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import attrs

from promptlab.adapters.catalog.loader import Catalog
from promptlab.adapters.memory.clock import ManualClock, SequentialIdGenerator
from promptlab.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from promptlab.application.pagination import PageRequest
from promptlab.application.prompts.create_prompt import CreatePrompt, CreatePromptCommand
from promptlab.application.prompts.get_prompt import GetPrompt, GetPromptCommand
from promptlab.application.ports.prompts import ListedPrompt
from promptlab.application.prompts.list_prompts import ListPrompts, ListPromptsCommand
from promptlab.application.sessions.create_session import CreateSession, CreateSessionCommand
from promptlab.application.sessions.get_session import GetSession, GetSessionCommand
from promptlab.application.sessions.list_sessions import ListSessions, ListSessionsCommand
from promptlab.application.sessions.update_session import UpdateSession, UpdateSessionCommand
from promptlab.application.sessions.views import SessionDetail
from promptlab.domain.accounts import User
from promptlab.domain.catalog import ModelSpec, Prices, ProviderConfig, ProviderKind
from promptlab.domain.organizations import Membership, Organization, OrganizationRole
from promptlab.domain.projects import Collaborator, Project, ProjectRole
from promptlab.domain.prompts import Prompt
from promptlab.domain.sessions import PromptSession

SMALL_MODEL = "small-model"
LARGE_MODEL = "large-model"


def make_catalog() -> Catalog:
    prices = Prices(input_per_million=Decimal("1"), output_per_million=Decimal("2"))
    models = {
        SMALL_MODEL: ModelSpec(SMALL_MODEL, "local", SMALL_MODEL, 2048, 1024, prices),
        LARGE_MODEL: ModelSpec(LARGE_MODEL, "local", LARGE_MODEL, 200_000, 64_000, prices),
    }
    return Catalog(
        providers={"local": ProviderConfig(name="local", kind=ProviderKind.LOCAL)},
        models=models,
    )


@attrs.define
class World:
    """An organization owned by `owner` with one project, an editor, a viewer and an outsider."""

    uow_factory: InMemoryUnitOfWorkFactory = attrs.Factory(InMemoryUnitOfWorkFactory)
    clock: ManualClock = attrs.Factory(ManualClock)
    ids: SequentialIdGenerator = attrs.Factory(SequentialIdGenerator)
    catalog: Catalog = attrs.Factory(make_catalog)

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
        return user

    async def organization(self, members: list[tuple[User, OrganizationRole]]) -> Organization:
        now = self.clock.now()
        organization = Organization(
            id=self.ids.new_id(),
            name="Team",
            description="",
            is_personal=False,
            created_at=now,
            updated_at=now,
        )
        async with self.uow_factory() as uow:
            await uow.organizations.add(organization)
            for member, role in members:
                await uow.organizations.add_membership(
                    Membership(organization.id, member.id, role, now)
                )
            await uow.commit()
        return organization

    async def project(
        self,
        organization: Organization,
        *,
        archived: bool = False,
        collaborators: list[tuple[User, ProjectRole]] = (),  # type: ignore[assignment]
    ) -> Project:
        now = self.clock.now()
        project = Project(
            id=self.ids.new_id(),
            organization_id=organization.id,
            name=f"Project {uuid.uuid4().hex[:8]}",
            description="",
            is_archived=archived,
            archived_at=now if archived else None,
            created_by=None,
            created_at=now,
            updated_at=now,
        )
        async with self.uow_factory() as uow:
            await uow.projects.add(project)
            for user, role in collaborators:
                await uow.projects.add_collaborator(Collaborator(project.id, user.id, role, now))
            await uow.commit()
        return project

    async def create_session(
        self, user: User, project_id: uuid.UUID, **fields: Any
    ) -> PromptSession:
        self.clock.advance(1)
        use_case = CreateSession(
            uow=self.uow_factory(), catalog=self.catalog, clock=self.clock, ids=self.ids
        )
        fields.setdefault("name", "Experiment")
        return await use_case(CreateSessionCommand(user=user, project_id=project_id, **fields))

    async def update_session(
        self, user: User, session: PromptSession, **fields: Any
    ) -> SessionDetail:
        self.clock.advance(1)
        use_case = UpdateSession(uow=self.uow_factory(), catalog=self.catalog, clock=self.clock)
        return await use_case(
            UpdateSessionCommand(
                user=user, project_id=session.project_id, session_id=session.id, **fields
            )
        )

    async def get_session(self, user: User, session: PromptSession) -> SessionDetail:
        use_case = GetSession(uow=self.uow_factory(write=False))
        return await use_case(
            GetSessionCommand(user=user, project_id=session.project_id, session_id=session.id)
        )

    async def list_sessions(
        self, user: User, project_id: uuid.UUID, **fields: Any
    ) -> list[PromptSession]:
        use_case = ListSessions(uow=self.uow_factory(write=False))
        page = await use_case(
            ListSessionsCommand(user=user, project_id=project_id, page=PageRequest(), **fields)
        )
        return page.items

    async def create_prompt(self, user: User, session: PromptSession, **fields: Any) -> Prompt:
        self.clock.advance(1)
        use_case = CreatePrompt(uow=self.uow_factory(), clock=self.clock, ids=self.ids)
        if "messages" not in fields:
            fields.setdefault("content", "Hello {{ name }}")
        return await use_case(
            CreatePromptCommand(
                user=user, project_id=session.project_id, session_id=session.id, **fields
            )
        )

    async def get_prompt(
        self, user: User, project_id: uuid.UUID, session_id: uuid.UUID, prompt_id: uuid.UUID
    ) -> Prompt:
        use_case = GetPrompt(uow=self.uow_factory(write=False))
        return await use_case(
            GetPromptCommand(
                user=user, project_id=project_id, session_id=session_id, prompt_id=prompt_id
            )
        )

    async def list_prompts(
        self, user: User, session: PromptSession, page: PageRequest | None = None
    ) -> list[ListedPrompt]:
        use_case = ListPrompts(uow=self.uow_factory(write=False))
        result = await use_case(
            ListPromptsCommand(
                user=user,
                project_id=session.project_id,
                session_id=session.id,
                page=page or PageRequest(),
            )
        )
        return result.items


@attrs.define
class Cast:
    """The callers and the project most tests need."""

    world: World
    owner: User
    editor: User
    viewer: User
    outsider: User
    project: Project


async def make_cast() -> Cast:
    world = World()
    owner = await world.user("owner")
    editor = await world.user("editor")
    viewer = await world.user("viewer")
    outsider = await world.user("outsider")
    organization = await world.organization(
        [(owner, OrganizationRole.OWNER), (editor, OrganizationRole.MEMBER)]
    )
    await world.organization([(outsider, OrganizationRole.OWNER)])
    project = await world.project(organization, collaborators=[(viewer, ProjectRole.VIEWER)])
    return Cast(world, owner, editor, viewer, outsider, project)
