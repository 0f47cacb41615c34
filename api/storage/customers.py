"""Erasure of everything a customer has in one slot, at once, keeping the batch records of what was made.

A bottle that reached production has a batch record the lab must keep (the formulation's recipe, its batch
corrections, the order with its QC): erasure moves those to an anonymous id chosen in the customer's partition,
so the move, the removal of the name and address and the deletion of the rest are one script in one slot.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api.storage.client import RedisClient
from api.storage.ids import partition_of_id
from api.storage.keys import (
    correction_batches_key,
    corrections_key,
    customer_orders_key,
    formulation_index_key,
    formulation_kept_key,
    formulation_key,
    formulation_owner_key,
    history_consent_key,
    history_consent_log_key,
    idempotency_records_prefix,
    measurement_index_key,
    measurement_key,
    order_key,
    order_log_key,
    partition_of,
)

ANONYMOUS_ID_PREFIX = "anon"

# KEYS: the anonymous id's formulation index and order index; per kept formulation its corrections and batches
# (the customer's), its record, corrections and batches (the anonymous id's); per kept order its hash and log;
# then every key to delete. ARGV: the counts, the erasure time, per formulation (id, record), per order (id,
# anonymised record, history entry).
ERASE = """
local formulations, orders, erased_at = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local k, a = 3, 4
for _ = 1, formulations do
  redis.call('SET', KEYS[k + 2], ARGV[a + 1])
  if redis.call('EXISTS', KEYS[k]) == 1 then redis.call('RENAME', KEYS[k], KEYS[k + 3]) end
  if redis.call('EXISTS', KEYS[k + 1]) == 1 then redis.call('RENAME', KEYS[k + 1], KEYS[k + 4]) end
  redis.call('ZADD', KEYS[1], 0, ARGV[a])
  k, a = k + 5, a + 2
end
for _ = 1, orders do
  if redis.call('EXISTS', KEYS[k]) == 1 then
    redis.call('HDEL', KEYS[k], 'shipping')
    redis.call('HSET', KEYS[k], 'record', ARGV[a + 1], 'erased_at', erased_at)
    redis.call('RPUSH', KEYS[k + 1], ARGV[a + 2])
    redis.call('ZADD', KEYS[2], 0, ARGV[a])
  end
  k, a = k + 2, a + 3
end
for j = k, #KEYS do redis.call('DEL', KEYS[j]) end
return 1
"""


@dataclass(frozen=True)
class Erasure:
    """What an erasure deletes and what it keeps under ``anonymous_id`` (records already stripped of the person)."""

    customer_id: str
    anonymous_id: str
    measurement_ids: Sequence[str]
    formulation_ids: Sequence[str]  # every formulation of the customer
    kept_formulations: dict[str, dict[str, Any]]  # id → the batch record kept (a subset of formulation_ids)
    kept_orders: dict[str, tuple[dict[str, Any], dict[str, Any]]]  # id → (record with the anonymous id, entry)
    erased_at: str


def new_anonymous_id(customer_id: str) -> str:
    """A random id in the customer's partition (so the records it keeps share the slot of the customer's data):
    about 16 draws of 64 random bits, never derived from the customer id."""
    while True:
        candidate = f"{ANONYMOUS_ID_PREFIX}_{secrets.token_hex(8)}"
        if partition_of(candidate) == partition_of(customer_id):
            return candidate


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))


class CustomerRepository:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._erase = redis.register_script(ERASE)

    async def erase(self, erasure: Erasure) -> None:
        """Erase in four steps, each safe to stop after: (1) point the kept-record index of every kept formulation
        at the anonymous id (nothing is there yet, so it finds nothing); (2) in one script in the customer's slot,
        move the kept formulations and their corrections to the anonymous id, anonymise the kept orders (name and
        address removed, the customer id replaced) and delete everything else: measurements, formulations,
        corrections, the history consent, the indexes; (3) delete the formulations' owner index entries, which
        live outside the slot and now point at nothing; (4) delete the customer's idempotency records. Either index
        finds a kept record at every moment."""
        customer, anonymous = erasure.customer_id, erasure.anonymous_id
        for formulation_id in erasure.kept_formulations:
            await self._redis.set(formulation_kept_key(formulation_id), anonymous)
        keys = [formulation_index_key(anonymous), customer_orders_key(anonymous)]
        args: list[Any] = [len(erasure.kept_formulations), len(erasure.kept_orders), erasure.erased_at]
        for formulation_id, record in erasure.kept_formulations.items():
            keys += [
                corrections_key(customer, formulation_id), correction_batches_key(customer, formulation_id),
                formulation_key(anonymous, formulation_id), corrections_key(anonymous, formulation_id),
                correction_batches_key(anonymous, formulation_id),
            ]  # fmt: skip
            args += [formulation_id, _dumps(record)]
        for order_id, (record, entry) in erasure.kept_orders.items():
            partition = partition_of_id(order_id)
            assert partition is not None  # noqa: S101 - an order id read from the customer's index
            keys += [order_key(partition, order_id), order_log_key(partition, order_id)]
            args += [order_id, _dumps(record), _dumps(entry)]
        keys += [measurement_key(customer, i) for i in erasure.measurement_ids]
        keys += [formulation_key(customer, i) for i in erasure.formulation_ids]
        keys += [corrections_key(customer, i) for i in erasure.formulation_ids]
        keys += [correction_batches_key(customer, i) for i in erasure.formulation_ids]
        keys += [measurement_index_key(customer), formulation_index_key(customer), customer_orders_key(customer)]
        keys += [history_consent_key(customer), history_consent_log_key(customer)]
        await self._erase(keys=keys, args=args)
        for formulation_id in erasure.formulation_ids:
            await self._redis.delete(formulation_owner_key(formulation_id))
        await self._forget_idempotency_records(customer)

    async def _forget_idempotency_records(self, customer_id: str) -> None:
        """(4) Delete the customer's idempotency records (an order request's key → its order id), which would
        otherwise tie the customer to the anonymised orders until they expire. They are not indexed, so they are
        found by a SCAN of the customer's key prefix (glob characters in the id escaped): an erasure is rare."""
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", idempotency_records_prefix(customer_id)) + "*"
        async for key in self._redis.scan_iter(match=pattern, count=1000):
            await self._redis.delete(key)
