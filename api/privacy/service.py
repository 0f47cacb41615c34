"""The customer's data rights: see everything kept (export) and erase it; give or withdraw the consent to keeping
the measurement history.

Erasure removes the person, never the batch record of a cosmetic that was made. Measurements, the history consent
and formulations are deleted; an order not yet in production is cancelled first. Orders are accounting records and
are kept with the name and address removed; a formulation that went into production is kept as its batch record
(the recipe, its batch corrections and QC: cosmetics law expects batch traceability) without the customer's skin
colour, measurement and shades. What is kept is linked to an anonymous id (``anon_…``) instead of the customer,
in one script (``api.storage.customers``); the lab still opens its batch sheet and corrections by formulation id.
The export lists what erasure would keep and why; the erasure's answer lists what it kept. While an order is being
made or is on its way, erasure is refused (the address is still needed to deliver it): the customer can erase
once it is delivered.

History: without the customer's consent only the latest measurement is kept (``api.storage.measurements`` drops
older ones as a new one is stored); withdrawing it deletes every older one at once. Nothing else needs an old
measurement: a formulation carries the colour it was made for (``target_lab``), the lab's batch sheets and
corrections and reorders read the formulation, and reorder advice compares the new measurement with it. Orders
and formulations keep the id of the measurement they came from, which may then name one no longer kept.
"""

from __future__ import annotations

from datetime import UTC, datetime

from api.errors import OrdersInProgress
from api.formulations.batches import BATCH_RECORD_REASON, ORDER_RECORD_REASON
from api.formulations.service import FormulationService
from api.measurements.service import MeasurementService
from api.orders.common import history_entry
from api.orders.schemas import OrderOut
from api.orders.service import OrderService
from api.orders.states import FINAL, OPEN_BEFORE_PRODUCTION, OrderStatus
from api.privacy.schemas import (
    DataExport,
    ErasureOut,
    HistoryConsentEventOut,
    HistoryConsentIn,
    HistoryConsentOut,
    RetainedRecordOut,
)
from api.storage.consents import ConsentRepository
from api.storage.customers import CustomerRepository, Erasure, new_anonymous_id

NOT_MADE = OPEN_BEFORE_PRODUCTION | {OrderStatus.CANCELLED}  # orders whose bottle was never made


def kept_on_erasure(orders: list[OrderOut]) -> list[RetainedRecordOut]:
    """What erasure keeps of these orders, and why: every order, and the formulation of each one made."""
    kept = [
        RetainedRecordOut(
            record="order",
            id=order.id,
            order_ids=[order.id],
            kept="what was ordered (formulation, size, quantity), its status, history, QC and shipment",
            removed="the link to you, your name and address",
            reason=ORDER_RECORD_REASON,
        )
        for order in orders
    ]
    made: dict[str, list[str]] = {}
    for order in orders:
        if order.status not in NOT_MADE:
            made.setdefault(order.formulation_id, []).append(order.id)
    kept += [
        RetainedRecordOut(
            record="batch_record",
            id=formulation_id,
            order_ids=order_ids,
            kept="the recipe (bases, fractions, grams), library version and coverage, the batch sheet, the batch "
            "corrections and QC results",
            removed="the link to you, your skin colour and measurement, the prediction on your skin and the "
            "nearest shades",
            reason=BATCH_RECORD_REASON,
        )
        for formulation_id, order_ids in made.items()
    ]
    return kept


class PrivacyService:
    def __init__(
        self,
        customers: CustomerRepository,
        *,
        measurements: MeasurementService,
        formulations: FormulationService,
        orders: OrderService,
        consents: ConsentRepository,
    ) -> None:
        self._customers = customers
        self._consents = consents
        self._measurements = measurements
        self._formulations = formulations
        self._orders = orders

    async def export(self, customer_id: str) -> DataExport:
        formulations, corrections = await self._formulations.all_of(customer_id)
        orders = await self._orders.all_own(customer_id)
        return DataExport(
            customer_id=customer_id,
            exported_at=datetime.now(UTC),
            measurements=await self._measurements.all_of(customer_id),
            history_consent=await self.history_consent(customer_id),
            history_consent_log=[
                HistoryConsentEventOut.model_validate(e) for e in await self._consents.history_log(customer_id)
            ],
            formulations=formulations,
            corrections=corrections,
            orders=orders,
            kept_on_erasure=kept_on_erasure(orders),
        )

    async def history_consent(self, customer_id: str) -> HistoryConsentOut:
        record = await self._consents.history(customer_id)
        if record is None:
            return HistoryConsentOut(granted=False, notice=None, updated_at=None)
        return HistoryConsentOut.model_validate(record)

    async def set_history_consent(self, customer_id: str, change: HistoryConsentIn) -> HistoryConsentOut:
        """Grant (the notice must be one in force) or withdraw; a withdrawal keeps only the latest measurement."""
        if change.notice is not None:
            self._measurements.check_consent(change.notice)
        record = {"granted": change.granted, "notice": change.notice, "updated_at": datetime.now(UTC).isoformat()}
        if change.granted:
            await self._consents.grant_history(customer_id, record)
            return HistoryConsentOut.model_validate(record)
        withdrawal = await self._consents.withdraw_history(customer_id, record)
        return HistoryConsentOut.model_validate({**record, "measurements_deleted": len(withdrawal.dropped)})

    async def erase(self, customer_id: str) -> ErasureOut:
        orders = await self._orders.all_own(customer_id)
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
                await self._orders.apply_transition(order.id, "cancel", actor="customer", note="erasure request")
                order.status = OrderStatus.CANCELLED
                cancelled += 1
        kept = kept_on_erasure(orders)
        erased_at = datetime.now(UTC).isoformat()
        anonymous_id = new_anonymous_id(customer_id)
        entry = history_entry("customer", note="name and address erased at the customer's request")
        kept_orders = {}
        for order in orders:
            record = (await self._orders.stored(order.id)).record
            kept_orders[order.id] = ({**record, "customer_id": anonymous_id}, entry)
        batch_records = {
            item.id: await self._formulations.batch_record(customer_id, item.id, kept_at=erased_at)
            for item in kept
            if item.record == "batch_record"
        }
        measurement_ids = await self._measurements.ids_of(customer_id)
        formulation_ids = await self._formulations.ids_of(customer_id)
        await self._customers.erase(
            Erasure(
                customer_id=customer_id,
                anonymous_id=anonymous_id,
                measurement_ids=measurement_ids,
                formulation_ids=formulation_ids,
                kept_formulations=batch_records,
                kept_orders=kept_orders,
                erased_at=erased_at,
            )
        )
        return ErasureOut(
            measurements_deleted=len(measurement_ids),
            formulations_deleted=len(set(formulation_ids) - set(batch_records)),
            orders_cancelled=cancelled,
            orders_kept_without_personal_data=len(orders),
            batch_records_kept=len(batch_records),
            kept=kept,
        )
