"""Applying rate limits to a request, by several keys at once."""

from __future__ import annotations

from promptlab.application.errors import RateLimitedError
from promptlab.application.ports.rate_limit import RateLimit, RateLimiter


async def enforce_rate_limit(limiter: RateLimiter, limit: RateLimit, *keys: str) -> None:
    """Count one hit on every key; raise RateLimitedError if any key is over `limit`.

    Every key is counted even after one fails, so an attacker rotating client
    addresses still exhausts the per-email budget, and the other way round.
    """
    retry_after = 0
    for key in keys:
        decision = await limiter.hit(key, limit)
        if not decision.allowed:
            retry_after = max(retry_after, decision.retry_after)
    if retry_after:
        raise RateLimitedError(
            f"Too many requests. Try again in {retry_after} seconds.", retry_after=retry_after
        )
