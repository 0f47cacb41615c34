"""Erasure of everything a customer has in one slot, at once."""

from __future__ import annotations

from api.storage.client import RedisClient
from api.storage.keys import (
    corrections_key,
    formulation_index_key,
    formulation_key,
    formulation_owner_key,
    history_consent_key,
    history_consent_log_key,
    measurement_index_key,
    measurement_key,
)


class CustomerRepository:
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def erase(self, customer_id: str, measurement_ids: list[str], formulation_ids: list[str]) -> None:
        """Delete the customer's measurements, their history consent (and its log) and formulations (with their
        corrections) in one MULTI/EXEC, then the formulations' owner index entries, which live outside the
        customer's slot (deleting them second means a failure in between leaves index entries that point at
        nothing, never data without its index)."""
        keys = [measurement_key(customer_id, i) for i in measurement_ids]
        keys += [formulation_key(customer_id, i) for i in formulation_ids]
        keys += [corrections_key(customer_id, i) for i in formulation_ids]
        keys += [measurement_index_key(customer_id), formulation_index_key(customer_id)]
        keys += [history_consent_key(customer_id), history_consent_log_key(customer_id)]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(*keys)
            await pipe.execute()
        for formulation_id in formulation_ids:
            await self._redis.delete(formulation_owner_key(formulation_id))
