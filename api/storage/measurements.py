"""A customer's measurements: numbers only, never a photo."""

from __future__ import annotations

import json
from typing import Any

from api.storage.client import RedisClient, as_text
from api.storage.keys import measurement_index_key, measurement_key


class MeasurementRepository:
    """A customer's measurements. Lookups are always scoped by customer: another's id simply is not found."""

    def __init__(self, redis: RedisClient, *, retention_seconds: int | None = None) -> None:
        self._redis = redis
        self._retention_seconds = retention_seconds

    async def add(self, customer_id: str, measurement_id: str, record: dict[str, Any]) -> None:
        """Store the record (expiring after the retention period) and index it, atomically (MULTI/EXEC)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(
                measurement_key(customer_id, measurement_id),
                json.dumps(record, separators=(",", ":")),
                ex=self._retention_seconds,
            )
            pipe.zadd(measurement_index_key(customer_id), {measurement_id: 0})
            await pipe.execute()

    async def get(self, customer_id: str, measurement_id: str) -> dict[str, Any] | None:
        raw = await self._redis.get(measurement_key(customer_id, measurement_id))
        return None if raw is None else dict(json.loads(raw))

    async def list_page(
        self, customer_id: str, *, limit: int, before: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first; ``before`` is the last id of the previous page. Returns the page and the next cursor."""
        upper = f"({before}" if before else "+"
        ids = await self._redis.zrevrangebylex(measurement_index_key(customer_id), upper, "-", start=0, num=limit + 1)
        page_ids = [as_text(i) for i in ids[:limit]]
        if not page_ids:
            return [], None
        raws = await self._redis.mget([measurement_key(customer_id, i) for i in page_ids])
        records = [dict(json.loads(raw)) for raw in raws if raw is not None]
        next_cursor = page_ids[-1] if len(ids) > limit else None
        return records, next_cursor

    async def ids(self, customer_id: str) -> list[str]:
        """Every measurement id the customer has, oldest first (expired ones included until erased)."""
        return [as_text(i) for i in await self._redis.zrange(measurement_index_key(customer_id), 0, -1)]
