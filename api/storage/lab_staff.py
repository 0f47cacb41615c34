"""Lab staff accounts, their console sessions, and the count of failed sign-ins; all outside the customers'
partitions (one key each, so every command touches one slot of a Redis Cluster).

Keys (part of the data layout described in ``api.storage.keys``):

- ``tm:lab:staff``: hash of staff name → JSON ``{"name", "password_hash", "created_at"}``; the password hash is
  ``api.lab_console.passwords``' scrypt string, never a password
- ``tm:lab:session:<sha256 of the session token>``: JSON ``{"staff", "since", "csrf", "created_at", "expires_at"}``,
  expiring with the session; the token itself (the cookie's value) is never stored
- ``tm:lab:login-fail:<sha256 of name or address>``: failed sign-ins in the current window (expires with it)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from api.storage.client import RedisClient, as_text
from api.storage.keys import KEY_PREFIX, digest

STAFF_KEY = f"{KEY_PREFIX}:lab:staff"

# INCR and the window's expiry in one step (as ``api.storage.limits``), answering the count and the time left.
COUNT_FAILURE = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
"""


def session_key(token: str) -> str:
    return f"{KEY_PREFIX}:lab:session:{digest(token)}"


def login_failure_key(bucket: str) -> str:
    return f"{KEY_PREFIX}:lab:login-fail:{digest(bucket)}"


@dataclass(frozen=True, slots=True)
class StaffAccount:
    name: str
    password_hash: str
    created_at: str  # also tells sessions of a removed and re-added account from the new one's


@dataclass(frozen=True, slots=True)
class LabSession:
    staff: str
    since: str  # the account's ``created_at`` when the session began
    csrf: str  # the synchronizer token every form of this session carries
    created_at: float  # Unix time
    expires_at: float  # Unix time


class LabStaffRepository:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._count_failure = redis.register_script(COUNT_FAILURE)

    async def add(self, account: StaffAccount, *, replace: bool = False) -> bool:
        """Store the account; False when the name is taken and ``replace`` is not set."""
        raw = json.dumps(asdict(account), separators=(",", ":"))
        if replace:
            await self._redis.hset(STAFF_KEY, account.name, raw)
            return True
        return bool(await self._redis.hsetnx(STAFF_KEY, account.name, raw))

    async def get(self, name: str) -> StaffAccount | None:
        raw = await self._redis.hget(STAFF_KEY, name)
        return None if raw is None else StaffAccount(**json.loads(raw))

    async def remove(self, name: str) -> bool:
        """Delete the account; its sessions end at their next request (they name an account that is gone)."""
        return bool(await self._redis.hdel(STAFF_KEY, name))

    async def names(self) -> list[str]:
        return sorted(as_text(name) for name in await self._redis.hkeys(STAFF_KEY))

    async def start_session(self, token: str, session: LabSession, *, ttl_seconds: int) -> None:
        raw = json.dumps(asdict(session), separators=(",", ":"))
        await self._redis.set(session_key(token), raw, ex=max(ttl_seconds, 1))

    async def session(self, token: str) -> LabSession | None:
        raw = await self._redis.get(session_key(token))
        return None if raw is None else LabSession(**json.loads(raw))

    async def end_session(self, token: str) -> None:
        await self._redis.delete(session_key(token))

    async def count_failure(self, bucket: str, *, window_seconds: int) -> tuple[int, float]:
        """One more failed sign-in for ``bucket`` (a name or an address): the count in the window and the seconds
        until the window ends."""
        count, ttl_ms = await self._count_failure(keys=[login_failure_key(bucket)], args=[window_seconds * 1000])
        return int(count), max(int(ttl_ms), 0) / 1000.0

    async def failures(self, bucket: str) -> tuple[int, float]:
        """Failed sign-ins for ``bucket`` in the current window, and the seconds until it ends."""
        key = login_failure_key(bucket)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.pttl(key)
            raw, ttl_ms = await pipe.execute()
        return (0 if raw is None else int(raw)), max(int(ttl_ms), 0) / 1000.0

    async def clear_failures(self, bucket: str) -> None:
        await self._redis.delete(login_failure_key(bucket))
