"""Rate limiting port: fixed-window counters shared by every worker that uses the same store."""

from __future__ import annotations

from typing import Protocol

import attrs


@attrs.frozen
class RateLimit:
    """At most `requests` hits per `window_seconds` for one key."""

    requests: int
    window_seconds: int


@attrs.frozen
class RateLimitDecision:
    allowed: bool
    retry_after: int  # seconds until the window resets; 0 when allowed


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: RateLimit) -> RateLimitDecision:
        """Count one hit for `key` and return whether it is within `limit`."""
        ...

    async def aclose(self) -> None: ...
