"""A customer's consent to keeping their measurement history, and its withdrawal.

Withdrawal keeps the newest measurement still stored and deletes the rest in the script that records it, so the
consent and the history never disagree, whatever fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from redis.exceptions import TryAgainError

from api.storage.client import RedisClient, as_text
from api.storage.keys import (
    history_consent_key,
    history_consent_log_key,
    measurement_index_key,
    measurement_key,
)

WITHDRAW_ATTEMPTS: Final = 8  # the index read must still hold when the script runs (compare-and-set)

WITHDRAW = """
-- KEYS[1] the index, KEYS[2] the consent, KEYS[3] its log, KEYS[4..] the records of ARGV[2..] (the index as the
-- caller read it, oldest first). ARGV[1] the consent record JSON.
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
if #ids ~= #ARGV - 1 then return {'retry', ''} end
for i, id in ipairs(ids) do
  if id ~= ARGV[1 + i] then return {'retry', ''} end
end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('RPUSH', KEYS[3], ARGV[1])
local kept = ''
for i = #ids, 1, -1 do
  if kept == '' and redis.call('EXISTS', KEYS[3 + i]) == 1 then
    kept = ids[i]
  else
    redis.call('DEL', KEYS[3 + i])
    redis.call('ZREM', KEYS[1], ids[i])
  end
end
return {'withdrawn', kept}
"""


@dataclass(frozen=True)
class Withdrawal:
    """What withdrawing did: the measurement kept (the newest still stored; None if there was none) and the ids
    removed from the history."""

    kept: str | None
    dropped: list[str]


class ConsentRepository:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._withdraw = redis.register_script(WITHDRAW)

    async def history(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's history consent as last recorded, or None if never given."""
        raw = await self._redis.get(history_consent_key(customer_id))
        return None if raw is None else dict(json.loads(raw))

    async def history_log(self, customer_id: str) -> list[dict[str, Any]]:
        """Every grant and withdrawal, oldest first."""
        return [dict(json.loads(raw)) for raw in await self._redis.lrange(history_consent_log_key(customer_id), 0, -1)]

    async def grant_history(self, customer_id: str, record: dict[str, Any]) -> None:
        body = json.dumps(record, separators=(",", ":"))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(history_consent_key(customer_id), body)
            pipe.rpush(history_consent_log_key(customer_id), body)
            await pipe.execute()

    async def withdraw_history(self, customer_id: str, record: dict[str, Any]) -> Withdrawal:
        """Record the withdrawal and delete every measurement but the newest still stored, in one script."""
        index = measurement_index_key(customer_id)
        body = json.dumps(record, separators=(",", ":"))
        for _ in range(WITHDRAW_ATTEMPTS):
            ids = [as_text(i) for i in await self._redis.zrange(index, 0, -1)]
            keys = [index, history_consent_key(customer_id), history_consent_log_key(customer_id)]
            keys += [measurement_key(customer_id, i) for i in ids]
            outcome, kept = (as_text(v) for v in await self._withdraw(keys=keys, args=[body, *ids]))
            if outcome != "retry":
                return Withdrawal(kept=kept or None, dropped=[i for i in ids if i != kept])
        raise TryAgainError("the customer's measurements kept changing during the withdrawal; nothing was written")
