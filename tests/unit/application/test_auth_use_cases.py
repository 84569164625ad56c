"""Register, login, refresh and request authentication on the in-memory adapters."""

from __future__ import annotations

import asyncio

import pytest

from promptlab.adapters.memory.accounts import USERS
from promptlab.adapters.memory.organizations import InMemoryOrganizationRepository
from promptlab.adapters.security.argon2_hasher import Argon2PasswordHasher
from promptlab.application.auth.register import RegisterCommand, RegisterUser
from promptlab.application.errors import AuthenticationError
from promptlab.application.ports.security import TokenType
from promptlab.domain.errors import ConflictError, ValidationError
from promptlab.domain.organizations import OrganizationRole
from tests.unit.application.auth_world import PASSWORD, REFRESH_LIFETIME, AuthWorld


@pytest.fixture
def world() -> AuthWorld:
    return AuthWorld()


async def test_register_creates_personal_organization(world: AuthWorld) -> None:
    result = await world.register("  Ada.L@Example.com ", full_name="  Ada Lovelace ")

    assert result.user.email == "Ada.L@Example.com"
    assert result.user.email_normalized == "ada.l@example.com"
    assert result.user.full_name == "Ada Lovelace"
    assert result.organization.is_personal
    async with world.uow_factory(write=False) as uow:
        found = await uow.organizations.get_for_member(result.organization.id, result.user.id)
        personal = await uow.organizations.get_personal(result.user.id)
        refresh_record = await uow.refresh_tokens.get(
            world.tokens.decode(result.tokens.refresh, TokenType.REFRESH).jti
        )
    assert found is not None
    assert found[1] is OrganizationRole.OWNER
    assert personal is not None
    assert personal.id == result.organization.id
    assert refresh_record is not None


async def test_register_tokens_authenticate(world: AuthWorld) -> None:
    result = await world.register()

    user = await world.authenticate(result.tokens.access)

    assert user.id == result.user.id


async def test_register_duplicate_email_any_case(world: AuthWorld) -> None:
    await world.register("ada@example.com")

    with pytest.raises(ConflictError):
        await world.register("ADA@EXAMPLE.COM")


async def test_register_reports_every_field(world: AuthWorld) -> None:
    register = RegisterUser(world.uow_factory(), world.hasher, world.tokens, world.clock, world.ids)

    with pytest.raises(ValidationError) as raised:
        await register(RegisterCommand(email="nope", password="short", full_name="  "))

    assert {error.field for error in raised.value.errors} == {"email", "password", "full_name"}


async def test_register_failure_saves_nothing(
    world: AuthWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("membership insert failed")

    monkeypatch.setattr(InMemoryOrganizationRepository, "add_membership", fail)

    with pytest.raises(RuntimeError):
        await world.register()

    async with world.uow_factory(write=False) as uow:
        assert await uow.users.get_by_email("ada@example.com") is None


async def test_login_returns_working_pair(world: AuthWorld) -> None:
    registered = await world.register()

    pair = await world.login("ADA@example.com")

    assert pair.token_type == "Bearer"
    assert pair.expires_in == 15 * 60
    assert (await world.authenticate(pair.access)).id == registered.user.id


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
        ("ada@example.com", "bad\udc80surrogate"),
    ],
)
async def test_login_rejects_bad_credentials(world: AuthWorld, email: str, password: str) -> None:
    await world.register()

    with pytest.raises(AuthenticationError) as raised:
        await world.login(email, password)

    assert raised.value.message == "The email or password is incorrect."


async def test_login_rejects_deactivated_user(world: AuthWorld) -> None:
    registered = await world.register()
    await world.deactivate(registered.user)

    with pytest.raises(AuthenticationError) as raised:
        await world.login()

    assert raised.value.message == "The email or password is incorrect."


