"""Time and identifiers come through ports so tests can fix them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Return seconds from an arbitrary start, for measuring durations."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> uuid.UUID:
        """Return a new time-ordered id (UUIDv7 in production)."""
        ...

    def new_token_id(self) -> str:
        """Return a random, unguessable id for a token (`jti`)."""
        ...
