"""The imported shade catalogue, by source: each source's shades a list, replaced whole, and a version counter that
caches compare.

An import is written under a staging key of its own, then renamed onto the source's list by one script that also
records the import and bumps the version: a failed or abandoned import leaves the previous shades as they were
(its staging key expires). A lock per source, taken before staging and checked by that script, refuses a second
import of the same source while one is under way, so two cannot interleave. Every key has the ``{shades}`` hash
tag: one Cluster slot, as the scripts need.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from typing import Any, Final

from api.storage.client import RedisClient, as_text
from api.storage.keys import (
    SHADE_SOURCES_KEY,
    SHADES_KEY,
    SHADES_VERSION_KEY,
    shade_lock_key,
    shade_source_key,
    shade_staging_key,
)

LEGACY_SOURCE: Final = "legacy"  # the single list of shades kept before sources
LOCK_SECONDS: Final = 600  # an import of 100,000 rows is written in seconds; a crashed one frees the source after this
PUSH_CHUNK: Final = 1000

COMMIT = """
-- KEYS[1] the staging list, KEYS[2] the source's list, KEYS[3] the sources hash, KEYS[4] the version,
-- KEYS[5] the source's lock. ARGV[1] the source, ARGV[2] its import record (JSON), ARGV[3] the import's token.
if redis.call('GET', KEYS[5]) ~= ARGV[3] then
  redis.call('DEL', KEYS[1])
  return -1
end
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local before = redis.call('LLEN', KEYS[2])
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PERSIST', KEYS[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('DEL', KEYS[5])
redis.call('INCR', KEYS[4])
return before
"""
DELETE = """
-- KEYS[1] the source's list, KEYS[2] the sources hash, KEYS[3] the version, KEYS[4] the source's lock.
-- ARGV[1] the source. Returns the shades deleted, -1 for an unknown source, -2 while it is being imported.
if redis.call('EXISTS', KEYS[4]) == 1 then return -2 end
local count = redis.call('LLEN', KEYS[1])
local known = redis.call('HDEL', KEYS[2], ARGV[1])
if count == 0 and known == 0 then return -1 end
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[3])
return count
"""
RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class SourceBusy(Exception):
    """Another import of this source is under way."""


def _list_key(source: str) -> str:
    return SHADES_KEY if source == LEGACY_SOURCE else shade_source_key(source)


def _encoded(rows: list[dict[str, Any]]) -> list[str]:
    """Rows as stored: the source is the key's, not repeated in every row."""
    return [json.dumps({k: v for k, v in row.items() if k != "source"}, separators=(",", ":")) for row in rows]


class ShadeRepository:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._commit = redis.register_script(COMMIT)
        self._delete = redis.register_script(DELETE)
        self._release = redis.register_script(RELEASE)

    async def version(self) -> int:
        raw = await self._redis.get(SHADES_VERSION_KEY)
        return int(raw) if raw is not None else 0

    async def sources(self) -> dict[str, dict[str, Any]]:
        """Every stored source by name (sorted; ``legacy`` last when present): its import record and ``shades``."""
        records = {as_text(k): json.loads(v) for k, v in (await self._redis.hgetall(SHADE_SOURCES_KEY)).items()}
        names = [*sorted(records), LEGACY_SOURCE]
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(_list_key(name))
            counts = await pipe.execute()
        return {
            name: {**records.get(name, {}), "shades": int(count)}
            for name, count in zip(names, counts, strict=True)
            if name in records or count
        }

    async def count(self, source: str) -> int:
        return int(await self._redis.llen(_list_key(source)))

    async def page(self, source: str, start: int, count: int) -> list[dict[str, Any]]:
        """Shades ``start`` to ``start + count - 1`` of one source, in import order, each with its ``source``."""
        raw = await self._redis.lrange(_list_key(source), start, start + count - 1)
        return [{**json.loads(item), "source": source} for item in raw]

    async def all(self) -> list[dict[str, Any]]:
        """Every imported shade, source by source (in ``sources`` order), each with its ``source``."""
        names = list(await self.sources())
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.lrange(_list_key(name), 0, -1)
            lists = await pipe.execute()
        return [{**json.loads(item), "source": name} for name, raw in zip(names, lists, strict=True) for item in raw]

    async def replace(self, source: str, rows: list[dict[str, Any]], record: dict[str, Any]) -> int:
        """Make ``rows`` the source's shades and ``record`` its import record, all at once; the number of shades
        it had before. ``SourceBusy`` while another import of it is under way; on any failure, nothing changed."""
        token = secrets.token_hex(16)
        lock = shade_lock_key(source)
        if not await self._redis.set(lock, token, nx=True, ex=LOCK_SECONDS):
            raise SourceBusy(source)
        staging = shade_staging_key(token)
        try:
            encoded = _encoded(rows)
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.delete(staging)
                for start in range(0, len(encoded), PUSH_CHUNK):
                    pipe.rpush(staging, *encoded[start : start + PUSH_CHUNK])
                    if start == 0:  # so that a staging list left by a crash expires
                        pipe.expire(staging, LOCK_SECONDS)
                await pipe.execute()
            keys = [staging, _list_key(source), SHADE_SOURCES_KEY, SHADES_VERSION_KEY, lock]
            before = int(await self._commit(keys=keys, args=[source, json.dumps(record), token]))
        except BaseException:
            with contextlib.suppress(Exception):  # it expires anyway
                await self._redis.delete(staging)
            raise
        finally:
            await self._release(keys=[lock], args=[token])
        if before < 0:  # the lock expired and another import took it, or the staging list expired
            raise SourceBusy(source)
        return before

    async def delete(self, source: str) -> int | None:
        """Remove a source and its shades; how many it had, None if there was no such source. ``SourceBusy``
        while it is being imported."""
        keys = [_list_key(source), SHADE_SOURCES_KEY, SHADES_VERSION_KEY, shade_lock_key(source)]
        deleted = int(await self._delete(keys=keys, args=[source]))
        if deleted == -2:
            raise SourceBusy(source)
        return None if deleted == -1 else deleted


def import_shades_sync(
    client: Any, rows: list[dict[str, Any]], *, replace: bool = True, source: str = "imported"
) -> int:
    """Make ``rows`` the shades of ``source`` (added to its shades when not ``replace``) in one MULTI/EXEC, with a
    blocking client: for tests and scripts. Returns the source's size after."""
    with client.pipeline(transaction=True) as pipe:
        if replace:
            pipe.delete(_list_key(source))
        if rows:
            pipe.rpush(_list_key(source), *_encoded(rows))
        if source != LEGACY_SOURCE:
            pipe.hset(SHADE_SOURCES_KEY, source, json.dumps({"file_name": None}))
        pipe.incr(SHADES_VERSION_KEY)
        pipe.llen(_list_key(source))
        results = pipe.execute()
    return int(results[-1])