async def test_login_rechecks_user_after_verify(world: AuthWorld) -> None:
    registered = await world.register()

    class DeactivatingHasher(Argon2PasswordHasher):
        """Deactivates the user during verification, as a concurrent admin request would."""

        def verify(self, password_hash: str, password: str) -> bool:
            committed = world.uow_factory.database.committed
            committed.table(USERS)[registered.user.id].is_active = False
            return super().verify(password_hash, password)

    hasher = DeactivatingHasher(time_cost=1, memory_cost=64, parallelism=1)

    with pytest.raises(AuthenticationError):
        await world.login(hasher=hasher)


async def test_login_upgrades_weaker_hash(world: AuthWorld) -> None:
    await world.register()
    cheap_hash = (await world.stored_user()).password_hash
    stronger = Argon2PasswordHasher(time_cost=2, memory_cost=128, parallelism=1)
    assert stronger.needs_rehash(cheap_hash)

    await world.login(hasher=stronger)

    upgraded = (await world.stored_user()).password_hash
    assert upgraded != cheap_hash
    assert "m=128,t=2,p=1" in upgraded
    assert not stronger.needs_rehash(upgraded)
    assert stronger.verify(upgraded, PASSWORD)


async def test_login_keeps_current_hash(world: AuthWorld) -> None:
    await world.register()
    before = (await world.stored_user()).password_hash

    await world.login()

    assert (await world.stored_user()).password_hash == before


async def test_refresh_rotates(world: AuthWorld) -> None:
    registered = await world.register()

    rotated = await world.refresh(registered.tokens.refresh)

    assert rotated.refresh != registered.tokens.refresh
    assert (await world.authenticate(rotated.access)).id == registered.user.id
    with pytest.raises(AuthenticationError):
        await world.refresh(registered.tokens.refresh)


async def test_refresh_reuse_revokes_family(world: AuthWorld) -> None:
    registered = await world.register()
    other_login = await world.login()
    rotated = await world.refresh(registered.tokens.refresh)

    with pytest.raises(AuthenticationError):
        await world.refresh(registered.tokens.refresh)

    with pytest.raises(AuthenticationError):
        await world.refresh(rotated.refresh)
    # Another login is another family, so it keeps working.
    assert (await world.refresh(other_login.refresh)).refresh


async def test_refresh_rejects_access_token(world: AuthWorld) -> None:
    registered = await world.register()

    with pytest.raises(AuthenticationError):
        await world.refresh(registered.tokens.access)


async def test_refresh_rejects_expired(world: AuthWorld) -> None:
    registered = await world.register()
    world.clock.advance(REFRESH_LIFETIME.total_seconds())

    with pytest.raises(AuthenticationError) as raised:
        await world.refresh(registered.tokens.refresh)

    assert "expired" in raised.value.message


async def test_refresh_rejects_deactivated_user(world: AuthWorld) -> None:
    registered = await world.register()
    await world.deactivate(registered.user)

    with pytest.raises(AuthenticationError):
        await world.refresh(registered.tokens.refresh)


async def test_refresh_race_has_one_winner(world: AuthWorld) -> None:
    registered = await world.register()

    outcomes = await asyncio.gather(
        *(world.refresh(registered.tokens.refresh) for _ in range(20)), return_exceptions=True
    )

    winners = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, AuthenticationError)]
    assert len(winners) == 1
    assert len(losers) == 19


async def test_authenticate_rejects_deactivated(world: AuthWorld) -> None:
    registered = await world.register()
    await world.deactivate(registered.user)

    with pytest.raises(AuthenticationError):
        await world.authenticate(registered.tokens.access)


async def test_authenticate_rejects_refresh_token(world: AuthWorld) -> None:
    registered = await world.register()

    with pytest.raises(AuthenticationError):
        await world.authenticate(registered.tokens.refresh)


async def test_authenticate_rejects_expired(world: AuthWorld) -> None:
    registered = await world.register()
    world.clock.advance(15 * 60)

    with pytest.raises(AuthenticationError) as raised:
        await world.authenticate(registered.tokens.access)

    assert "expired" in raised.value.message
