"""Pytest fixtures for the fake provider server.

Import them into a conftest.py to use them elsewhere:

    from tests.fakes.fixtures import fake_provider_server, fake_server  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.provider_server import FakeProviderServer


@pytest.fixture(scope="session")
def fake_provider_server() -> Iterator[FakeProviderServer]:
    """One fake server for the whole session, started on a free loopback port."""
    with FakeProviderServer() as server:
        yield server


@pytest.fixture
def fake_server(fake_provider_server: FakeProviderServer) -> Iterator[FakeProviderServer]:
    """The session's fake server with no scripted behaviours or recorded requests left over."""
    fake_provider_server.reset()
    yield fake_provider_server
    fake_provider_server.reset()
