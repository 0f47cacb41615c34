"""Property: whatever sequence of actions arrives, the order in Redis follows the state machine of
``api.order_states`` exactly: allowed actions move it, others are refused and change nothing; it sits in
exactly one status queue; its history has one entry per change; ``ready`` writes one outbox event."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from api.errors import InvalidTransition
from api.order_service import READY_EVENT, OrderContext, apply_transition
from api.order_states import TRANSITIONS, OrderStatus, next_status
from api.order_store import ORDER_ID_PREFIX, OrderRepository, outbox_key, status_key
from api.partitions import new_partitioned_id, partition_of
from api.sealing import Sealer
from api.store import FormulationRepository


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(st.sampled_from(sorted(TRANSITIONS)), max_size=12))
def test_stored_orders_follow_the_state_machine(redis_url: str, actions: list[str]) -> None:
    async def run() -> None:
        redis = Redis.from_url(redis_url)
        context = OrderContext(redis=redis, orders=OrderRepository(redis), formulations=FormulationRepository(redis),
                               sealer=Sealer({"k": os.urandom(32)}, "k"))  # fmt: skip
        customer = f"cus_{uuid.uuid4().hex[:8]}"
        partition = partition_of(customer)
        order_id = new_partitioned_id(ORDER_ID_PREFIX, partition)
        created = await context.orders.create(
            customer_id=customer, order_id=order_id, idempotency_key=uuid.uuid4().hex, fingerprint="f",
            record={"id": order_id}, sealed_shipping="sealed", measurement_id="msr_x", now_iso="2026-11-21T00:00:00Z",
            log_entry={"at": "2026-11-21T00:00:00Z", "actor": "customer", "to_status": "received"},
            idempotency_seconds=60,
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
                        await apply_transition(context, order_id, action, actor="lab", event_type=event)
                else:
                    await apply_transition(context, order_id, action, actor="lab", event_type=event)
                    model, changes, readies = expected, changes + 1, readies + (action == "ready")
                stored = await context.orders.get(order_id)
                assert stored is not None
                assert stored.status is model
                queues = [s for s in OrderStatus if await redis.zscore(status_key(partition, s), order_id) is not None]
                assert queues == [model]
                assert len(stored.log) == 1 + changes
            assert await redis.xlen(outbox_key(partition)) - stream_before == readies
        finally:
            await redis.aclose()

    asyncio.run(run())
