"""Which data keys the running service holds: key ids only, never keys.

The service writes its key ids when it starts; ``tonematch orders reseal`` reads them and refuses to move
values to a key the service could not open. Several instances of one deployment share their keys, so the
last start's list stands for all of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from api.storage.client import RedisClient
from api.storage.keys import SERVING_DATA_KEYS_KEY


@dataclass(frozen=True)
class ServingKeys:
    key_ids: tuple[str, ...]
    current: str
    registered_at: str


class ServiceKeyRegistry:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def register(self, key_ids: list[str], current: str) -> None:
        document = {"key_ids": sorted(key_ids), "current": current, "registered_at": datetime.now(UTC).isoformat()}
        await self._redis.set(SERVING_DATA_KEYS_KEY, json.dumps(document, separators=(",", ":")))

    async def serving(self) -> ServingKeys | None:
        raw = await self._redis.get(SERVING_DATA_KEYS_KEY)
        if raw is None:
            return None
        document = json.loads(raw)
        return ServingKeys(tuple(document["key_ids"]), document["current"], document["registered_at"])
