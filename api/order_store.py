"""Orders in Redis: creation with an idempotency key, and state transitions, each one atomic Lua script.

Key layout, all under the customer's partition tag ``tm:{pNN}`` (``api.partitions``):

- ``ord:<id>``: hash with ``status``, ``updated_at``, ``record`` (JSON of what was ordered), ``shipping``
  (sealed name and address, ``api.sealing``), and ``shipment`` / ``qc`` once known
- ``ord:<id>:log``: list of transitions, JSON with time, actor, from and to
- ``c:<customer>:ords``: the customer's order ids (lexical = creation order)
- ``c:<customer>:idem:<sha256 of the key>``: ``<request fingerprint> <order id>``, for the idempotency window
- ``status:<status>``: order ids in that status, scored by creation time (the lab's queue, oldest first)
- ``outbox``: stream of events written by the same script as the transition that causes them
- ``whin:<sha256 of webhook-id>``: inbound webhook ids already applied
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.order_states import OrderStatus, Transition
from api.partitions import PARTITIONS, customer_tag, partition_of_id, partition_tag
from api.redis_client import as_text as text
from api.store import measurement_key

ORDER_ID_PREFIX = "ord"

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

ANONYMISE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1], 'shipping')
redis.call('HSET', KEYS[1], 'erased_at', ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
return 1
"""

RESEAL = """
if redis.call('HGET', KEYS[1], 'shipping') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'shipping', ARGV[2])
return 1
"""


def order_key(partition: int, order_id: str) -> str:
    return f"{partition_tag(partition)}:ord:{order_id}"


def status_key(partition: int, status: OrderStatus | str) -> str:
    return f"{partition_tag(partition)}:status:{status}"


def outbox_key(partition: int) -> str:
    return f"{partition_tag(partition)}:outbox"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class StoredOrder:
    status: OrderStatus
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
    def __init__(self, redis: Any) -> None:
        self._redis = redis
        # redis-py's scripts run by SHA and load their text on NOSCRIPT, on one server or on a Cluster node.
        self._create = redis.register_script(CREATE)
        self._transition = redis.register_script(TRANSITION)
        self._anonymise = redis.register_script(ANONYMISE)

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
    ) -> CreateResult:
        partition = partition_of_id(order_id)
        assert partition is not None  # noqa: S101 - made by new_partitioned_id
        tag = customer_tag(customer_id)
        keys = [
            f"{tag}:idem:{_digest(idempotency_key)}",
            order_key(partition, order_id),
            f"{order_key(partition, order_id)}:log",
            f"{tag}:ords",
            status_key(partition, OrderStatus.RECEIVED),
            measurement_key(customer_id, measurement_id),
        ]
        created_ms = int(order_id[4:16], 16)
        args = [
            fingerprint, order_id, created_ms, json.dumps(record, separators=(",", ":")), sealed_shipping,
            json.dumps(log_entry, separators=(",", ":")), now_iso, idempotency_seconds,
        ]  # fmt: skip
        outcome, existing_id = await self._create(keys=keys, args=args)
        return CreateResult(text(outcome), text(existing_id))

    async def get(self, order_id: str) -> StoredOrder | None:
        partition = partition_of_id(order_id)
        if partition is None:
            return None
        key = order_key(partition, order_id)
        fields = await self._redis.hgetall(key)
        if not fields:
            return None
        values = {text(k): text(v) for k, v in fields.items()}
        log = [json.loads(entry) for entry in await self._redis.lrange(f"{key}:log", 0, -1)]
        return StoredOrder(
            status=OrderStatus(values["status"]),
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
        transition: Transition,
        *,
        log_entry: dict[str, Any],
        now_iso: str,
        fields: dict[str, str] | None = None,
        event: dict[str, Any] | None = None,
        webhook_id: str | None = None,
        seen_seconds: int = 7 * 24 * 3600,
    ) -> TransitionResult:
        """Move the order if its current state is one of the transition's sources, all in one script."""
        partition = partition_of_id(order_id)
        if partition is None:
            return TransitionResult("missing", "")
        key = order_key(partition, order_id)
        sources = sorted(transition.sources)
        seen = f"{partition_tag(partition)}:whin:{_digest(webhook_id or '')}"
        keys = [key, f"{key}:log", status_key(partition, transition.target), outbox_key(partition), seen]
        keys += [status_key(partition, source) for source in sources]
        args: list[Any] = [
            transition.target.value, now_iso, json.dumps(log_entry, separators=(",", ":")), order_id,
            ",".join(s.value for s in sources), json.dumps(event, separators=(",", ":")) if event else "",
            seen_seconds if webhook_id else "",
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
        ids = await self._redis.zrevrangebylex(f"{customer_tag(customer_id)}:ords", upper, "-", start=0, num=limit + 1)
        page = [text(i) for i in ids[:limit]]
        return page, (page[-1] if len(ids) > limit and page else None)

    async def all_customer_order_ids(self, customer_id: str) -> list[str]:
        return [text(i) for i in await self._redis.zrange(f"{customer_tag(customer_id)}:ords", 0, -1)]

    async def queue_page(
        self, partitions: range, status: OrderStatus, *, limit: int, after: tuple[int, str] | None
    ) -> list[tuple[int, str]]:
        """The oldest ``limit`` orders in ``status`` over all partitions, after the cursor (created ms, id)."""
        candidates: list[tuple[int, str]] = []
        for partition in partitions:
            low = f"{after[0]}" if after else "-inf"
            rows = await self._redis.zrangebyscore(
                status_key(partition, status), low, "+inf", start=0, num=limit + 1, withscores=True
            )
            for member, score in rows:
                item = (int(score), text(member))
                if after is None or item > after:
                    candidates.append(item)
        return sorted(candidates)[: limit + 1]

    async def anonymise(self, order_id: str, *, now_iso: str, log_entry: dict[str, Any]) -> bool:
        partition = partition_of_id(order_id)
        if partition is None:
            return False
        key = order_key(partition, order_id)
        done = await self._anonymise(keys=[key, f"{key}:log"], args=[now_iso, json.dumps(log_entry)])
        return bool(done)


async def reseal_all(redis: Any, reseal: Callable[[str, str], str]) -> tuple[int, int]:
    """Seal every stored address with the current data key (key rotation); returns (resealed, orders seen).

    Every order is in exactly one status set, so those sets list them all without SCAN (which a Cluster would
    need per node). Each change is compare-and-set, so an order changed meanwhile is left as it is.
    """
    compare_and_set = redis.register_script(RESEAL)
    resealed = seen = 0
    for partition in range(PARTITIONS):
        for status in OrderStatus:
            for raw_id in await redis.zrange(status_key(partition, status), 0, -1):
                order_id = text(raw_id)
                key = order_key(partition, order_id)
                sealed = await redis.hget(key, "shipping")
                seen += 1
                if sealed is None:
                    continue
                new = reseal(text(sealed), order_id)
                if new != text(sealed):
                    resealed += int(await compare_and_set(keys=[key], args=[text(sealed), new]))
    return resealed, seen
