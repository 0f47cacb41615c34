"""The customer's data rights: see everything kept (export) and erase it; give or withdraw the consent to keeping
the measurement history.

Erasure deletes measurements and formulations. Orders are accounting records and are kept, with the name
and address removed; an order not yet in production is cancelled first. While an order is being made or
is on its way, erasure is refused (the address is still needed to deliver it): the customer can erase
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
from api.formulations.service import FormulationService
from api.measurements.service import MeasurementService
from api.orders.service import OrderService
from api.orders.states import FINAL, OPEN_BEFORE_PRODUCTION
from api.privacy.schemas import DataExport, ErasureOut, HistoryConsentEventOut, HistoryConsentIn, HistoryConsentOut
from api.storage.consents import ConsentRepository
from api.storage.customers import CustomerRepository


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
            orders=await self._orders.all_own(customer_id),
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
                cancelled += 1
            await self._orders.anonymise(order.id)
        measurement_ids = await self._measurements.ids_of(customer_id)
        formulation_ids = await self._formulations.ids_of(customer_id)
        await self._customers.erase(customer_id, measurement_ids, formulation_ids)
        return ErasureOut(
            measurements_deleted=len(measurement_ids),
            formulations_deleted=len(formulation_ids),
            orders_cancelled=cancelled,
            orders_kept_without_personal_data=len(orders),
        )
