"""A customer's formulations, their batch corrections, and the id → owner index the lab looks up by."""

from __future__ import annotations

import json
from typing import Any

from api.storage.client import RedisClient, as_text
from api.storage.keys import corrections_key, formulation_index_key, formulation_key, formulation_owner_key


class FormulationRepository:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def add(self, customer_id: str, formulation_id: str, record: dict[str, Any]) -> None:
        # The owner index first: if the record's write then fails, a dangling index entry finds nothing.
        await self._redis.set(formulation_owner_key(formulation_id), customer_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(formulation_key(customer_id, formulation_id), json.dumps(record, separators=(",", ":")))
            pipe.zadd(formulation_index_key(customer_id), {formulation_id: 0})
            await pipe.execute()

    async def get(self, customer_id: str, formulation_id: str) -> dict[str, Any] | None:
        raw = await self._redis.get(formulation_key(customer_id, formulation_id))
        return None if raw is None else dict(json.loads(raw))

    async def owner(self, formulation_id: str) -> str | None:
        raw = await self._redis.get(formulation_owner_key(formulation_id))
        return None if raw is None else as_text(raw)

    async def add_correction(self, customer_id: str, formulation_id: str, record: dict[str, Any]) -> int:
        key = corrections_key(customer_id, formulation_id)
        return int(await self._redis.rpush(key, json.dumps(record, separators=(",", ":"))))

    async def corrections(self, customer_id: str, formulation_id: str) -> list[dict[str, Any]]:
        raws = await self._redis.lrange(corrections_key(customer_id, formulation_id), 0, -1)
        return [dict(json.loads(raw)) for raw in raws]

    async def ids(self, customer_id: str) -> list[str]:
        """Every formulation id the customer has, oldest first."""
        return [as_text(i) for i in await self._redis.zrange(formulation_index_key(customer_id), 0, -1)]
