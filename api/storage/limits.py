"""Per-customer request budgets and revoked tokens: small keys with their own expiry.

A budget is a fixed window (Redis ``INCR`` and ``PEXPIRE`` in one script): the first request of a window starts
its clock; past ``limit`` requests the caller learns how long until the window ends. Revoked tokens are kept by
``jti`` until the token would have expired anyway.
"""

from __future__ import annotations

from api.storage.client import RedisClient
from api.storage.keys import rate_limit_key, revoked_token_key

HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


class RateLimits:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._hit = redis.register_script(HIT)

    async def hit(self, customer_id: str, bucket: str, *, limit: int, window_seconds: int) -> float | None:
        """Count one request; None when within ``limit`` for the window, else the seconds until it ends."""
        count, ttl_ms = await self._hit(keys=[rate_limit_key(customer_id, bucket)], args=[window_seconds * 1000])
        return None if int(count) <= limit else max(int(ttl_ms), 0) / 1000.0


class RevokedTokens:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def revoke(self, token_id: str, *, seconds_left: int) -> None:
        await self._redis.set(revoked_token_key(token_id), "1", ex=max(seconds_left, 1))

    async def is_revoked(self, token_id: str) -> bool:
        return bool(await self._redis.exists(revoked_token_key(token_id)))
