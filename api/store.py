"""Persistence behind a small repository interface. Only numbers are stored: never a photo.

Key layout (every key of one customer carries the hash tag of the customer's partition, ``api.partitions``,
so that a transaction over a customer's data touches one Redis Cluster slot):

- ``tm:{pNN}:c:<customer>:msr:<id>``: one measurement, JSON; expires after the retention period unless an
  order keeps it
- ``tm:{pNN}:c:<customer>:msrs``: sorted set of the customer's measurement ids (all scores 0, lexical order)
- ``tm:{pNN}:c:<customer>:fml:<id>`` and ``...:fmls``: formulations, the same way; ``...:fml:<id>:corrections``
- ``tm:fml-owner:<id>``: the customer of a formulation, for the lab's lookup by id
- ``tm:{shades}:list`` and ``tm:{shades}:version``: the imported catalogue
"""

from __future__ import annotations

import json
from typing import Any

from api.partitions import KEY_PREFIX, customer_tag


def measurement_key(customer_id: str, measurement_id: str) -> str:
    return f"{customer_tag(customer_id)}:msr:{measurement_id}"


def formulation_key(customer_id: str, formulation_id: str) -> str:
    return f"{customer_tag(customer_id)}:fml:{formulation_id}"


class MeasurementRepository:
    """A customer's measurements. Lookups are always scoped by customer: another's id simply is not found."""

    def __init__(self, redis: Any, *, retention_seconds: int | None = None) -> None:
        self._redis = redis
        self._retention_seconds = retention_seconds

    @staticmethod
    def _key(customer_id: str, measurement_id: str) -> str:
        return measurement_key(customer_id, measurement_id)

    @staticmethod
    def _index(customer_id: str) -> str:
        return f"{customer_tag(customer_id)}:msrs"

    async def add(self, customer_id: str, measurement_id: str, record: dict[str, Any]) -> None:
        """Store the record (expiring after the retention period) and index it, atomically (MULTI/EXEC)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(
                self._key(customer_id, measurement_id),
                json.dumps(record, separators=(",", ":")),
                ex=self._retention_seconds,
            )
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


SHADES_KEY = f"{KEY_PREFIX}:{{shades}}:list"
SHADES_VERSION_KEY = f"{KEY_PREFIX}:{{shades}}:version"


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


class FormulationRepository:
    """A customer's formulations, their batch corrections, and the id → owner index the lab looks up by."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    @staticmethod
    def _key(customer_id: str, formulation_id: str) -> str:
        return formulation_key(customer_id, formulation_id)

    @staticmethod
    def _owner_key(formulation_id: str) -> str:
        return f"{KEY_PREFIX}:fml-owner:{formulation_id}"

    async def add(self, customer_id: str, formulation_id: str, record: dict[str, Any]) -> None:
        # The owner index first: if the record's write then fails, a dangling index entry finds nothing.
        await self._redis.set(self._owner_key(formulation_id), customer_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(customer_id, formulation_id), json.dumps(record, separators=(",", ":")))
            pipe.zadd(f"{customer_tag(customer_id)}:fmls", {formulation_id: 0})
            await pipe.execute()

    async def get(self, customer_id: str, formulation_id: str) -> dict[str, Any] | None:
        raw = await self._redis.get(self._key(customer_id, formulation_id))
        return None if raw is None else dict(json.loads(raw))

    async def owner(self, formulation_id: str) -> str | None:
        raw = await self._redis.get(self._owner_key(formulation_id))
        return None if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw)

    async def add_correction(self, customer_id: str, formulation_id: str, record: dict[str, Any]) -> int:
        key = f"{self._key(customer_id, formulation_id)}:corrections"
        return int(await self._redis.rpush(key, json.dumps(record, separators=(",", ":"))))

    async def corrections(self, customer_id: str, formulation_id: str) -> list[dict[str, Any]]:
        raws = await self._redis.lrange(f"{self._key(customer_id, formulation_id)}:corrections", 0, -1)
        return [dict(json.loads(raw)) for raw in raws]


class ShadeRepository:
    """The imported catalogue, read whole (it is small) and cached per version counter by the caller."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    async def version(self) -> int:
        raw = await self._redis.get(SHADES_VERSION_KEY)
        return int(raw) if raw is not None else 0

    async def all(self) -> list[dict[str, Any]]:
        return [dict(json.loads(raw)) for raw in await self._redis.lrange(SHADES_KEY, 0, -1)]


async def customer_ids(redis: Any, customer_id: str, kind: str) -> list[str]:
    """All ids of one kind (``msrs`` or ``fmls``) the customer has, oldest first."""
    raw = await redis.zrange(f"{customer_tag(customer_id)}:{kind}", 0, -1)
    return [i.decode() if isinstance(i, bytes) else str(i) for i in raw]


async def erase_customer_data(
    redis: Any, customer_id: str, measurement_ids: list[str], formulation_ids: list[str]
) -> None:
    """Delete the customer's measurements and formulations (with their corrections) in one MULTI/EXEC, then
    the formulations' owner index entries, which live outside the customer's slot (deleting them second means
    a failure in between leaves index entries that point at nothing, never data without its index)."""
    tag = customer_tag(customer_id)
    keys = [measurement_key(customer_id, i) for i in measurement_ids]
    keys += [formulation_key(customer_id, i) for i in formulation_ids]
    keys += [f"{formulation_key(customer_id, i)}:corrections" for i in formulation_ids]
    keys += [f"{tag}:msrs", f"{tag}:fmls"]
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(*keys)
        await pipe.execute()
    for formulation_id in formulation_ids:
        await redis.delete(f"{KEY_PREFIX}:fml-owner:{formulation_id}")
