"""The outbox: events written with the state change that causes them, delivered at least once by the worker.

Per partition (``api.storage.keys``), all under one hash tag:

- ``outbox``: a stream. ``api.storage.orders`` appends to it in the same script as the transition, so an event
  exists if and only if its state change happened. The worker reads it with a consumer group; an entry
  a crashed worker had read is claimed again after ``STALE_MS``.
- ``outbox:events``: hash of event id → JSON (type, order id, attempts, last error).
- ``outbox:due``: sorted set of event ids by the time of their next attempt. A worker leases an event by
  pushing its time ahead while it delivers, so two workers do not send it at once (if one dies, the lease
  runs out and another sends it again: delivery is at least once, and the receiver deduplicates by
  ``webhook-id``, which is the event id).
- ``outbox:dead``: list of events that failed every attempt, for an admin to look at and replay.

Moving an entry from the stream into the schedule, and every later step, is one script each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import ResponseError

from api.storage.client import RedisClient
from api.storage.client import as_text as text
from api.storage.ids import partition_of_id
from api.storage.keys import PARTITIONS, order_log_key, outbox_dead_key, outbox_due_key, outbox_events_key, outbox_key

GROUP = "delivery"
STALE_MS = 30_000

SCHEDULE = """
redis.call('HSETNX', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], 'NX', ARGV[5], ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
"""

CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local event = redis.call('HGET', KEYS[2], id)
  if event then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    table.insert(out, event)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
"""

DELIVERED = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('RPUSH', KEYS[3], ARGV[2])
return 1
"""

FAILED = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 'gone' end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('RPUSH', KEYS[3], ARGV[2])
  return 'dead'
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 'retry'
"""

REPLAY = """
local count = 0
while true do
  local raw = redis.call('LPOP', KEYS[1])
  if not raw then break end
  local event = cjson.decode(raw)
  event['attempts'] = 0
  redis.call('HSET', KEYS[2], event['id'], cjson.encode(event))
  redis.call('ZADD', KEYS[3], ARGV[1], event['id'])
  count = count + 1
end
return count
"""

# One dead letter, found by its id, back into the schedule; 0 when it is not (or no longer) in this list.
REPLAY_ONE = """
for index, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local event = cjson.decode(raw)
  if event['id'] == ARGV[2] then
    redis.call('LREM', KEYS[1], 1, raw)
    event['attempts'] = 0
    redis.call('HSET', KEYS[2], event['id'], cjson.encode(event))
    redis.call('ZADD', KEYS[3], ARGV[1], event['id'])
    return 1
  end
end
return 0
"""


@dataclass(frozen=True)
class OutboxEvent:
    id: str
    type: str
    order_id: str
    created_at: str
    attempts: int = 0
    last_error: str | None = None  # the receiver's HTTP status ("HTTP 503"), "timeout", or the connection error
    last_error_at: str | None = None  # when that attempt failed (ISO 8601, UTC)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: Any) -> OutboxEvent:
        return cls(**json.loads(raw))


