"""Both rate limiters against one behaviour table: the in-process one and the Redis one."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import attrs
import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from promptlab.adapters.ratelimit.memory import InMemoryRateLimiter
from promptlab.adapters.ratelimit.redis import KEY_PREFIX, RedisRateLimiter
from promptlab.application.errors import ServiceUnavailableError
from promptlab.application.ports.rate_limit import RateLimit, RateLimiter

REDIS_URL = os.environ.get("PROMPTLAB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@attrs.define
class LimiterUnderTest:
    limiter: RateLimiter
    advance: Callable[[float], Awaitable[None]]
    """Let `seconds` pass for the limiter: a fake clock in process, real time on Redis."""


async def require_redis(url: str) -> aioredis.Redis:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        await client.aclose()
        pytest.fail(
            f"Redis is not reachable at {url} ({error}). Start it with "
            "`redis-server --bind 127.0.0.1 --port 6379 --save '' --daemonize yes`, "
            "or point PROMPTLAB_TEST_REDIS_URL at a running server. CI starts one in .ci/run."
        )
    return client


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = await require_redis(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
def key_prefix() -> str:
    """A prefix of its own for each test, so runs sharing one Redis never see each other's keys."""
    return f"{KEY_PREFIX}test-{uuid.uuid4().hex}:"


@pytest.fixture(params=["memory", "redis"])
async def subject(
    request: pytest.FixtureRequest, key_prefix: str
) -> AsyncIterator[LimiterUnderTest]:
    if request.param == "memory":
        now = [0.0]

        async def advance_clock(seconds: float) -> None:
            now[0] += seconds

        limiter = InMemoryRateLimiter(monotonic=lambda: now[0])
        yield LimiterUnderTest(limiter, advance_clock)
        await limiter.aclose()
        return

    client = await require_redis(REDIS_URL)
    redis_limiter = RedisRateLimiter(REDIS_URL, key_prefix=key_prefix)
    yield LimiterUnderTest(redis_limiter, asyncio.sleep)
    await redis_limiter.aclose()
    keys = [key async for key in client.scan_iter(match=key_prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_allows_up_to_limit(subject: LimiterUnderTest) -> None:
    limit = RateLimit(requests=3, window_seconds=60)

    decisions = [await subject.limiter.hit("login:a", limit) for _ in range(3)]

    assert [decision.allowed for decision in decisions] == [True, True, True]
    assert [decision.retry_after for decision in decisions] == [0, 0, 0]


async def test_rejects_over_limit_with_retry_after(subject: LimiterUnderTest) -> None:
    limit = RateLimit(requests=2, window_seconds=60)
    for _ in range(2):
        await subject.limiter.hit("login:a", limit)

    decision = await subject.limiter.hit("login:a", limit)

    assert not decision.allowed
    assert 1 <= decision.retry_after <= 60


async def test_keys_counted_separately(subject: LimiterUnderTest) -> None:
    limit = RateLimit(requests=1, window_seconds=60)

    first = await subject.limiter.hit("login:a", limit)
    other = await subject.limiter.hit("login:b", limit)
    again = await subject.limiter.hit("login:a", limit)

    assert first.allowed
    assert other.allowed
    assert not again.allowed


async def test_window_is_fixed_then_resets(subject: LimiterUnderTest) -> None:
    limit = RateLimit(requests=1, window_seconds=2)
    await subject.limiter.hit("login:a", limit)
    rejected = await subject.limiter.hit("login:a", limit)

    await subject.advance(1.1)
    later = await subject.limiter.hit("login:a", limit)
    await subject.advance(1.0)
    after_window = await subject.limiter.hit("login:a", limit)

    assert not rejected.allowed
    assert rejected.retry_after == 2
    # Rejected hits do not extend the window: the wait shrinks as time passes.
    assert not later.allowed
    assert later.retry_after == 1
    assert after_window.allowed


async def test_concurrent_hits_counted_exactly(subject: LimiterUnderTest) -> None:
    limit = RateLimit(requests=10, window_seconds=60)

    decisions = await asyncio.gather(*(subject.limiter.hit("login:a", limit) for _ in range(50)))

    assert sum(decision.allowed for decision in decisions) == 10


async def test_redis_keys_prefixed_hashed_expiring(
    redis_client: aioredis.Redis, key_prefix: str
) -> None:
    limiter = RedisRateLimiter(REDIS_URL, key_prefix=key_prefix)
    keys: list[str] = []
    try:
        await limiter.hit("login:email:ada@example.com", RateLimit(requests=5, window_seconds=60))
        keys = [key.decode() async for key in redis_client.scan_iter(match=key_prefix + "*")]
        ttl_ms = await redis_client.pttl(keys[0])
    finally:
        await limiter.aclose()
        if keys:
            await redis_client.delete(*keys)

    assert len(keys) == 1
    assert keys[0].startswith("promptlab:ratelimit:")
    assert "ada@example.com" not in keys[0]
    assert 0 < ttl_ms <= 60_000
    assert keys[0] == limiter.storage_key("login:email:ada@example.com")


async def test_redis_default_prefix() -> None:
    limiter = RedisRateLimiter(REDIS_URL)
    try:
        assert limiter.storage_key("login:address:127.0.0.1").startswith("promptlab:ratelimit:")
    finally:
        await limiter.aclose()


async def test_redis_unreachable_fails_closed() -> None:
    # Port 1 on loopback refuses connections at once.
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", socket_timeout_seconds=1)
    try:
        with pytest.raises(ServiceUnavailableError):
            await limiter.hit("login:a", RateLimit(requests=5, window_seconds=60))
    finally:
        await limiter.aclose()
