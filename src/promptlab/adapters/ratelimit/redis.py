"""Fixed-window rate limiter on Redis, shared by every worker and machine using one server."""

from __future__ import annotations

import hashlib
import logging
import math

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from promptlab.application.errors import ServiceUnavailableError
from promptlab.application.ports.rate_limit import RateLimit, RateLimitDecision

logger = logging.getLogger(__name__)

KEY_PREFIX = "promptlab:ratelimit:"

# INCR and the first EXPIRE run as one script, so no client can crash between
# them and leave a counter that never expires. A counter found without a TTL
# (written by something else) gets one, so it cannot block a key forever.
# Returns the count in this window and the milliseconds until the window ends.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisRateLimiter:
    """Count hits per key in fixed windows that start at a key's first hit.

    Keys are stored as `key_prefix` plus the SHA-256 of the caller's key, so
    email addresses and client addresses never appear in Redis in clear text.
    When Redis cannot be reached, `hit` raises ServiceUnavailableError: the
    limiter fails closed, because login and registration must not lose their
    brute-force protection silently.
    """

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str = KEY_PREFIX,
        socket_timeout_seconds: float = 2.0,
    ) -> None:
        # from_url connects lazily, at the first command, so building the
        # limiter in the container opens no connection.
        self._client = aioredis.Redis.from_url(
            url,
            socket_timeout=socket_timeout_seconds,
            socket_connect_timeout=socket_timeout_seconds,
        )
        self._key_prefix = key_prefix
        self._script = self._client.register_script(_HIT_SCRIPT)

    def storage_key(self, key: str) -> str:
        """Return the Redis key that counts hits for `key`."""
        return self._key_prefix + hashlib.sha256(key.encode("utf-8")).hexdigest()

    async def hit(self, key: str, limit: RateLimit) -> RateLimitDecision:
        window_ms = limit.window_seconds * 1000
        try:
            count, ttl_ms = await self._script(keys=[self.storage_key(key)], args=[window_ms])
        except RedisError as error:
            logger.error("rate limit store unavailable: %s", error.__class__.__name__)
            raise ServiceUnavailableError(
                "The rate limit store is unavailable, so the request was not processed. "
                "Retry shortly."
            ) from error
        if int(count) <= limit.requests:
            return RateLimitDecision(allowed=True, retry_after=0)
        return RateLimitDecision(allowed=False, retry_after=max(1, math.ceil(int(ttl_ms) / 1000)))

    async def aclose(self) -> None:
        await self._client.aclose()
