"""Orders: creation with an idempotency key, the customer's and the lab's views, and every state change.

The HTTP layer calls these; Redis work goes through ``api.order_store`` (one script per change).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import colour
import numpy as np
from pydantic import ValidationError

from api.errors import IdempotencyKeyRequired, IdempotencyKeyReused, InvalidRequest, InvalidTransition, NotFound
from api.formulation_service import FORMULATION_ID_PREFIX, LibraryResolver, get_formulation, record_correction
from api.ids import is_valid_id
from api.measurement_service import get_measurement
from api.order_schemas import (
    FulfilmentEventIn,
    FulfilmentEventResult,
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
from api.order_states import TRANSITIONS, OrderStatus
from api.order_store import ORDER_ID_PREFIX, CreateResult, OrderRepository, StoredOrder
from api.outbox import OutboxEvent
from api.partitions import PARTITIONS, new_partitioned_id, partition_of, partition_of_id
from api.sealing import Sealer
from api.store import FormulationRepository, MeasurementRepository

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
READY_EVENT = "order.ready_to_ship"


@dataclass(frozen=True)
class OrderContext:
    """What order operations need besides the request: storage, the data keys and the settings' numbers."""

    redis: Any
    orders: OrderRepository
    formulations: FormulationRepository
    sealer: Sealer
    fingerprint_key: bytes = b""  # keys the HMAC of request bodies kept for idempotency (they hold addresses)
    idempotency_seconds: int = 7 * 24 * 3600


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _log(actor: str, source: OrderStatus | None, target: OrderStatus, note: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": now_iso(), "actor": actor, "from_status": source, "to_status": target}
    if note:
        entry["note"] = note
    return entry


def valid_order_id(order_id: str) -> bool:
    return is_valid_id(order_id, ORDER_ID_PREFIX) and partition_of_id(order_id) is not None


def check_idempotency_key(value: str | None) -> str:
    if value is None:
        raise IdempotencyKeyRequired(
            "POST /v1/orders needs an `Idempotency-Key` header: a unique value (a UUID) per order the customer "
            "means to place, sent again unchanged when the request is retried."
        )
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, value):
        raise InvalidRequest("The Idempotency-Key must be 1-255 visible ASCII characters.")
    return value


def _fingerprint(key: bytes, customer_id: str, body: dict[str, Any]) -> str:
    """HMAC-SHA256 of the canonical request: a plain hash of a low-entropy address could be reversed by trial."""
    canonical = json.dumps({"customer": customer_id, "body": body}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _order_out(stored: StoredOrder, sealer: Sealer | None) -> OrderOut:
    record = stored.record
    shipping = None
    if sealer is not None and stored.shipping is not None:
        shipping = ShippingAddress.model_validate_json(sealer.open(stored.shipping, record["id"]))
    return OrderOut(
        id=record["id"],
        status=stored.status,
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
        history=[HistoryEntry.model_validate(entry) for entry in stored.log],
    )


async def _create(
    context: OrderContext,
    customer_id: str,
    *,
    idempotency_key: str,
    fingerprint: str,
    formulation_id: str,
    size_g: int,
    quantity: int,
    sealed_shipping: Callable[[str], str],
) -> tuple[OrderOut, bool]:
    formulation = (
        await context.formulations.get(customer_id, formulation_id)
        if is_valid_id(formulation_id, FORMULATION_ID_PREFIX)
        else None
    )
    if formulation is None:
        raise NotFound(f"No formulation {formulation_id!r}.")
    order_id = new_partitioned_id(ORDER_ID_PREFIX, partition_of(customer_id))
    record = {
        "id": order_id,
        "customer_id": customer_id,
        "formulation_id": formulation_id,
        "measurement_id": formulation["measurement_id"],
        "library_version": formulation["library_version"],
        "size_g": size_g,
        "quantity": quantity,
        "created_at": now_iso(),
    }
    result: CreateResult = await context.orders.create(
        customer_id=customer_id,
        order_id=order_id,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        record=record,
        sealed_shipping=sealed_shipping(order_id),
        log_entry=_log("customer", None, OrderStatus.RECEIVED),
        measurement_id=formulation["measurement_id"],
        now_iso=record["created_at"],
        idempotency_seconds=context.idempotency_seconds,
    )
    if result.outcome == "conflict":
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used for a different order request; use a new key for a new order.",
            extra={"order_id": result.order_id},
        )
    return await get_own_order(context, customer_id, result.order_id), result.outcome == "existing"


