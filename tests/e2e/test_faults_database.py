"""The database going away: 503 problem responses, no partial writes, and recovery.

PostgreSQL is cut off in the middle of a write by terminating every backend
of the test database from an admin connection, and made unreachable by
pointing the app at a loopback port with nothing listening; that port then
forwards to the real server to show recovery. SQLite is made unreachable by
a file standing where its data folder should be.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

from promptlab.adapters.sqlalchemy.engine import create_engine
from promptlab.adapters.sqlalchemy.migrate import run_migrations
from promptlab.adapters.sqlalchemy.tables import users
from promptlab.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from promptlab.entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.support.api import DEFAULT_PASSWORD, Api
from tests.support.databases import POSTGRES_ADMIN_URL, enabled_backends, fresh_database
from tests.support.server import LiveServer

POSTGRESQL_ONLY = [name for name in enabled_backends() if name == "postgresql"]
PROBLEM_MEDIA_TYPE = "application/problem+json"


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def registration(email: str, full_name: str = "Fault Test") -> dict[str, str]:
    return {"email": email, "password": DEFAULT_PASSWORD, "full_name": full_name}


class LogCapture(logging.Handler):
    """Every record logged anywhere in the process, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@contextmanager
def captured_logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        yield capture
    finally:
        root.removeHandler(capture)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["status"] == 503
    assert body["type"].endswith("/service-unavailable")
    assert "Traceback" not in response.text


def assert_health_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["database"] == "unavailable"


async def count_users(engine: AsyncEngine, email: str) -> int:
    async with engine.connect() as connection:
        result = await connection.execute(
            select(func.count()).select_from(users).where(users.c.email == email)
        )
        return int(result.scalar_one())


def closed_port() -> int:
    """Return a loopback port that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The database cut off in the middle of a write


class Terminator:
    """Terminates every backend of one PostgreSQL database after a chosen statement.

    Armed for one write: after the first INSERT into `table`, it ends every
    connection to the database, the app's own included, so the next
    statement of the same transaction finds its connection gone.
    """

    def __init__(self, database: str) -> None:
        self.database = database
        self.table: str | None = None
        self.fired = 0

    def arm(self, table: str) -> None:
        self.table = table

    async def after(self, statement: Executable) -> None:
        table = getattr(getattr(statement, "table", None), "name", None)
        if self.table is None or not getattr(statement, "is_insert", False) or table != self.table:
            return
        self.table = None
        admin = await asyncpg.connect(asyncpg_dsn(POSTGRES_ADMIN_URL))
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.database,
            )
        finally:
            await admin.close()
        self.fired += 1


class TerminatingUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(self, engine: AsyncEngine, terminator: Terminator, *, write: bool) -> None:
        super().__init__(engine, write=write)
        self._terminator = terminator

    async def execute(self, statement: Executable) -> CursorResult[Any]:
        result = await super().execute(statement)
        await self._terminator.after(statement)
        return result


@pytest.fixture(scope="module")
def postgresql_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of this module's own."""
    state: dict[str, str] = {}
    ready = threading.Event()
    finished = threading.Event()

    async def keep_database() -> None:
        async with fresh_database("postgresql", tmp_path_factory.mktemp("pg")) as url:
            migrator = create_engine(url)
            try:
                await run_migrations(migrator)
            finally:
                await migrator.dispose()
            state["url"] = url
            ready.set()
            await asyncio.to_thread(finished.wait)

    # The database lives in a thread of its own, so the fixture can be synchronous
    # and outlive any one test's event loop.
    keeper = threading.Thread(target=lambda: asyncio.run(keep_database()), daemon=True)
    keeper.start()
    assert ready.wait(60), "the fresh PostgreSQL database was not created within 60 s"
    try:
        yield state["url"]
    finally:
        finished.set()
        keeper.join(60)


