"""Production clock and id generator."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime

import uuid_utils


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class UuidV7Generator:
    """Time-ordered ids, so new rows land at the end of primary-key indexes."""

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(bytes=uuid_utils.uuid7().bytes)

    def new_token_id(self) -> str:
        return secrets.token_urlsafe(24)