async def create_order(
    context: OrderContext, customer_id: str, request: OrderIn, idempotency_key: str | None
) -> tuple[OrderOut, bool]:
    """The new order, or the one this key already made (second value True); another body with the key is a 409."""
    key = check_idempotency_key(idempotency_key)
    address = request.shipping.model_dump_json().encode()
    return await _create(
        context,
        customer_id,
        idempotency_key=key,
        fingerprint=_fingerprint(context.fingerprint_key, customer_id, request.model_dump(mode="json")),
        formulation_id=request.formulation_id,
        size_g=request.size_g,
        quantity=request.quantity,
        sealed_shipping=lambda order_id: context.sealer.seal(address, order_id),
    )


async def reorder(
    context: OrderContext, customer_id: str, order_id: str, request: ReorderIn, idempotency_key: str | None
) -> tuple[OrderOut, bool]:
    """The same formulation again, with the earlier order's size, quantity and address unless given."""
    key = check_idempotency_key(idempotency_key)
    earlier = await _own(context, customer_id, order_id)
    if request.shipping is None and earlier.shipping is None:
        raise InvalidRequest("The earlier order's address was erased; give `shipping`.")
    address = request.shipping.model_dump_json() if request.shipping else None
    earlier_record = earlier.record
    fingerprint_body = {"reorder_of": order_id, **request.model_dump(mode="json")}

    def seal(new_id: str) -> str:
        if address is not None:
            return context.sealer.seal(address.encode(), new_id)
        assert earlier.shipping is not None  # noqa: S101 - checked above
        return context.sealer.seal(context.sealer.open(earlier.shipping, order_id), new_id)

    return await _create(
        context,
        customer_id,
        idempotency_key=key,
        fingerprint=_fingerprint(context.fingerprint_key, customer_id, fingerprint_body),
        formulation_id=earlier_record["formulation_id"],
        size_g=request.size_g or earlier_record["size_g"],
        quantity=request.quantity or earlier_record["quantity"],
        sealed_shipping=seal,
    )


async def _stored(context: OrderContext, order_id: str) -> StoredOrder:
    stored = await context.orders.get(order_id) if valid_order_id(order_id) else None
    if stored is None:
        raise NotFound(f"No order {order_id!r}.")
    return stored


async def _own(context: OrderContext, customer_id: str, order_id: str) -> StoredOrder:
    stored = await _stored(context, order_id)
    if stored.record["customer_id"] != customer_id:
        raise NotFound(f"No order {order_id!r}.")  # the same answer as for an unknown id
    return stored


async def get_own_order(context: OrderContext, customer_id: str, order_id: str) -> OrderOut:
    return _order_out(await _own(context, customer_id, order_id), context.sealer)


async def get_lab_order(context: OrderContext, order_id: str) -> OrderOut:
    """The lab's view: everything needed to make the bottle, no name or address."""
    return _order_out(await _stored(context, order_id), None)


async def list_own_orders(context: OrderContext, customer_id: str, *, limit: int, before: str | None) -> OrderPage:
    ids, cursor = await context.orders.customer_order_ids(customer_id, limit=limit, before=before)
    items = []
    for order_id in ids:
        stored = await context.orders.get(order_id)
        if stored is not None:
            items.append(_order_out(stored, context.sealer))
    return OrderPage(items=items, next_cursor=cursor)


def _parse_cursor(cursor: str | None) -> tuple[int, str] | None:
    if cursor is None:
        return None
    created, _, order_id = cursor.partition(".")
    if not created.isdigit() or not valid_order_id(order_id):
        raise InvalidRequest("The cursor is not one this API returned.")
    return int(created), order_id


async def lab_queue(context: OrderContext, status: OrderStatus, *, limit: int, cursor: str | None) -> OrderPage:
    """Orders in ``status`` over all partitions, oldest first."""
    rows = await context.orders.queue_page(range(PARTITIONS), status, limit=limit, after=_parse_cursor(cursor))
    items = []
    for _, order_id in rows[:limit]:
        stored = await context.orders.get(order_id)
        if stored is not None:
            items.append(_order_out(stored, None))
    next_cursor = f"{rows[limit - 1][0]}.{rows[limit - 1][1]}" if len(rows) > limit else None
    return OrderPage(items=items, next_cursor=next_cursor)


