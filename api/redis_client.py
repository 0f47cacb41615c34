"""The one place a Redis client is made: a single server, or a Redis Cluster when ``redis_cluster`` is set."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from api.settings import Settings

# redis.asyncio.Redis or RedisCluster: both have the commands the repositories use. ``Any`` so that Litestar,
# which checks injected values against their annotation, accepts either.
RedisClient = Any


def connect(settings: Settings) -> RedisClient:
    """An asyncio client for ``settings.redis_url`` (which must be set)."""
    if settings.redis_url is None:
        raise RuntimeError("REDIS_URL is not set: run `tonematch serve`, which starts an embedded Redis")
    # A short retry for a dropped connection, then the error: the API answers 503 with Retry-After rather
    # than holding requests for the several seconds of redis-py's default retry policy.
    options: dict[str, Any] = {
        "socket_timeout": settings.redis_timeout_seconds,
        "socket_connect_timeout": settings.redis_timeout_seconds,
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
    }
    if settings.redis_cluster:
        return RedisCluster.from_url(settings.redis_url, **options)
    return Redis.from_url(settings.redis_url, health_check_interval=30, **options)


def as_text(value: Any) -> str:
    """A reply of a client without ``decode_responses``, as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
