"""A clock that moves only through `advance`, and ids in creation order, for deterministic runs."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta


class ManualClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2025, 1, 1, tzinfo=UTC)
        self._monotonic = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds


class SequentialIdGenerator:
    """UUIDs that sort in creation order, as UUIDv7 ids do, and token ids `token-1`, `token-2`."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._token_ids = itertools.count(1)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=next(self._ids))

    def new_token_id(self) -> str:
        return f"token-{next(self._token_ids)}"
