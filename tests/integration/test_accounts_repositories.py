"""The SQL account and organization repositories on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.application.organizations.change_member_role import (
    ChangeMemberRole,
    ChangeMemberRoleCommand,
)
from promptlab.application.pagination import PageRequest
from promptlab.domain.accounts import RefreshTokenRecord, User
from promptlab.domain.errors import ConflictError
from promptlab.domain.organizations import Membership, Organization, OrganizationRole

BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
OWNER = OrganizationRole.OWNER
ADMIN = OrganizationRole.ADMIN
MEMBER = OrganizationRole.MEMBER


def new_user(email: str | None = None) -> User:
    user_id = uuid.uuid4()
    email = email or f"user-{user_id.hex[:12]}@example.com"
    return User(
        id=user_id,
        email=email,
        email_normalized=email.lower(),
        full_name="Repository User",
        password_hash="$argon2id$unused",
        is_active=True,
        created_at=BASE_TIME,
        updated_at=BASE_TIME,
    )


async def add_user(uow_factory: SqlAlchemyUnitOfWorkFactory, email: str | None = None) -> User:
    user = new_user(email)
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def add_organization(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
    members: list[tuple[User, OrganizationRole]],
    *,
    created_at: datetime = BASE_TIME,
    personal_owner: User | None = None,
) -> Organization:
    organization = Organization(
        id=uuid.uuid4(),
        name="Team",
        description="",
        is_personal=personal_owner is not None,
        created_at=created_at,
        updated_at=created_at,
    )
    async with uow_factory() as uow:
        owner_id = personal_owner.id if personal_owner else None
        await uow.organizations.add(organization, personal_owner_id=owner_id)
        for offset, (user, role) in enumerate(members):
            joined_at = created_at + timedelta(seconds=offset)
            await uow.organizations.add_membership(
                Membership(organization.id, user.id, role, joined_at)
            )
        await uow.commit()
    return organization


async def add_refresh_token(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
    user: User,
    *,
    family_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> RefreshTokenRecord:
    record = RefreshTokenRecord(
        jti=uuid.uuid4().hex,
        family_id=family_id or uuid.uuid4(),
        user_id=user.id,
        issued_at=BASE_TIME,
        expires_at=expires_at or BASE_TIME + timedelta(days=30),
    )
    async with uow_factory() as uow:
        await uow.refresh_tokens.add(record)
        await uow.commit()
    return record


async def test_user_round_trip(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory, "Ünïcode.User@Example.com")

    async with uow_factory(write=False) as uow:
        by_id = await uow.users.get(user.id)
        by_email = await uow.users.get_by_email(user.email_normalized)
        missing = await uow.users.get(uuid.uuid4())

    assert by_id == user
    assert by_email == user
    assert missing is None


async def test_user_email_unique(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    duplicate = new_user(user.email.upper())

    async with uow_factory() as uow:
        with pytest.raises(ConflictError) as raised:
            await uow.users.add(duplicate)

    assert "already exists" in raised.value.message


async def test_user_update(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    user.is_active = False
    user.password_hash = "$argon2id$upgraded"
    user.updated_at = BASE_TIME + timedelta(hours=1)

    async with uow_factory() as uow:
        await uow.users.update(user)
        await uow.commit()

    async with uow_factory(write=False) as uow:
        assert await uow.users.get(user.id) == user


async def test_user_update_to_taken_email(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    first = await add_user(uow_factory)
    second = await add_user(uow_factory)
    second.email_normalized = first.email_normalized

    async with uow_factory() as uow:
        with pytest.raises(ConflictError):
            await uow.users.update(second)


async def test_refresh_token_round_trip(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    record = await add_refresh_token(uow_factory, user)

    async with uow_factory(write=False) as uow:
        assert await uow.refresh_tokens.get(record.jti) == record
        assert await uow.refresh_tokens.get("no-such-jti") is None


async def test_consume_once(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    record = await add_refresh_token(uow_factory, user)
    now = BASE_TIME + timedelta(minutes=1)

    async with uow_factory() as uow:
        first = await uow.refresh_tokens.consume(record.jti, now)
        second = await uow.refresh_tokens.consume(record.jti, now)
        await uow.commit()

    assert first is True
    assert second is False
    async with uow_factory(write=False) as uow:
        stored = await uow.refresh_tokens.get(record.jti)
    assert stored is not None
    assert stored.used_at == now


async def test_consume_rejects_expired(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    expires_at = BASE_TIME + timedelta(hours=1)
    record = await add_refresh_token(uow_factory, user, expires_at=expires_at)

    async with uow_factory() as uow:
        assert await uow.refresh_tokens.consume(record.jti, expires_at) is False
        assert await uow.refresh_tokens.consume("no-such-jti", BASE_TIME) is False


async def test_revoke_family(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    family_id = uuid.uuid4()
    used = await add_refresh_token(uow_factory, user, family_id=family_id)
    current = await add_refresh_token(uow_factory, user, family_id=family_id)
    other = await add_refresh_token(uow_factory, user)
    now = BASE_TIME + timedelta(minutes=5)

    async with uow_factory() as uow:
        assert await uow.refresh_tokens.consume(used.jti, now)
        revoked = await uow.refresh_tokens.revoke_family(family_id, now)
        again = await uow.refresh_tokens.revoke_family(family_id, now)
        await uow.commit()

    assert revoked == 2
    assert again == 0
    async with uow_factory() as uow:
        assert await uow.refresh_tokens.consume(current.jti, now) is False
        assert await uow.refresh_tokens.consume(other.jti, now) is True


async def test_consume_atomic_under_concurrency(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    user = await add_user(uow_factory)
    record = await add_refresh_token(uow_factory, user)
    now = BASE_TIME + timedelta(minutes=1)

    async def consume() -> bool:
        async with uow_factory() as uow:
            consumed = await uow.refresh_tokens.consume(record.jti, now)
            await uow.commit()
        return consumed

    results = await asyncio.gather(*(consume() for _ in range(50)))

    assert results.count(True) == 1
    assert results.count(False) == 49


async def test_organization_round_trip(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    owner = await add_user(uow_factory)
    organization = await add_organization(uow_factory, [(owner, OWNER)])
    organization.name = "Renamed"
    organization.description = "Now described"
    organization.updated_at = BASE_TIME + timedelta(hours=1)

    async with uow_factory() as uow:
        await uow.organizations.update(organization)
        await uow.commit()

    async with uow_factory(write=False) as uow:
        assert await uow.organizations.get(organization.id) == organization
        assert await uow.organizations.get(uuid.uuid4()) is None
        found = await uow.organizations.get_for_member(organization.id, owner.id)
    assert found == (organization, OWNER)


async def test_get_for_member_hides_outsiders(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    owner = await add_user(uow_factory)
    outsider = await add_user(uow_factory)
    organization = await add_organization(uow_factory, [(owner, OWNER)])

    async with uow_factory(write=False) as uow:
        assert await uow.organizations.get_for_member(organization.id, outsider.id) is None


async def test_personal_organization_unique(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    personal = await add_organization(uow_factory, [(user, OWNER)], personal_owner=user)

    async with uow_factory(write=False) as uow:
        assert await uow.organizations.get_personal(user.id) == personal

    with pytest.raises(Exception, match="(?i)unique"):
        await add_organization(uow_factory, [], personal_owner=user)


async def test_list_for_member_pages(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    user = await add_user(uow_factory)
    other = await add_user(uow_factory)
    created = []
    for hour in range(5):
        role = ADMIN if hour % 2 else MEMBER
        created.append(
            await add_organization(
                uow_factory, [(user, role)], created_at=BASE_TIME + timedelta(hours=hour)
            )
        )
    await add_organization(uow_factory, [(other, OWNER)], created_at=BASE_TIME)
    # Two organizations created at the same instant are ordered by id.
    created.append(await add_organization(uow_factory, [(user, OWNER)], created_at=BASE_TIME))

    listed: list[tuple[Organization, OrganizationRole]] = []
    page = PageRequest(limit=2)
    while True:
        async with uow_factory(write=False) as uow:
            result = await uow.organizations.list_for_member(user.id, page)
        assert len(result.items) <= 2
        listed.extend(result.items)
        if result.next is None:
            break
        page = PageRequest(limit=2, after=result.next)

    expected = sorted(created, key=lambda org: (org.created_at, org.id), reverse=True)
    assert [org.id for org, _ in listed] == [org.id for org in expected]
    roles = {org.id: role for org, role in listed}
    assert roles[created[1].id] is ADMIN
    assert roles[created[0].id] is MEMBER


async def test_membership_lifecycle(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    owner = await add_user(uow_factory)
    member = await add_user(uow_factory)
    organization = await add_organization(uow_factory, [(owner, OWNER), (member, MEMBER)])

    async with uow_factory() as uow:
        membership = await uow.organizations.get_membership(organization.id, member.id)
        assert membership is not None
        membership.role = OWNER
        await uow.organizations.update_membership(membership)
        await uow.commit()

    async with uow_factory(write=False) as uow:
        assert await uow.organizations.count_members(organization.id) == 2
        assert await uow.organizations.count_owners(organization.id) == 2

    async with uow_factory() as uow:
        await uow.organizations.remove_membership(organization.id, member.id)
        await uow.commit()

    async with uow_factory(write=False) as uow:
        assert await uow.organizations.get_membership(organization.id, member.id) is None
        assert await uow.organizations.count_members(organization.id) == 1
        assert await uow.organizations.count_owners(organization.id) == 1


async def test_duplicate_membership_conflicts(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    owner = await add_user(uow_factory)
    organization = await add_organization(uow_factory, [(owner, OWNER)])

    async with uow_factory() as uow:
        with pytest.raises(ConflictError) as raised:
            await uow.organizations.add_membership(
                Membership(organization.id, owner.id, MEMBER, BASE_TIME)
            )

    assert "already a member" in raised.value.message


async def test_list_members_pages(uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    users = [await add_user(uow_factory) for _ in range(5)]
    members = [(user, OWNER if index == 0 else MEMBER) for index, user in enumerate(users)]
    organization = await add_organization(uow_factory, members)
    other = await add_organization(uow_factory, [(users[0], OWNER)])

    listed = []
    page = PageRequest(limit=2)
    while True:
        async with uow_factory(write=False) as uow:
            result = await uow.organizations.list_members(organization.id, page)
        listed.extend(result.items)
        if result.next is None:
            break
        page = PageRequest(limit=2, after=result.next)

    assert [member.user_id for member in listed] == [user.id for user in reversed(users)]
    assert listed[-1].role is OWNER
    assert listed[-1].email == users[0].email
    assert listed[-1].full_name == users[0].full_name
    assert listed[-1].joined_at == BASE_TIME
    async with uow_factory(write=False) as uow:
        only_owner = await uow.organizations.list_members(other.id, PageRequest())
    assert [member.user_id for member in only_owner.items] == [users[0].id]


async def test_concurrent_demotions_keep_an_owner(
    uow_factory: SqlAlchemyUnitOfWorkFactory,
) -> None:
    first = await add_user(uow_factory)
    second = await add_user(uow_factory)
    organization = await add_organization(uow_factory, [(first, OWNER), (second, OWNER)])
    # Both transactions wait here after counting owners, so without the lock
    # each would see two owners. With it, the second cannot count until the
    # first commits, and the first stops waiting after a second.
    counted = asyncio.Barrier(2)

    async def step_down(user: User) -> object:
        uow = uow_factory()
        count_owners = uow.organizations.count_owners

        async def count_then_wait(organization_id: uuid.UUID) -> int:
            count = await count_owners(organization_id)
            try:
                await asyncio.wait_for(counted.wait(), timeout=1)
            except (TimeoutError, asyncio.BrokenBarrierError):
                pass
            return count

        uow.organizations.count_owners = count_then_wait  # type: ignore[method-assign]
        change = ChangeMemberRole(uow)
        try:
            return await change(
                ChangeMemberRoleCommand(
                    actor_id=user.id, organization_id=organization.id, user_id=user.id, role=ADMIN
                )
            )
        except ConflictError as error:
            return error

    outcomes = await asyncio.gather(step_down(first), step_down(second))

    assert sum(isinstance(outcome, ConflictError) for outcome in outcomes) == 1
    async with uow_factory(write=False) as uow:
        assert await uow.organizations.count_owners(organization.id) == 1
