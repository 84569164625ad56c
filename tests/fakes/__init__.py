"""Fake external services for tests, benchmarks and load scripts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.behaviors import Behavior

if TYPE_CHECKING:
    from tests.fakes.provider_server import FakeProviderServer, RecordedRequest

__all__ = ["Behavior", "FakeProviderServer", "RecordedRequest"]


def __getattr__(name: str) -> Any:
    # Imported on first use so that `python -m tests.fakes.provider_server`
    # does not find its own module already imported by this package.
    if name in ("FakeProviderServer", "RecordedRequest"):
        from tests.fakes import provider_server

        return getattr(provider_server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
