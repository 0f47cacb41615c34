"""Orders in Redis: creation with an idempotency key, and state transitions, each one atomic Lua script.

The keys are described in ``api.storage.keys``. Statuses are plain strings here; their meaning and the
allowed transitions are the orders domain's (``api.orders.states``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from api.storage.client import RedisClient
from api.storage.client import as_text as text
from api.storage.ids import created_ms, partition_of_id
from api.storage.keys import (
    PARTITIONS,
    customer_orders_key,
    idempotency_record_key,
    measurement_key,
    order_key,
    order_log_key,
    outbox_key,
    status_key,
    webhook_seen_key,
)

CREATE = """
local existing = redis.call('GET', KEYS[1])
if existing then
  local sep = string.find(existing, ' ', 1, true)
  local order_id = string.sub(existing, sep + 1)
  if string.sub(existing, 1, sep - 1) ~= ARGV[1] then return {'conflict', order_id} end
  return {'existing', order_id}
end
redis.call('HSET', KEYS[2], 'status', 'received', 'updated_at', ARGV[7], 'record', ARGV[4], 'shipping', ARGV[5])
redis.call('RPUSH', KEYS[3], ARGV[6])
redis.call('ZADD', KEYS[4], 0, ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[2])
redis.call('PERSIST', KEYS[6])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'EX', ARGV[8])
return {'created', ARGV[2]}
"""

TRANSITION = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', ''} end
if ARGV[7] ~= '' and redis.call('EXISTS', KEYS[5]) == 1 then return {'duplicate', status} end
local index = nil
local i = 0
for source in string.gmatch(ARGV[5], '[^,]+') do
  i = i + 1
  if source == status then index = i end
end
if not index then return {'invalid', status} end
local score = tonumber(string.sub(ARGV[4], 5, 16), 16)
redis.call('ZREM', KEYS[5 + index], ARGV[4])
redis.call('ZADD', KEYS[3], score, ARGV[4])
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[2])
for j = 8, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[j], ARGV[j + 1]) end
local entry = cjson.decode(ARGV[3])
entry['from_status'] = status
redis.call('RPUSH', KEYS[2], cjson.encode(entry))
if ARGV[6] ~= '' then redis.call('XADD', KEYS[4], '*', 'event', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('SET', KEYS[5], '1', 'EX', ARGV[7]) end
return {'moved', status}
"""

RESEAL = """
if redis.call('HGET', KEYS[1], 'shipping') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'shipping', ARGV[2])
return 1
"""


@dataclass(frozen=True)
class StoredOrder:
    status: str
    updated_at: str
    record: dict[str, Any]
    shipping: str | None  # sealed
    shipment: dict[str, Any] | None
    qc: dict[str, Any] | None
    erased_at: str | None
    log: list[dict[str, Any]]


@dataclass(frozen=True)
class CreateResult:
    outcome: str  # created, existing or conflict
    order_id: str


@dataclass(frozen=True)
class TransitionResult:
    outcome: str  # moved, missing, invalid or duplicate
    previous: str


