"""Lua scripts run atomically in Redis, by SHA with the text as fallback (works on one server and on a Cluster).

Every script names all its keys in KEYS, and the keys of one call share a hash tag (``api.partitions``), so
Redis Cluster runs it on the one node that owns the slot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import NoScriptError


@dataclass(frozen=True)
class Script:
    text: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha", hashlib.sha1(self.text.encode(), usedforsecurity=False).hexdigest())

    async def __call__(self, redis: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await redis.eval(self.text, len(keys), *keys, *args)


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
