"""In-process fixed-window rate limiter, for a single worker."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from promptlab.application.ports.rate_limit import RateLimit, RateLimitDecision

# Sweep expired windows every this many hits, so memory stays bounded by the
# number of keys active within one window.
_SWEEP_EVERY = 1024


class InMemoryRateLimiter:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = asyncio.Lock()
        self._hits = 0

    async def hit(self, key: str, limit: RateLimit) -> RateLimitDecision:
        now = self._monotonic()
        async with self._lock:
            self._hits += 1
            if self._hits % _SWEEP_EVERY == 0:
                self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
            resets_at, count = self._windows.get(key, (0.0, 0))
            if resets_at <= now:
                resets_at, count = now + limit.window_seconds, 0
            count += 1
            self._windows[key] = (resets_at, count)
        if count <= limit.requests:
            return RateLimitDecision(allowed=True, retry_after=0)
        return RateLimitDecision(allowed=False, retry_after=max(1, math.ceil(resets_at - now)))

    async def aclose(self) -> None:
        self._windows.clear()
