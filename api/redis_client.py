"""The one place a Redis client is made: a single server, or a Redis Cluster when ``redis_cluster`` is set."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis, RedisCluster

from api.settings import Settings


def connect(settings: Settings) -> Any:
    """An asyncio client for ``settings.redis_url`` (which must be set)."""
    if settings.redis_url is None:
        raise RuntimeError("REDIS_URL is not set: run `tonematch serve`, which starts an embedded Redis")
    options: dict[str, Any] = {
        "socket_timeout": settings.redis_timeout_seconds,
        "socket_connect_timeout": settings.redis_timeout_seconds,
    }
    if settings.redis_cluster:
        return RedisCluster.from_url(settings.redis_url, **options)
    return Redis.from_url(settings.redis_url, health_check_interval=30, **options)