async def apply_transition(
    context: OrderContext,
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
    result = await context.orders.transition(
        order_id,
        transition,
        log_entry=_log(actor, None, transition.target, note),
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


async def cancel_own_order(context: OrderContext, customer_id: str, order_id: str) -> OrderOut:
    await _own(context, customer_id, order_id)
    await apply_transition(context, order_id, "cancel", actor="customer")
    return await get_own_order(context, customer_id, order_id)


async def lab_action(context: OrderContext, order_id: str, action: str) -> OrderOut:
    if not valid_order_id(order_id):
        raise NotFound(f"No order {order_id!r}.")
    event_type = READY_EVENT if action == "ready" else None
    await apply_transition(context, order_id, action, actor="lab", event_type=event_type)
    return await get_lab_order(context, order_id)


async def quality_check(
    context: OrderContext, order_id: str, measurement: QualityCheckIn, *, limiter: Any, libraries: LibraryResolver
) -> QualityCheckResult:
    """Pass within tolerance; else fail with the additions that bring the batch back (recorded with the batch)."""
    stored = await _stored(context, order_id)
    if stored.status not in TRANSITIONS["qc_pass"].sources:
        raise InvalidTransition(
            f"The order is {stored.status}; a quality check needs it in production or failed QC.",
            extra={"current_status": stored.status},
        )
    correction = await record_correction(
        context.formulations, stored.record["formulation_id"], measurement, limiter=limiter, libraries=libraries
    )
    summary = {
        "batch_id": correction.batch_id,
        "measured_lab": correction.measured_lab.model_dump(),
        "delta_E00": correction.delta_E00_before,
        "tolerance_dE00": correction.tolerance_dE00,
        "passed": correction.passed,
        "at": now_iso(),
    }
    action = "qc_pass" if correction.passed else "qc_fail"
    note = f"batch {correction.batch_id}: ΔE00 {correction.delta_E00_before:.2f}"
    await apply_transition(
        context, order_id, action, actor="lab", note=note, fields={"qc": json.dumps(summary, separators=(",", ":"))}
    )
    return QualityCheckResult(order=await get_lab_order(context, order_id), correction=correction)


async def reorder_advice(
    context: OrderContext,
    measurements: MeasurementRepository,
    customer_id: str,
    measurement_id: str,
    *,
    threshold_dE00: float,
) -> ReorderAdvice:
    """Compare a new measurement with the target of the customer's latest order's formulation."""
    measurement = await get_measurement(measurements, customer_id, measurement_id)
    if measurement is None:
        raise NotFound(f"No measurement {measurement_id!r}.")
    ids, _ = await context.orders.customer_order_ids(customer_id, limit=1, before=None)
    if not ids:
        raise NotFound("There is no earlier order to compare with.")
    latest = await _own(context, customer_id, ids[0])
    formulation = await get_formulation(context.formulations, customer_id, latest.record["formulation_id"])
    target = formulation.target_lab
    new = measurement.lab
    difference = float(
        colour.delta_E(np.array([new.L, new.a, new.b]), np.array([target.L, target.a, target.b]), method="CIE 2000")
    )
    moved = difference > threshold_dE00
    return ReorderAdvice(
        measurement_id=measurement_id,
        order_id=ids[0],
        formulation_id=formulation.id,
        delta_E00=round(difference, 3),
        threshold_dE00=threshold_dE00,
        measurement_uncertainty_dE00=measurement.uncertainty_dE00,
        suggestion="new_formulation" if moved else "reorder",
        detail=(
            f"The skin colour has moved by ΔE00 {difference:.2f} (more than {threshold_dE00:g}): a new formulation "
            "from this measurement (POST /v1/matches) will match better."
            if moved
            else f"The skin colour is within ΔE00 {threshold_dE00:g} of the ordered formulation: reorder it."
        ),
    )


async def apply_fulfilment_event(context: OrderContext, payload: Any, webhook_id: str) -> FulfilmentEventResult:
    """Apply a verified ``order.shipped`` or ``order.delivered``; a repeated ``webhook-id`` is already done."""
    try:
        event = FulfilmentEventIn.model_validate(payload)
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False)]
        raise InvalidRequest("The event does not match the schema: " + "; ".join(problems[:5]) + ".") from error
    order_id = event.data.order_id
    if not valid_order_id(order_id):
        raise NotFound(f"No order {order_id!r}.")
    fields = None
    if event.type == "order.shipped":
        if event.data.carrier is None or event.data.tracking_number is None:
            raise InvalidRequest("An order.shipped event needs data.carrier and data.tracking_number.")
        shipment = {"carrier": event.data.carrier, "tracking_number": event.data.tracking_number}
        fields = {"shipment": json.dumps(shipment, separators=(",", ":"))}
    action = "shipped" if event.type == "order.shipped" else "delivered"
    outcome = await apply_transition(
        context, order_id, action, actor="fulfilment", fields=fields, webhook_id=webhook_id
    )
    stored = await _stored(context, order_id)
    return FulfilmentEventResult(
        order_id=order_id, status=stored.status, outcome="applied" if outcome == "moved" else "already_applied"
    )
