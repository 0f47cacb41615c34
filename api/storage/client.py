"""The one place a Redis client is made: a single server, or a Redis Cluster when ``redis_cluster`` is set."""

from __future__ import annotations

from typing import Any

import redis as redis_sync
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import BusyLoadingError, ClusterDownError, RedisError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.settings import Settings

# redis.asyncio.Redis or RedisCluster: both have the commands the repositories use.
RedisClient = Any
# Redis cannot be reached or cannot answer now: nothing was written, the client may retry.
STORAGE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    BusyLoadingError,
    ClusterDownError,
    TryAgainError,
)
StorageError = RedisError


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


def connect_sync(url: str, *, cluster: bool) -> Any:
    """A blocking client, for command-line tools that run one operation and exit."""
    return redis_sync.RedisCluster.from_url(url) if cluster else redis_sync.Redis.from_url(url)


async def ping(client: RedisClient) -> bool:
    """True when Redis answers; False when it cannot be reached."""
    try:
        await client.ping()
    except (RedisError, OSError, TimeoutError):
        return False
    return True


def as_text(value: Any) -> str:
    """A reply of a client without ``decode_responses``, as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
