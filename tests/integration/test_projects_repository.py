"""The SQL project repository on SQLite and PostgreSQL: visibility, uniqueness, pagination."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.application.pagination import PageRequest
from promptlab.application.ports.projects import ProjectFilter
from promptlab.domain.accounts import User
from promptlab.domain.errors import ConflictError
from promptlab.domain.organizations import Membership, Organization, OrganizationRole
from promptlab.domain.projects import Collaborator, Project, ProjectRole

BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)


async def add_user(uow_factory: SqlAlchemyUnitOfWorkFactory) -> User:
    user_id = uuid.uuid4()
    email = f"user-{user_id.hex[:12]}@example.com"
    user = User(
        id=user_id,
        email=email,
        email_normalized=email,
        full_name="Repository User",
        password_hash="unused",
        is_active=True,
        created_at=BASE_TIME,
        updated_at=BASE_TIME,
    )
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def add_organization(
    uow_factory: SqlAlchemyUnitOfWorkFactory, members: list[tuple[User, OrganizationRole]]
) -> Organization:
    organization = Organization(
        id=uuid.uuid4(),
        name="Team",
        description="",
        is_personal=False,
        created_at=BASE_TIME,
        updated_at=BASE_TIME,
    )
    async with uow_factory() as uow:
        await uow.organizations.add(organization)
        for user, role in members:
            await uow.organizations.add_membership(
                Membership(organization.id, user.id, role, BASE_TIME)
            )
        await uow.commit()
    return organization


def make_project(
    organization: Organization,
    name: str,
    *,
    created_at: datetime = BASE_TIME,
    project_id: uuid.UUID | None = None,
) -> Project:
    return Project(
        id=project_id or uuid.uuid4(),
        organization_id=organization.id,
        name=name,
        description="",
        is_archived=False,
        archived_at=None,
        created_by=None,
        created_at=created_at,
        updated_at=created_at,
    )


async def add_project(uow_factory: SqlAlchemyUnitOfWorkFactory, project: Project) -> Project:
    async with uow_factory() as uow:
        await uow.projects.add(project)
        await uow.commit()
    return project


async def test_visibility_and_roles_in_one_query(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    owner = await add_user(uow_factory)
    member = await add_user(uow_factory)
    guest = await add_user(uow_factory)
    outsider = await add_user(uow_factory)
    team = await add_organization(
        uow_factory, [(owner, OrganizationRole.OWNER), (member, OrganizationRole.MEMBER)]
    )
    shared = await add_project(uow_factory, make_project(team, "Shared"))
    await add_project(uow_factory, make_project(team, "Internal"))
    async with uow_factory() as uow:
        await uow.projects.add_collaborator(
            Collaborator(shared.id, guest.id, ProjectRole.VIEWER, BASE_TIME)
        )
        await uow.projects.add_collaborator(
            Collaborator(shared.id, member.id, ProjectRole.ADMIN, BASE_TIME)
        )
        await uow.commit()

    async with uow_factory(write=False) as uow:
        as_member = await uow.projects.list_visible(member.id, ProjectFilter(), PageRequest())
        as_guest = await uow.projects.list_visible(guest.id, ProjectFilter(), PageRequest())
        as_outsider = await uow.projects.list_visible(
            outsider.id, ProjectFilter(organization_id=team.id), PageRequest()
        )
        outsider_grant = await uow.projects.get_grant(shared.id, outsider.id)

    member_roles = {
        grant.project.name: (grant.organization_role, grant.collaborator_role)
        for grant in as_member.items
    }
    assert member_roles == {
        "Shared": (OrganizationRole.MEMBER, ProjectRole.ADMIN),
        "Internal": (OrganizationRole.MEMBER, None),
    }
    assert [(g.project.name, g.collaborator_role) for g in as_guest.items] == [
        ("Shared", ProjectRole.VIEWER)
    ]
    assert as_outsider.items == []
    assert outsider_grant is None


async def test_active_names_unique_case_folded(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    owner = await add_user(uow_factory)
    team = await add_organization(uow_factory, [(owner, OrganizationRole.OWNER)])
    other_team = await add_organization(uow_factory, [(owner, OrganizationRole.OWNER)])
    first = await add_project(uow_factory, make_project(team, "Straße"))

    with pytest.raises(ConflictError):
        await add_project(uow_factory, make_project(team, "STRASSE"))
    await add_project(uow_factory, make_project(other_team, "Straße"))

    first.archive(BASE_TIME)
    async with uow_factory() as uow:
        await uow.projects.update(first)
        await uow.commit()
    await add_project(uow_factory, make_project(team, "strasse"))

    first.restore(BASE_TIME)
    with pytest.raises(ConflictError):
        async with uow_factory() as uow:
            await uow.projects.update(first)


async def test_longest_name_fits_after_case_folding(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    owner = await add_user(uow_factory)
    team = await add_organization(uow_factory, [(owner, OrganizationRole.OWNER)])

    # "ΐ" case-folds to three code points, the largest growth Unicode has.
    await add_project(uow_factory, make_project(team, "ΐ" * 200))

    async with uow_factory(write=False) as uow:
        found = await uow.projects.list_visible(
            owner.id, ProjectFilter(search="ΐ" * 2), PageRequest()
        )
    assert [grant.project.name for grant in found.items] == ["ΐ" * 200]


async def test_search_escapes_like_wildcards(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    owner = await add_user(uow_factory)
    team = await add_organization(uow_factory, [(owner, OrganizationRole.OWNER)])
    for name in ("100% Done", "100 done", "A_B", "AxB", "back\\slash"):
        await add_project(uow_factory, make_project(team, name))

    async def names(search: str) -> list[str]:
        async with uow_factory(write=False) as uow:
            page = await uow.projects.list_visible(
                owner.id, ProjectFilter(organization_id=team.id, search=search), PageRequest()
            )
        return [grant.project.name for grant in page.items]

    assert await names("0% d") == ["100% Done"]
    assert await names("a_") == ["A_B"]
    assert await names("K\\S") == ["back\\slash"]
    assert await names("%") == ["100% Done"]


async def test_collaborator_entries_page(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    owner = await add_user(uow_factory)
    team = await add_organization(uow_factory, [(owner, OrganizationRole.OWNER)])
    project = await add_project(uow_factory, make_project(team, "Demo"))
    guests = [await add_user(uow_factory) for _ in range(3)]
    async with uow_factory() as uow:
        for index, guest in enumerate(guests):
            added_at = BASE_TIME + timedelta(seconds=index)
            await uow.projects.add_collaborator(
                Collaborator(project.id, guest.id, ProjectRole.EDITOR, added_at)
            )
        await uow.commit()

    async with uow_factory(write=False) as uow:
        first = await uow.projects.list_collaborators(project.id, PageRequest(limit=2))
        second = await uow.projects.list_collaborators(
            project.id, PageRequest(limit=2, after=first.next)
        )

    walked = [entry.collaborator.user_id for entry in first.items + second.items]
    assert walked == [guest.id for guest in reversed(guests)]
    assert first.items[0].email == guests[-1].email
    assert second.next is None


# Each example: offsets in seconds of the initial projects (repeats make equal
# timestamps, ordered by id), a page size, and how many newer projects appear
# after each page request.
PAGINATION_EXAMPLES = st.tuples(
    st.lists(st.integers(min_value=0, max_value=5), max_size=12),
    st.integers(min_value=1, max_value=5),
    st.lists(st.integers(min_value=0, max_value=2), max_size=6),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(example=PAGINATION_EXAMPLES)
async def test_pages_return_each_project_once(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
    example: tuple[list[int], int, list[int]],
) -> None:
    offsets, limit, inserted_per_page = example
    owner = await add_user(uow_factory)
    team = await add_organization(uow_factory, [(owner, OrganizationRole.OWNER)])
    initial = [
        await add_project(
            uow_factory,
            make_project(team, f"p{index}", created_at=BASE_TIME + timedelta(seconds=offset)),
        )
        for index, offset in enumerate(offsets)
    ]
    expected = [
        project.id for project in sorted(initial, key=lambda p: (p.created_at, p.id), reverse=True)
    ]

    walked: list[uuid.UUID] = []
    page_request = PageRequest(limit=limit)
    newer_time = BASE_TIME + timedelta(days=1)
    for page_number in range(len(offsets) + 2):
        async with uow_factory(write=False) as uow:
            page = await uow.projects.list_visible(owner.id, ProjectFilter(), page_request)
        walked.extend(grant.project.id for grant in page.items)
        assert len(page.items) <= limit
        if page.next is None:
            break
        page_request = PageRequest(limit=limit, after=page.next)

        # Projects created meanwhile are newer than every listed one, so they
        # belong before the first page and never show up on later pages.
        new_count = inserted_per_page[page_number] if page_number < len(inserted_per_page) else 0
        for _ in range(new_count):
            newer_time += timedelta(seconds=1)
            await add_project(
                uow_factory, make_project(team, f"new {uuid.uuid4().hex}", created_at=newer_time)
            )

    assert walked == expected
