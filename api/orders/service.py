"""Orders: creation with an idempotency key, the customer's and the lab's views, and every state change.

Each change is one script in Redis (``api.storage.orders``) that checks the current state and moves it, with
its history entry and, for ``ready``, the fulfilment event in the same step.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from api.errors import IdempotencyKeyReused, InvalidRequest, InvalidTransition, NotFound
from api.formulations.service import FormulationService
from api.measurements.service import MeasurementService
from api.orders.common import (
    IDEMPOTENCY_KEY_PATTERN,
    READY_EVENT,
    OrderPolicy,
    check_idempotency_key,
    history_entry,
    now_iso,
    parse_cursor,
    request_fingerprint,
)
from api.orders.schemas import (
    AdminOrderOut,
    AdminOrderPage,
    HistoryEntry,
    OrderIn,
    OrderOut,
    OrderPage,
    QualityCheckIn,
    QualityCheckResult,
    ReorderAdvice,
    ReorderIn,
    ShipmentOut,
    ShippingAddress,
)
from api.orders.states import FULFILMENT_STATUSES, TRANSITIONS, OrderStatus
from api.sealing import Sealer, UnknownDataKey
from api.storage.ids import ORDER_ID_PREFIX, is_valid_order_id, new_partitioned_id
from api.storage.keys import partition_of
from api.storage.orders import OrderRepository, StoredOrder
from api.storage.outbox import OutboxEvent
from color.colorimetry import delta_E00_between

__all__ = ["IDEMPOTENCY_KEY_PATTERN", "READY_EVENT", "OrderPolicy", "OrderService"]
logger = logging.getLogger("tonematch.api")


def _shown(entry: dict[str, Any], *, staff: bool) -> dict[str, Any]:
    """A history entry as a view shows it: the lab staff member's name (``lab:<name>``, kept for the batch record)
    only in the lab's and admins' views; customers and the fulfilment partner read ``lab``."""
    actor = str(entry.get("actor", ""))
    if staff or not actor.startswith("lab:"):
        return entry
    return {**entry, "actor": "lab"}


class OrderService:
    def __init__(
        self,
        repository: OrderRepository,
        *,
        formulations: FormulationService,
        measurements: MeasurementService,
        sealer: Sealer,
        policy: OrderPolicy,
    ) -> None:
        self._repository = repository
        self._formulations = formulations
        self._measurements = measurements
        self.sealer = sealer
        self._policy = policy

    def _order_out(self, stored: StoredOrder, *, with_address: bool, in_list: bool = False) -> OrderOut:
        """The order as the API shows it. Alone, an address sealed with a key this service lacks is a 503
        (``UnknownDataKey``); in a list, the order is shown without it and says why."""
        record = stored.record
        shipping, unavailable = None, None
        if with_address and stored.shipping is not None:
            try:
                shipping = ShippingAddress.model_validate_json(self.sealer.open(stored.shipping, record["id"]))
            except UnknownDataKey as error:
                if not in_list:
                    raise
                logger.error("order %s: data key %r is missing", record["id"], error.key_id)
                unavailable = "data_key_unknown"
        return OrderOut(
            id=record["id"],
            status=OrderStatus(stored.status),
            created_at=record["created_at"],
            updated_at=stored.updated_at,
            formulation_id=record["formulation_id"],
            measurement_id=record["measurement_id"],
            library_version=record["library_version"],
            size_g=record["size_g"],
            quantity=record["quantity"],
            shipping=shipping,
            shipment=ShipmentOut.model_validate(stored.shipment) if stored.shipment else None,
            qc=stored.qc,
            erased=stored.erased_at is not None,
            shipping_unavailable=unavailable,
            history=[HistoryEntry.model_validate(_shown(entry, staff=not with_address)) for entry in stored.log],
        )

    async def _create(
        self,
        customer_id: str,
        *,
        idempotency_key: str,
        fingerprint: str,
        formulation_id: str,
        size_g: int,
        quantity: int,
        sealed_shipping: Callable[[str], str],
    ) -> tuple[OrderOut, bool]:
        formulation = await self._formulations.get(customer_id, formulation_id)
        order_id = new_partitioned_id(ORDER_ID_PREFIX, partition_of(customer_id))
        record: dict[str, Any] = {
            "id": order_id,
            "customer_id": customer_id,
            "formulation_id": formulation_id,
            "measurement_id": formulation.measurement_id,
            "library_version": formulation.library_version,
            "size_g": size_g,
            "quantity": quantity,
            "created_at": now_iso(),
        }
        result = await self._repository.create(
            customer_id=customer_id,
            order_id=order_id,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            record=record,
            sealed_shipping=sealed_shipping(order_id),
            log_entry=history_entry("customer", OrderStatus.RECEIVED),
            measurement_id=formulation.measurement_id,
            now_iso=record["created_at"],
            idempotency_seconds=self._policy.idempotency_seconds,
            initial_status=OrderStatus.RECEIVED,
        )
        if result.outcome == "conflict":
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for a different order request; use a new key for a new order.",
                extra={"order_id": result.order_id},
            )
        return await self.get_own(customer_id, result.order_id), result.outcome == "existing"

    async def create(self, customer_id: str, request: OrderIn, idempotency_key: str | None) -> tuple[OrderOut, bool]:
        """The new order, or the one this key already made (second value True); another body with the key: 409."""
        key = check_idempotency_key(idempotency_key)
        address = request.shipping.model_dump_json().encode()
        return await self._create(
            customer_id,
            idempotency_key=key,
            fingerprint=request_fingerprint(self._policy.fingerprint_key, customer_id, request.model_dump(mode="json")),
            formulation_id=request.formulation_id,
            size_g=request.size_g,
            quantity=request.quantity,
            sealed_shipping=lambda order_id: self.sealer.seal(address, order_id),
        )

    async def reorder(
        self, customer_id: str, order_id: str, request: ReorderIn, idempotency_key: str | None
    ) -> tuple[OrderOut, bool]:
        """The same formulation again, with the earlier order's size, quantity and address unless given."""
        key = check_idempotency_key(idempotency_key)
        earlier = await self._own(customer_id, order_id)
        if request.shipping is None and earlier.shipping is None:
            raise InvalidRequest("The earlier order's address was erased; give `shipping`.")
        address = request.shipping.model_dump_json() if request.shipping else None
        earlier_record = earlier.record
        fingerprint_body = {"reorder_of": order_id, **request.model_dump(mode="json")}

        def seal(new_id: str) -> str:
            if address is not None:
                return self.sealer.seal(address.encode(), new_id)
            assert earlier.shipping is not None  # noqa: S101 - checked above
            return self.sealer.seal(self.sealer.open(earlier.shipping, order_id), new_id)

        return await self._create(
            customer_id,
            idempotency_key=key,
            fingerprint=request_fingerprint(self._policy.fingerprint_key, customer_id, fingerprint_body),
            formulation_id=earlier_record["formulation_id"],
            size_g=request.size_g or earlier_record["size_g"],
            quantity=request.quantity or earlier_record["quantity"],
            sealed_shipping=seal,
        )

    async def stored(self, order_id: str) -> StoredOrder:
        stored = await self._repository.get(order_id) if is_valid_order_id(order_id) else None
        if stored is None:
            raise NotFound(f"No order {order_id!r}.")
        return stored

    async def _own(self, customer_id: str, order_id: str) -> StoredOrder:
        stored = await self.stored(order_id)
        if stored.record["customer_id"] != customer_id:
            raise NotFound(f"No order {order_id!r}.")  # the same answer as for an unknown id
        return stored

    async def get_own(self, customer_id: str, order_id: str) -> OrderOut:
        return self._order_out(await self._own(customer_id, order_id), with_address=True)

    async def get_for_lab(self, order_id: str) -> OrderOut:
        """The lab's view: everything needed to make the bottle, no name or address."""
        return self._order_out(await self.stored(order_id), with_address=False)

    async def list_own(self, customer_id: str, *, limit: int, cursor: str | None) -> OrderPage:
        """A page, newest first, after ``cursor`` (the last id of the page before, as ``next_cursor`` gave it)."""
        if cursor is not None and not is_valid_order_id(cursor):
            raise InvalidRequest("The cursor is not one this API returned.")
        ids, next_cursor = await self._repository.customer_order_ids(customer_id, limit=limit, before=cursor)
        items = []
        for order_id in ids:
            stored = await self._repository.get(order_id)
            if stored is not None:
                items.append(self._order_out(stored, with_address=True, in_list=True))
        return OrderPage(items=items, next_cursor=next_cursor)

    async def all_own(self, customer_id: str) -> list[OrderOut]:
        """Every order of the customer, oldest first."""
        return [await self.get_own(customer_id, i) for i in await self._repository.all_customer_order_ids(customer_id)]

    async def _queue(self, status: OrderStatus, *, limit: int, cursor: str | None, with_address: bool) -> OrderPage:
        rows = await self._repository.queue_page(status, limit=limit, after=parse_cursor(cursor))
        items = []
        for _, order_id in rows[:limit]:
            stored = await self._repository.get(order_id)
            if stored is not None:
                items.append(self._order_out(stored, with_address=with_address, in_list=True))
        next_cursor = f"{rows[limit - 1][0]}.{rows[limit - 1][1]}" if len(rows) > limit else None
        return OrderPage(items=items, next_cursor=next_cursor)

    async def queue_count(self, status: OrderStatus) -> int:
        """How many orders are in ``status`` (the lab console's live counts)."""
        return await self._repository.queue_count(status.value)

    async def lab_queue(self, status: OrderStatus, *, limit: int, cursor: str | None) -> OrderPage:
        """Orders in ``status`` over all partitions, oldest first."""
        return await self._queue(status, limit=limit, cursor=cursor, with_address=False)

    async def get_for_fulfilment(self, order_id: str) -> OrderOut:
        """An order handed to the fulfilment partner (ready to ship, shipped or delivered) with the address for its
        label; any other order is not the partner's to see: 404, as for an unknown id."""
        stored = await self.stored(order_id)
        if stored.status not in FULFILMENT_STATUSES:
            raise NotFound(f"No shipment for order {order_id!r}.")
        return self._order_out(stored, with_address=True)

    async def fulfilment_queue(self, status: OrderStatus, *, limit: int, cursor: str | None) -> OrderPage:
        """The partner's shipments in ``status`` (one of ``FULFILMENT_STATUSES``), oldest first, with addresses."""
        if status not in FULFILMENT_STATUSES:
            allowed = ", ".join(sorted(FULFILMENT_STATUSES))
            raise InvalidRequest(f"The fulfilment partner's shipments are {allowed}; not {status}.")
        return await self._queue(status, limit=limit, cursor=cursor, with_address=True)

    def _admin_out(self, stored: StoredOrder) -> AdminOrderOut:
        view = self._order_out(stored, with_address=False)
        return AdminOrderOut(**view.model_dump(), customer_id=stored.record["customer_id"])

    async def get_for_admin(self, order_id: str) -> AdminOrderOut:
        """Any order with its customer (an anonymous id after the customer's erasure); never the address."""
        return self._admin_out(await self.stored(order_id))

    async def list_for_admin(self, customer_id: str, *, limit: int, cursor: str | None) -> AdminOrderPage:
        """A customer's orders, newest first, as an admin sees them (no address)."""
        if cursor is not None and not is_valid_order_id(cursor):
            raise InvalidRequest("The cursor is not one this API returned.")
        ids, next_cursor = await self._repository.customer_order_ids(customer_id, limit=limit, before=cursor)
        stored = [order for order in [await self._repository.get(i) for i in ids] if order is not None]
        return AdminOrderPage(items=[self._admin_out(order) for order in stored], next_cursor=next_cursor)

    async def apply_transition(
        self,
        order_id: str,
        action: str,
        *,
        actor: str,
        note: str | None = None,
        fields: dict[str, str] | None = None,
        event_type: str | None = None,
        webhook_id: str | None = None,
    ) -> str:
        """Move the order by ``action`` atomically; 404 if it does not exist, 409 if its state does not allow it.

        Returns ``moved``, or ``duplicate`` when ``webhook_id`` was already applied.
        """
        transition = TRANSITIONS[action]
        event = None
        if event_type is not None:
            event = OutboxEvent(id=f"evt_{order_id}_{transition.target.value}", type=event_type, order_id=order_id,
                                created_at=now_iso()).__dict__  # fmt: skip
        result = await self._repository.transition(
            order_id,
            sources=[source.value for source in transition.sources],
            target=transition.target.value,
            log_entry=history_entry(actor, transition.target, note),
            now_iso=now_iso(),
            fields=fields,
            event=event,
            webhook_id=webhook_id,
        )
        if result.outcome == "missing":
            raise NotFound(f"No order {order_id!r}.")
        if result.outcome == "invalid":
            allowed = ", ".join(sorted(transition.sources))
            raise InvalidTransition(
                f"The order is {result.previous}; `{action}` needs it to be {allowed}.",
                extra={"current_status": result.previous, "allowed_from": sorted(transition.sources)},
            )
        return result.outcome

    async def cancel_own(self, customer_id: str, order_id: str, *, note: str | None = None) -> OrderOut:
        await self._own(customer_id, order_id)
        await self.apply_transition(order_id, "cancel", actor="customer", note=note)
        return await self.get_own(customer_id, order_id)

    async def lab_action(self, order_id: str, action: str, *, actor: str = "lab") -> OrderOut:
        """A production step by the lab; ``actor`` names who did it in the history (``lab:<staff>`` from the
        console, plain ``lab`` from the API's lab token)."""
        if not is_valid_order_id(order_id):
            raise NotFound(f"No order {order_id!r}.")
        event_type = READY_EVENT if action == "ready" else None
        await self.apply_transition(order_id, action, actor=actor, event_type=event_type)
        return await self.get_for_lab(order_id)

    async def quality_check(
        self, order_id: str, measurement: QualityCheckIn, *, actor: str = "lab"
    ) -> QualityCheckResult:
        """Pass within tolerance; else fail with the additions that bring the batch back (recorded with the batch).

        The batch's correction is recorded once per batch id: the same check again (same batch id and measurement)
        answers the recorded result and, if the order already stands where that result put it, moves nothing.
        """
        stored = await self.stored(order_id)
        checked = (stored.qc or {}).get("batch_id") == measurement.batch_id
        refused = InvalidTransition(
            f"The order is {stored.status}; a quality check needs it in production or failed QC.",
            extra={"current_status": stored.status},
        )
        if stored.status not in TRANSITIONS["qc_pass"].sources and not (
            checked and stored.status == OrderStatus.QC_PASSED
        ):
            raise refused
        correction, replayed = await self._formulations.correct(stored.record["formulation_id"], measurement)
        action = "qc_pass" if correction.passed else "qc_fail"
        if replayed and checked and stored.status == TRANSITIONS[action].target:
            return QualityCheckResult(order=await self.get_for_lab(order_id), correction=correction)
        if stored.status not in TRANSITIONS[action].sources:
            raise refused
        summary = {
            "batch_id": correction.batch_id,
            "over": correction.over,
            "measured_lab": correction.measured_lab.model_dump(),
            "target_lab": correction.target_lab.model_dump(),
            "delta_E00": correction.delta_E00_before,
            "tolerance_dE00": correction.tolerance_dE00,
            "passed": correction.passed,
            "at": now_iso(),
        }
        note = f"batch {correction.batch_id}: ΔE00 {correction.delta_E00_before:.2f}"
        fields = {"qc": json.dumps(summary, separators=(",", ":"))}
        await self.apply_transition(order_id, action, actor=actor, note=note, fields=fields)
        return QualityCheckResult(order=await self.get_for_lab(order_id), correction=correction)

    async def reorder_advice(self, customer_id: str, measurement_id: str) -> ReorderAdvice:
        """Compare a new measurement with the target of the customer's latest order's formulation."""
        measurement = await self._measurements.get(customer_id, measurement_id)
        ids, _ = await self._repository.customer_order_ids(customer_id, limit=1, before=None)
        if not ids:
            raise NotFound("There is no earlier order to compare with.")
        latest = await self._own(customer_id, ids[0])
        formulation = await self._formulations.get(customer_id, latest.record["formulation_id"])
        target, new = formulation.target_lab, measurement.lab
        difference = delta_E00_between((new.L, new.a, new.b), (target.L, target.a, target.b))
        threshold = self._policy.reorder_threshold_dE00
        moved = difference > threshold
        return ReorderAdvice(
            measurement_id=measurement_id,
            order_id=ids[0],
            formulation_id=formulation.id,
            delta_E00=round(difference, 3),
            threshold_dE00=threshold,
            measurement_uncertainty_dE00=measurement.uncertainty_dE00,
            suggestion="new_formulation" if moved else "reorder",
            detail=(
                f"The skin colour has moved by ΔE00 {difference:.2f} (more than {threshold:g}): a new formulation "
                "from this measurement (POST /v1/matches) will match better."
                if moved
                else f"The skin colour is within ΔE00 {threshold:g} of the ordered formulation: reorder it."
            ),
        )
