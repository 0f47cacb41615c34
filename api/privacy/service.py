"""The customer's data rights: see everything kept (export) and erase it.

Erasure deletes measurements and formulations. Orders are accounting records and are kept, with the name
and address removed; an order not yet in production is cancelled first. While an order is being made or
is on its way, erasure is refused (the address is still needed to deliver it): the customer can erase
once it is delivered.
"""

from __future__ import annotations

from datetime import UTC, datetime

from api.errors import OrdersInProgress
from api.formulations.service import FormulationService
from api.measurements.service import MeasurementService
from api.orders.service import OrderService
from api.orders.states import FINAL, OPEN_BEFORE_PRODUCTION
from api.privacy.schemas import DataExport, ErasureOut
from api.storage.customers import CustomerRepository


class PrivacyService:
    def __init__(
        self,
        customers: CustomerRepository,
        *,
        measurements: MeasurementService,
        formulations: FormulationService,
        orders: OrderService,
    ) -> None:
        self._customers = customers
        self._measurements = measurements
        self._formulations = formulations
        self._orders = orders

    async def export(self, customer_id: str) -> DataExport:
        formulations, corrections = await self._formulations.all_of(customer_id)
        return DataExport(
            customer_id=customer_id,
            exported_at=datetime.now(UTC),
            measurements=await self._measurements.all_of(customer_id),
            formulations=formulations,
            corrections=corrections,
            orders=await self._orders.all_own(customer_id),
        )

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