class Outbox:
    """The outbox of one partition."""

    def __init__(self, redis: RedisClient, partition: int) -> None:
        self._redis = redis
        self.partition = partition
        self.keys = {
            "stream": outbox_key(partition),
            "events": outbox_events_key(partition),
            "due": outbox_due_key(partition),
            "dead": outbox_dead_key(partition),
        }
        self._schedule = redis.register_script(SCHEDULE)
        self._claim = redis.register_script(CLAIM)
        self._delivered = redis.register_script(DELIVERED)
        self._failed = redis.register_script(FAILED)
        self._replay = redis.register_script(REPLAY)
        self._replay_one = redis.register_script(REPLAY_ONE)

    async def ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(self.keys["stream"], GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def schedule_new(self, consumer: str, now_ms: int, count: int = 100) -> int:
        """Move stream entries (new ones, and ones a dead worker had read) into the delivery schedule."""
        stream = self.keys["stream"]
        claimed = await self._redis.xautoclaim(stream, GROUP, consumer, STALE_MS, "0-0", count=count)
        entries = list(claimed[1]) if claimed else []
        fresh = await self._redis.xreadgroup(GROUP, consumer, {stream: ">"}, count=count)
        for _, stream_entries in fresh or []:
            entries.extend(stream_entries)
        for entry_id, fields in entries:
            if not fields:  # deleted while pending
                continue
            raw = {text(k): v for k, v in fields.items()}["event"]
            event = OutboxEvent.from_json(raw)
            args = [GROUP, text(entry_id), event.id, event.to_json(), now_ms]
            await self._schedule(keys=[stream, self.keys["events"], self.keys["due"]], args=args)
        return len(entries)

    async def claim_due(self, now_ms: int, lease_ms: int, limit: int) -> list[OutboxEvent]:
        raws = await self._claim(keys=[self.keys["due"], self.keys["events"]], args=[now_ms, now_ms + lease_ms, limit])
        return [OutboxEvent.from_json(raw) for raw in raws]

    async def delivered(self, event: OutboxEvent, log_entry: dict[str, Any]) -> None:
        """Done: out of the schedule, and noted in the order's history, in one script."""
        partition = partition_of_id(event.order_id)
        assert partition is not None  # noqa: S101 - ids in the outbox were made with a partition
        keys = [self.keys["due"], self.keys["events"], order_log_key(partition, event.order_id)]
        await self._delivered(keys=keys, args=[event.id, json.dumps(log_entry, separators=(",", ":"))])

    async def failed(self, event: OutboxEvent, error: str, next_attempt_ms: int | None) -> str:
        """Count the failed attempt: retry at ``next_attempt_ms``, or (None) move it to the dead-letter list."""
        updated = OutboxEvent(
            event.id, event.type, event.order_id, event.created_at, event.attempts + 1, error[:500],
            datetime.now(UTC).isoformat(),
        )  # fmt: skip
        keys = [self.keys["due"], self.keys["events"], self.keys["dead"]]
        args = [event.id, updated.to_json(), "" if next_attempt_ms is None else next_attempt_ms]
        return text(await self._failed(keys=keys, args=args))

    async def dead_letters(self) -> list[OutboxEvent]:
        return [OutboxEvent.from_json(raw) for raw in await self._redis.lrange(self.keys["dead"], 0, -1)]

    async def replay_dead_letters(self, now_ms: int) -> int:
        keys = [self.keys["dead"], self.keys["events"], self.keys["due"]]
        return int(await self._replay(keys=keys, args=[now_ms]))

    async def replay_dead_letter(self, event_id: str, now_ms: int) -> bool:
        """Schedule one dead letter again; False when it is not in this partition's list."""
        keys = [self.keys["dead"], self.keys["events"], self.keys["due"]]
        return bool(await self._replay_one(keys=keys, args=[now_ms, event_id]))

    async def pending(self) -> int:
        """Events not yet delivered: in the stream or scheduled."""
        return int(await self._redis.xlen(self.keys["stream"])) + int(await self._redis.zcard(self.keys["due"]))

    async def dead_count(self) -> int:
        return int(await self._redis.llen(self.keys["dead"]))


class Outboxes:
    """Every partition's outbox: what the worker delivers from, and what an admin looks at."""

    def __init__(self, redis: RedisClient) -> None:
        self.partitions = [Outbox(redis, partition) for partition in range(PARTITIONS)]

    async def dead_letters(self) -> list[OutboxEvent]:
        events: list[OutboxEvent] = []
        for outbox in self.partitions:
            events.extend(await outbox.dead_letters())
        return events

    async def replay_dead_letters(self, now_ms: int) -> int:
        return sum([await outbox.replay_dead_letters(now_ms) for outbox in self.partitions])

    async def replay_dead_letter(self, event_id: str, now_ms: int) -> bool:
        """Schedule the dead letter ``event_id`` again, wherever it is; False when there is none."""
        for outbox in self.partitions:
            if await outbox.replay_dead_letter(event_id, now_ms):
                return True
        return False

    async def backlog(self) -> tuple[int, int]:
        """Events not yet delivered, and events in the dead-letter lists, over every partition."""
        pending = dead = 0
        for outbox in self.partitions:
            pending += await outbox.pending()
            dead += await outbox.dead_count()
        return pending, dead
