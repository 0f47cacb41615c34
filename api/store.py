"""Persistence behind a small repository interface. Only numbers are stored: never a photo.

Key layout (every key of one customer shares the hash tag ``{c:<customer>}`` so that a transaction over a
customer's data touches one Redis Cluster slot):

- ``tm:{c:<customer>}:msr:<id>``: one measurement, JSON
- ``tm:{c:<customer>}:msrs``: sorted set of the customer's measurement ids (all scores 0, lexical order)
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

KEY_PREFIX = "tm"


def customer_tag(customer_id: str) -> str:
    return f"{KEY_PREFIX}:{{c:{customer_id}}}"


class MeasurementRepository:
    """A customer's measurements. Lookups are always scoped by customer: another's id simply is not found."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    @staticmethod
    def _key(customer_id: str, measurement_id: str) -> str:
        return f"{customer_tag(customer_id)}:msr:{measurement_id}"

    @staticmethod
    def _index(customer_id: str) -> str:
        return f"{customer_tag(customer_id)}:msrs"

    async def add(self, customer_id: str, measurement_id: str, record: dict[str, Any]) -> None:
        """Store the record and index it, atomically (MULTI/EXEC)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(customer_id, measurement_id), json.dumps(record, separators=(",", ":")))
            pipe.zadd(self._index(customer_id), {measurement_id: 0})
            await pipe.execute()

    async def get(self, customer_id: str, measurement_id: str) -> dict[str, Any] | None:
        raw = await self._redis.get(self._key(customer_id, measurement_id))
        return None if raw is None else dict(json.loads(raw))

    async def list_page(
        self, customer_id: str, *, limit: int, before: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first; ``before`` is the last id of the previous page. Returns the page and the next cursor."""
        upper = f"({before}" if before else "+"
        ids = await self._redis.zrevrangebylex(self._index(customer_id), upper, "-", start=0, num=limit + 1)
        page_ids = [i.decode() if isinstance(i, bytes) else str(i) for i in ids[:limit]]
        if not page_ids:
            return [], None
        raws = await self._redis.mget([self._key(customer_id, i) for i in page_ids])
        records = [dict(json.loads(raw)) for raw in raws if raw is not None]
        next_cursor = page_ids[-1] if len(ids) > limit else None
        return records, next_cursor


SHADES_KEY = f"{KEY_PREFIX}:shades"
SHADES_VERSION_KEY = f"{KEY_PREFIX}:shades:version"


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
