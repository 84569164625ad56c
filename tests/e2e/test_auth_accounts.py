"""Account state over HTTP: deactivated users, and password hashes upgraded at login."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable

from promptlab.adapters.security.argon2_hasher import Argon2PasswordHasher
from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.entrypoints.http.app import create_app
from promptlab.entrypoints.settings import Settings
from tests.support.api import Account, Api
from tests.support.server import LiveServer


async def deactivate(uow_factory: SqlAlchemyUnitOfWorkFactory, account: Account) -> None:
    async with uow_factory() as uow:
        user = await uow.users.get(uuid.UUID(account.id))
        assert user is not None
        user.is_active = False
        await uow.users.update(user)
        await uow.commit()


async def stored_hash(uow_factory: SqlAlchemyUnitOfWorkFactory, account: Account) -> str:
    async with uow_factory(write=False) as uow:
        user = await uow.users.get(uuid.UUID(account.id))
    assert user is not None
    return user.password_hash


async def test_deactivated_user_refused(api: Api, uow_factory: SqlAlchemyUnitOfWorkFactory) -> None:
    account = api.register()
    assert api.get("/api/auth/me/", as_=account).status_code == 200

    await deactivate(uow_factory, account)

    me = api.get("/api/auth/me/", as_=account)
    organizations = api.get("/api/organizations/", as_=account)
    refreshed = api.post("/api/auth/token/refresh/", json={"refresh": account.refresh})
    login = api.post(
        "/api/auth/login/", json={"email": account.email, "password": account.password}
    )
    assert me.status_code == 401
    assert organizations.status_code == 401
    assert refreshed.status_code == 401
    assert login.status_code == 401
    assert login.json()["detail"] == "The email or password is incorrect."


async def test_refused_user_releases_connection(
    uow_factory: SqlAlchemyUnitOfWorkFactory, settings_factory: Callable[..., Settings]
) -> None:
    app = create_app(settings_factory())
    pool = app.state["container"].engine().pool
    server = LiveServer(app).start()
    client = Api(server.url)
    account = client.register()
    await deactivate(uow_factory, account)

    # Without the garbage collector, a connection left checked out stays so,
    # rather than being reclaimed at a moment the test cannot control.
    gc.disable()
    try:
        # A route whose handler also takes a use case, which depends on the request's unit of work.
        statuses = [client.get("/api/organizations/", as_=account).status_code for _ in range(3)]
        checked_out = pool.checkedout()
    finally:
        gc.enable()
        client.close()
        server.stop()

    assert statuses == [401, 401, 401]
    assert checked_out == 0


async def test_login_upgrades_password_hash(
    api: Api,
    uow_factory: SqlAlchemyUnitOfWorkFactory,
    settings_factory: Callable[..., Settings],
) -> None:
    # The shared server hashes with the cheap test profile (t=1, m=1024 KiB, p=1).
    account = api.register()
    cheap_hash = await stored_hash(uow_factory, account)
    assert "m=1024,t=1,p=1" in cheap_hash
    stronger = settings_factory(argon2_time_cost=2, argon2_memory_cost=2048)
    server = LiveServer(create_app(stronger)).start()
    try:
        stronger_api = Api(server.url)
        login = stronger_api.post(
            "/api/auth/login/", json={"email": account.email, "password": account.password}
        )
        stronger_api.close()
    finally:
        server.stop()

    upgraded = await stored_hash(uow_factory, account)
    assert login.status_code == 200
    assert "m=2048,t=2,p=1" in upgraded
    hasher = Argon2PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    assert not hasher.needs_rehash(upgraded)
    assert hasher.verify(upgraded, account.password)
    relogin = api.post(
        "/api/auth/login/", json={"email": account.email, "password": account.password}
    )
    assert relogin.status_code == 200
