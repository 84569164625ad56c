"""Fixtures for provider adapter tests: the fake provider server, reset for each test."""

from tests.fakes.fixtures import fake_provider_server, fake_server

__all__ = ["fake_provider_server", "fake_server"]
