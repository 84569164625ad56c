"""Fixtures shared by every test: settings, databases on both backends, the live server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from promptlab.adapters.sqlalchemy.engine import create_engine
from promptlab.adapters.sqlalchemy.migrate import run_migrations
from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from promptlab.entrypoints.http.app import create_app
from promptlab.entrypoints.settings import RateLimitSetting, Settings
from tests.support.api import Api
from tests.support.databases import enabled_backends, fresh_database
from tests.support.server import LiveServer

TEST_SECRET_KEY = b"test-secret-key-that-is-long-enough-for-hs256"
GENEROUS_LIMIT = RateLimitSetting(1_000_000, 60)


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: a cheap argon2 profile and rate limits that normal tests never hit."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "secret_key": TEST_SECRET_KEY,
        "argon2_time_cost": 1,
        "argon2_memory_cost": 1024,
        "argon2_parallelism": 1,
        "rate_limit_login": GENEROUS_LIMIT,
        "rate_limit_register": GENEROUS_LIMIT,
        "rate_limit_refresh": GENEROUS_LIMIT,
        "rate_limit_execute": GENEROUS_LIMIT,
        "rate_limit_execute_per_client": GENEROUS_LIMIT,
    }
    values.update(overrides)
    return Settings.from_env({}, **values)


@pytest.fixture(scope="session", params=enabled_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A fresh database on `backend`, migrated to head, shared by the session's tests."""
    async with fresh_database(backend, tmp_path_factory.mktemp(f"db-{backend}")) as url:
        engine = create_engine(url)
        try:
            await run_migrations(engine)
        finally:
            await engine.dispose()
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def uow_factory(engine: AsyncEngine) -> AsyncIterator[SqlAlchemyUnitOfWorkFactory]:
    factory = SqlAlchemyUnitOfWorkFactory(engine)
    yield factory
    await factory.aclose()


@pytest.fixture(scope="session")
def settings_factory(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Settings]:
    """Build settings on the session's database; keyword arguments override fields."""
    data_dir = tmp_path_factory.mktemp("data")

    def build(**overrides: Any) -> Settings:
        return make_settings(data_dir, database_url, **overrides)

    return build


@pytest.fixture(scope="session")
def live_server(settings_factory: Callable[..., Settings]) -> Iterator[LiveServer]:
    """The real app over HTTP on loopback, on the session's database."""
    server = LiveServer(create_app(settings_factory())).start()
    yield server
    server.stop()


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    client = Api(live_server.url)
    yield client
    client.close()
