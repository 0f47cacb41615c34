"""Property: whatever sequence of actions arrives, the order in Redis follows the state machine of
``api.orders.states`` exactly: allowed actions move it, others are refused and change nothing; it sits in
exactly one status queue; its history has one entry per change; ``ready`` writes one outbox event."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from api.deps import build_services, resolve_keys
from api.errors import InvalidTransition
from api.orders.service import READY_EVENT
from api.orders.states import TRANSITIONS, OrderStatus, next_status
from api.settings import Settings
from api.storage import Storage
from api.storage.ids import ORDER_ID_PREFIX, new_partitioned_id
from api.storage.keys import outbox_key, partition_of, status_key


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(st.sampled_from(sorted(TRANSITIONS)), max_size=12))
def test_stored_orders_follow_the_state_machine(redis_url: str, settings: Settings, actions: list[str]) -> None:
    async def run() -> None:
        redis = Redis.from_url(redis_url)
        storage = Storage.over(redis)
        orders = build_services(settings, storage, resolve_keys(settings)).orders
        customer = f"cus_{uuid.uuid4().hex[:8]}"
        partition = partition_of(customer)
        order_id = new_partitioned_id(ORDER_ID_PREFIX, partition)
        created = await storage.orders.create(
            customer_id=customer, order_id=order_id, idempotency_key=uuid.uuid4().hex, fingerprint="f",
            record={"id": order_id}, sealed_shipping="sealed", measurement_id="msr_x", now_iso="2026-11-21T00:00:00Z",
            log_entry={"at": "2026-11-21T00:00:00Z", "actor": "customer", "to_status": "received"},
            idempotency_seconds=60, initial_status=OrderStatus.RECEIVED,
        )  # fmt: skip
        assert created.outcome == "created"
        model, changes, readies = OrderStatus.RECEIVED, 0, 0
        stream_before = await redis.xlen(outbox_key(partition))
        try:
            for action in actions:
                expected = next_status(model, action)
                event = READY_EVENT if action == "ready" else None
                if expected is None:
                    with pytest.raises(InvalidTransition):
                        await orders.apply_transition(order_id, action, actor="lab", event_type=event)
                else:
                    await orders.apply_transition(order_id, action, actor="lab", event_type=event)
                    model, changes, readies = expected, changes + 1, readies + (action == "ready")
                stored = await storage.orders.get(order_id)
                assert stored is not None
                assert stored.status == model
                queues = [s for s in OrderStatus if await redis.zscore(status_key(partition, s), order_id) is not None]
                assert queues == [model]
                assert len(stored.log) == 1 + changes
            assert await redis.xlen(outbox_key(partition)) - stream_before == readies
        finally:
            await redis.aclose()

    asyncio.run(run())