@pytest.fixture(scope="module")
def terminating_server(
    postgresql_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Terminator, str]]:
    """The app on a fresh PostgreSQL database, with a unit of work that can cut it off."""
    url = postgresql_url
    terminator = Terminator(make_url(url).database or "")
    # The app's engine, which the overriding factory and the health probe share.
    engine = create_engine(url)
    settings = make_settings(tmp_path_factory.mktemp("data"), url)
    app = create_app(
        settings,
        overrides={
            "engine": engine,
            "uow_factory": lambda *, write=True: TerminatingUnitOfWork(
                engine, terminator, write=write
            ),
        },
    )
    server = LiveServer(app).start()
    try:
        yield server, terminator, url
    finally:
        server.stop()


@pytest.mark.parametrize("backend_name", POSTGRESQL_ONLY)
async def test_write_cut_off_leaves_nothing(
    backend_name: str, terminating_server: tuple[LiveServer, Terminator, str]
) -> None:
    server, terminator, url = terminating_server
    email = f"cut-{uuid.uuid4().hex[:10]}@example.com"
    # Goes into the statement that fails: the personal organization's name.
    full_name = f"Marker {uuid.uuid4().hex}"
    api = Api(server.url)
    check = create_engine(url)
    try:
        terminator.arm("users")
        with captured_logs() as logs:
            response = api.post("/api/auth/register/", json=registration(email, full_name))

        assert terminator.fired == 1
        assert_unavailable(response)
        assert await count_users(check, email) == 0
        # The failure is logged, without the statement's parameters.
        assert "database unavailable" in logs.text
        assert full_name not in logs.text
        assert email not in logs.text

        # Pool pre-ping replaces the dead connections, so the next request succeeds.
        again = api.post("/api/auth/register/", json=registration(email))

        assert again.status_code == 201, again.text
        assert await count_users(check, email) == 1
        assert api.get("/health/").status_code == 200
    finally:
        api.close()
        await check.dispose()


# An unreachable database


class PortForwarder:
    """Listens on a loopback port once `start` is called, forwarding to another address."""

    def __init__(self, port: int, target_host: str, target_port: int) -> None:
        self.port = port
        self._target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> None:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        future.result(10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


@pytest.mark.parametrize("backend_name", POSTGRESQL_ONLY)
async def test_unreachable_postgresql_then_back(
    backend_name: str, postgresql_url: str, tmp_path: Path
) -> None:
    port = closed_port()
    unreachable_url = make_url(postgresql_url).set(host="127.0.0.1", port=port)
    settings = make_settings(tmp_path, unreachable_url.render_as_string(hide_password=False))
    real = make_url(postgresql_url)
    forwarder = PortForwarder(port, real.host or "127.0.0.1", real.port or 5432)
    server = LiveServer(create_app(settings)).start()
    api = Api(server.url)
    try:
        email = f"down-{uuid.uuid4().hex[:10]}@example.com"

        assert_unavailable(api.post("/api/auth/register/", json=registration(email)))
        assert_health_unavailable(api.get("/health/"))

        forwarder.start()

        assert api.get("/health/").status_code == 200
        assert api.post("/api/auth/register/", json=registration(email)).status_code == 201
    finally:
        api.close()
        server.stop()
        forwarder.stop()


async def test_unusable_sqlite_folder_then_fixed(tmp_path: Path) -> None:
    migrated = tmp_path / "migrated.db"
    migrator = create_engine(f"sqlite+aiosqlite:///{migrated}")
    try:
        await run_migrations(migrator)
    finally:
        await migrator.dispose()

    # A regular file where the database's folder should be: SQLite cannot
    # create or open anything under it, whoever runs the server (even root).
    folder = tmp_path / "data"
    folder.write_text("not a folder")
    settings = make_settings(
        tmp_path / "settings",
        f"sqlite+aiosqlite:///{folder / 'promptlab.db'}",
        auto_migrate=False,
    )
    server = LiveServer(create_app(settings)).start()
    api = Api(server.url)
    try:
        email = f"sqlite-{uuid.uuid4().hex[:10]}@example.com"

        assert_unavailable(api.post("/api/auth/register/", json=registration(email)))
        assert_health_unavailable(api.get("/health/"))

        folder.unlink()
        folder.mkdir()
        shutil.copy(migrated, folder / "promptlab.db")

        assert api.get("/health/").status_code == 200
        assert api.post("/api/auth/register/", json=registration(email)).status_code == 201
    finally:
        api.close()
        server.stop()
