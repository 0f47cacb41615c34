"""A customer's measurements: numbers only, never a photo.

Without the customer's consent to keeping their history (``api.storage.consents``), adding a measurement drops
every older one in the same script that stores it: a failure half-way cannot lose the new measurement nor leave
the old ones beside it.
"""

from __future__ import annotations

import json
from typing import Any, Final

from redis.exceptions import TryAgainError

from api.storage.client import RedisClient, as_text
from api.storage.keys import history_consent_key, measurement_index_key, measurement_key

# The ids the caller read must still be the index when the script runs (compare-and-set): a measurement added
# meanwhile is seen on the next attempt rather than deleted unseen. Contention is one customer's own phone.
ADD_ATTEMPTS: Final = 8

ADD = """
-- KEYS[1] the new record, KEYS[2] the index, KEYS[3] the history consent, KEYS[4..] the records of ARGV[4..]
-- (the index as the caller read it). ARGV[1] record JSON, ARGV[2] its id, ARGV[3] seconds to expiry or ''.
local granted = false
local consent = redis.call('GET', KEYS[3])
if consent then granted = cjson.decode(consent)['granted'] == true end
if not granted then
  local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
  if #ids ~= #ARGV - 3 then return {'retry', 0} end
  for i, id in ipairs(ids) do
    if id ~= ARGV[3 + i] then return {'retry', 0} end
  end
end
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('ZADD', KEYS[2], 0, ARGV[2])
if granted then return {'kept', 0} end
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
for i = 4, #ARGV do redis.call('ZREM', KEYS[2], ARGV[i]) end
return {'dropped', #ARGV - 3}
"""


def history_granted(raw: Any) -> bool:
    """Whether a stored history consent (JSON, or None when never given) is in force."""
    return raw is not None and json.loads(raw).get("granted") is True


class MeasurementRepository:
    """A customer's measurements. Lookups are always scoped by customer: another's id simply is not found."""

    def __init__(self, redis: RedisClient, *, retention_seconds: int | None = None) -> None:
        self._redis = redis
        self._retention_seconds = retention_seconds
        self._add = redis.register_script(ADD)

    async def add(self, customer_id: str, measurement_id: str, record: dict[str, Any]) -> int:
        """Store the record (expiring after the retention period) and index it; without the history consent,
        delete every older measurement in the same script. Returns how many were dropped."""
        index, consent = measurement_index_key(customer_id), history_consent_key(customer_id)
        body = json.dumps(record, separators=(",", ":"))
        expiry = "" if self._retention_seconds is None else str(self._retention_seconds)
        for _ in range(ADD_ATTEMPTS):
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(consent)
                pipe.zrange(index, 0, -1)
                raw_consent, raw_ids = await pipe.execute()
            older = [] if history_granted(raw_consent) else [as_text(i) for i in raw_ids]
            keys = [measurement_key(customer_id, measurement_id), index, consent]
            keys += [measurement_key(customer_id, i) for i in older]
            outcome, dropped = await self._add(keys=keys, args=[body, measurement_id, expiry, *older])
            if as_text(outcome) != "retry":
                return int(dropped)
        raise TryAgainError("the customer's measurements kept changing while one was added; nothing was written")

    async def history_kept(self, customer_id: str) -> bool:
        """Whether the customer's history consent is in force (past measurements are kept)."""
        return history_granted(await self._redis.get(history_consent_key(customer_id)))

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
