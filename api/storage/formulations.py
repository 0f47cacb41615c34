"""A customer's formulations, their batch corrections (one per batch id), and the id → owner indexes the lab looks
up by: the customer's, and after the customer's erasure the anonymous id that keeps the batch record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from api.storage.client import RedisClient, as_text
from api.storage.keys import (
    correction_batches_key,
    corrections_key,
    formulation_index_key,
    formulation_kept_key,
    formulation_key,
    formulation_owner_key,
)

# One correction per batch id: a repeated batch id answers the correction recorded for it (the same request) or
# refuses (another request), in the same script that appends a new one, so two racing posts cannot both record.
RECORD_CORRECTION = """
if redis.call('EXISTS', KEYS[3]) == 0 then return {'missing', ''} end
local seen = redis.call('HGET', KEYS[2], ARGV[1])
if seen then
  local sep = string.find(seen, ' ', 1, true)
  local recorded = redis.call('LINDEX', KEYS[1], tonumber(string.sub(seen, sep + 1)))
  if string.sub(seen, 1, sep - 1) ~= ARGV[2] then return {'conflict', recorded} end
  return {'existing', recorded}
end
local length = redis.call('RPUSH', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. (length - 1))
return {'created', ARGV[3]}
"""


@dataclass(frozen=True)
class RecordedCorrection:
    outcome: str  # created, existing (the same request again), conflict (another request, same batch) or missing
    record: dict[str, Any] | None  # the correction recorded for the batch id (None when the formulation is gone)


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


class FormulationRepository:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._record_correction = redis.register_script(RECORD_CORRECTION)

    async def add(self, customer_id: str, formulation_id: str, record: dict[str, Any]) -> None:
        # The owner index first: if the record's write then fails, a dangling index entry finds nothing.
        await self._redis.set(formulation_owner_key(formulation_id), customer_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(formulation_key(customer_id, formulation_id), _dumps(record))
            pipe.zadd(formulation_index_key(customer_id), {formulation_id: 0})
            await pipe.execute()

    async def get(self, customer_id: str, formulation_id: str) -> dict[str, Any] | None:
        raw = await self._redis.get(formulation_key(customer_id, formulation_id))
        return None if raw is None else dict(json.loads(raw))

    async def owner(self, formulation_id: str) -> str | None:
        raw = await self._redis.get(formulation_owner_key(formulation_id))
        return None if raw is None else as_text(raw)

    async def locate(self, formulation_id: str) -> tuple[str, dict[str, Any]] | None:
        """The owner and record of a formulation, for the lab: its customer's, or, after the customer's erasure,
        the anonymous id's batch record. The erasure writes the second index before it moves the record and
        removes the first after, so one of them finds the record at every moment."""
        for index_key in (formulation_owner_key(formulation_id), formulation_kept_key(formulation_id)):
            raw = await self._redis.get(index_key)
            if raw is None:
                continue
            record = await self.get(as_text(raw), formulation_id)
            if record is not None:
                return as_text(raw), record
        return None

    async def record_correction(
        self, customer_id: str, formulation_id: str, *, batch_id: str, fingerprint: str, record: dict[str, Any]
    ) -> RecordedCorrection:
        """Append ``record`` unless ``batch_id`` already has a correction; all in one script."""
        keys = [
            corrections_key(customer_id, formulation_id),
            correction_batches_key(customer_id, formulation_id),
            formulation_key(customer_id, formulation_id),
        ]
        outcome, raw = await self._record_correction(keys=keys, args=[batch_id, fingerprint, _dumps(record)])
        return RecordedCorrection(as_text(outcome), dict(json.loads(raw)) if raw else None)

    async def recorded_correction(
        self, customer_id: str, formulation_id: str, batch_id: str
    ) -> tuple[str, dict[str, Any]] | None:
        """The request fingerprint and the correction recorded for ``batch_id``, if any (a cheap look before the
        correction is computed; ``record_correction`` decides)."""
        seen = await self._redis.hget(correction_batches_key(customer_id, formulation_id), batch_id)
        if seen is None:
            return None
        fingerprint, _, index = as_text(seen).partition(" ")
        raw = await self._redis.lindex(corrections_key(customer_id, formulation_id), int(index))
        return (fingerprint, dict(json.loads(raw))) if raw is not None else None

    async def corrections(self, customer_id: str, formulation_id: str) -> list[dict[str, Any]]:
        raws = await self._redis.lrange(corrections_key(customer_id, formulation_id), 0, -1)
        return [dict(json.loads(raw)) for raw in raws]

    async def ids(self, customer_id: str) -> list[str]:
        """Every formulation id the customer has, oldest first."""
        return [as_text(i) for i in await self._redis.zrange(formulation_index_key(customer_id), 0, -1)]