class OrderRepository:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        # redis-py's scripts run by SHA and load their text on NOSCRIPT, on one server or on a Cluster node.
        self._create = redis.register_script(CREATE)
        self._transition = redis.register_script(TRANSITION)
        self._reseal = redis.register_script(RESEAL)

    async def create(
        self,
        *,
        customer_id: str,
        order_id: str,
        idempotency_key: str,
        fingerprint: str,
        record: dict[str, Any],
        sealed_shipping: str,
        log_entry: dict[str, Any],
        measurement_id: str,
        now_iso: str,
        idempotency_seconds: int,
        initial_status: str,
    ) -> CreateResult:
        """Create the order in ``initial_status`` unless ``idempotency_key`` already made one (same or other body)."""
        partition = partition_of_id(order_id)
        assert partition is not None  # noqa: S101 - made by new_partitioned_id
        keys = [
            idempotency_record_key(customer_id, idempotency_key),
            order_key(partition, order_id),
            order_log_key(partition, order_id),
            customer_orders_key(customer_id),
            status_key(partition, initial_status),
            measurement_key(customer_id, measurement_id),
        ]
        args = [
            fingerprint, order_id, created_ms(order_id), json.dumps(record, separators=(",", ":")), sealed_shipping,
            json.dumps(log_entry, separators=(",", ":")), now_iso, idempotency_seconds,
        ]  # fmt: skip
        outcome, existing_id = await self._create(keys=keys, args=args)
        return CreateResult(text(outcome), text(existing_id))

    async def get(self, order_id: str) -> StoredOrder | None:
        partition = partition_of_id(order_id)
        if partition is None:
            return None
        fields = await self._redis.hgetall(order_key(partition, order_id))
        if not fields:
            return None
        values = {text(k): text(v) for k, v in fields.items()}
        log = [json.loads(entry) for entry in await self._redis.lrange(order_log_key(partition, order_id), 0, -1)]
        return StoredOrder(
            status=values["status"],
            updated_at=values["updated_at"],
            record=json.loads(values["record"]),
            shipping=values.get("shipping"),
            shipment=json.loads(values["shipment"]) if "shipment" in values else None,
            qc=json.loads(values["qc"]) if "qc" in values else None,
            erased_at=values.get("erased_at"),
            log=log,
        )

    async def transition(
        self,
        order_id: str,
        *,
        sources: Iterable[str],
        target: str,
        log_entry: dict[str, Any],
        now_iso: str,
        fields: dict[str, str] | None = None,
        event: dict[str, Any] | None = None,
        webhook_id: str | None = None,
        seen_seconds: int = 7 * 24 * 3600,
    ) -> TransitionResult:
        """Move the order to ``target`` if its current state is one of ``sources``, all in one script; with
        ``event``, append it to the partition's outbox in the same script."""
        partition = partition_of_id(order_id)
        if partition is None:
            return TransitionResult("missing", "")
        ordered_sources = sorted(sources)
        keys = [
            order_key(partition, order_id),
            order_log_key(partition, order_id),
            status_key(partition, target),
            outbox_key(partition),
            webhook_seen_key(partition, webhook_id or ""),
        ]
        keys += [status_key(partition, source) for source in ordered_sources]
        args: list[Any] = [
            target, now_iso, json.dumps(log_entry, separators=(",", ":")), order_id, ",".join(ordered_sources),
            json.dumps(event, separators=(",", ":")) if event else "", seen_seconds if webhook_id else "",
        ]  # fmt: skip
        for name, value in (fields or {}).items():
            args += [name, value]
        outcome, previous = await self._transition(keys=keys, args=args)
        return TransitionResult(text(outcome), text(previous))

    async def customer_order_ids(
        self, customer_id: str, *, limit: int, before: str | None
    ) -> tuple[list[str], str | None]:
        """Newest first, ``before`` being the last id of the previous page."""
        upper = f"({before}" if before else "+"
        ids = await self._redis.zrevrangebylex(customer_orders_key(customer_id), upper, "-", start=0, num=limit + 1)
        page = [text(i) for i in ids[:limit]]
        return page, (page[-1] if len(ids) > limit and page else None)

    async def all_customer_order_ids(self, customer_id: str) -> list[str]:
        return [text(i) for i in await self._redis.zrange(customer_orders_key(customer_id), 0, -1)]

    async def queue_count(self, status: str) -> int:
        """How many orders are in ``status`` over all partitions: one ZCARD per partition, pipelined per node."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for partition in range(PARTITIONS):
                pipe.zcard(status_key(partition, status))
            return sum(int(n) for n in await pipe.execute())

    async def queue_page(self, status: str, *, limit: int, after: tuple[int, str] | None) -> list[tuple[int, str]]:
        """The oldest ``limit`` + 1 orders in ``status`` over all partitions, after the cursor (created ms, id)."""
        candidates: list[tuple[int, str]] = []
        for partition in range(PARTITIONS):
            low = f"{after[0]}" if after else "-inf"
            rows = await self._redis.zrangebyscore(
                status_key(partition, status), low, "+inf", start=0, num=limit + 1, withscores=True
            )
            for member, score in rows:
                item = (int(score), text(member))
                if after is None or item > after:
                    candidates.append(item)
        return sorted(candidates)[: limit + 1]

    async def reseal_all(self, statuses: Iterable[str], reseal: Callable[[str, str], str]) -> tuple[int, int]:
        """Seal every stored address with the current data key (key rotation); returns (resealed, orders seen).

        Every order is in exactly one status set, so those sets list them all without SCAN (which a Cluster
        would need per node). Each change is compare-and-set, so an order changed meanwhile is left as it is.
        """
        resealed = seen = 0
        for partition in range(PARTITIONS):
            for status in statuses:
                for raw_id in await self._redis.zrange(status_key(partition, status), 0, -1):
                    order_id = text(raw_id)
                    key = order_key(partition, order_id)
                    sealed = await self._redis.hget(key, "shipping")
                    seen += 1
                    if sealed is None:
                        continue
                    new = reseal(text(sealed), order_id)
                    if new != text(sealed):
                        resealed += int(await self._reseal(keys=[key], args=[text(sealed), new]))
        return resealed, seen
