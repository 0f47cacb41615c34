"""The imported shade catalogue: a list read whole (it is small) and a version counter the caller caches by."""

from __future__ import annotations

import json
from typing import Any

from api.storage.client import RedisClient, connect_sync
from api.storage.keys import SHADES_KEY, SHADES_VERSION_KEY


class ShadeRepository:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def version(self) -> int:
        raw = await self._redis.get(SHADES_VERSION_KEY)
        return int(raw) if raw is not None else 0

    async def all(self) -> list[dict[str, Any]]:
        return [dict(json.loads(raw)) for raw in await self._redis.lrange(SHADES_KEY, 0, -1)]


def import_catalogue(url: str, rows: list[dict[str, Any]], *, cluster: bool, replace: bool) -> int:
    """Import shades into the Redis at ``url`` (a Cluster node when ``cluster``) for a one-off command; all rows
    or none. Returns the catalogue's size after; ``StorageError`` when Redis fails."""
    client = connect_sync(url, cluster=cluster)
    try:
        return import_shades_sync(client, rows, replace=replace)
    finally:
        client.close()


def import_shades_sync(client: Any, rows: list[dict[str, Any]], *, replace: bool) -> int:
    """Store catalogue shades in one MULTI/EXEC: all of them or none. Returns the catalogue's size after."""
    with client.pipeline(transaction=True) as pipe:
        if replace:
            pipe.delete(SHADES_KEY)
        if rows:
            pipe.rpush(SHADES_KEY, *[json.dumps(row, separators=(",", ":")) for row in rows])
        pipe.incr(SHADES_VERSION_KEY)
        pipe.llen(SHADES_KEY)
        results = pipe.execute()
    return int(results[-1])
