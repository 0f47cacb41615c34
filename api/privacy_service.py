"""The customer's data rights: see everything kept (export) and erase it.

Erasure deletes measurements and formulations. Orders are accounting records and are kept, with the name
and address removed; an order not yet in production is cancelled first. While an order is being made or
is on its way, erasure is refused (the address is still needed to deliver it): the customer can erase
once it is delivered.
"""

from __future__ import annotations

from datetime import UTC, datetime

from api.errors import OrdersInProgress
from api.formulation_service import get_formulation
from api.measurement_service import get_measurement
from api.order_schemas import DataExport, ErasureOut
from api.order_service import OrderContext, apply_transition, get_own_order, now_iso
from api.order_states import FINAL, OPEN_BEFORE_PRODUCTION
from api.schemas import CorrectionOut
from api.store import MeasurementRepository, customer_ids, erase_customer_data


async def export_customer_data(
    context: OrderContext, measurements: MeasurementRepository, customer_id: str
) -> DataExport:
    redis = context.redis
    measured = []
    for measurement_id in await customer_ids(redis, customer_id, "msrs"):
        found = await get_measurement(measurements, customer_id, measurement_id)
        if found is not None:  # expired after the retention period
            measured.append(found)
    formulations, corrections = [], []
    for formulation_id in await customer_ids(redis, customer_id, "fmls"):
        formulations.append(await get_formulation(context.formulations, customer_id, formulation_id))
        corrections += [
            CorrectionOut.model_validate(c) for c in await context.formulations.corrections(customer_id, formulation_id)
        ]
    orders = [
        await get_own_order(context, customer_id, i) for i in await context.orders.all_customer_order_ids(customer_id)
    ]
    return DataExport(
        customer_id=customer_id,
        exported_at=datetime.now(UTC),
        measurements=measured,
        formulations=formulations,
        corrections=corrections,
        orders=orders,
    )


async def erase_customer(context: OrderContext, customer_id: str) -> ErasureOut:
    redis = context.redis
    orders = [
        await get_own_order(context, customer_id, i) for i in await context.orders.all_customer_order_ids(customer_id)
    ]
    in_progress = [o.id for o in orders if o.status not in FINAL | OPEN_BEFORE_PRODUCTION]
    if in_progress:
        raise OrdersInProgress(
            "Orders are being made or are on their way, and their address is needed to deliver them; erase "
            "again once they are delivered.",
            extra={"order_ids": in_progress},
        )
    cancelled = 0
    for order in orders:
        if order.status in OPEN_BEFORE_PRODUCTION:
            await apply_transition(context, order.id, "cancel", actor="customer", note="erasure request")
            cancelled += 1
        entry = {"at": now_iso(), "actor": "customer", "note": "name and address erased at the customer's request"}
        await context.orders.anonymise(order.id, now_iso=now_iso(), log_entry=entry)
    measurement_ids = await customer_ids(redis, customer_id, "msrs")
    formulation_ids = await customer_ids(redis, customer_id, "fmls")
    await erase_customer_data(redis, customer_id, measurement_ids, formulation_ids)
    return ErasureOut(
        measurements_deleted=len(measurement_ids),
        formulations_deleted=len(formulation_ids),
        orders_cancelled=cancelled,
        orders_kept_without_personal_data=len(orders),
    )
