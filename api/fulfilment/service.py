"""Fulfilment: the partner's signed ``order.shipped`` / ``order.delivered`` events, its view of the orders it ships
(with the address for the label, which the lab never sees), and the admin's outbox view."""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import ValidationError

from api.errors import BodyTooLarge, InvalidRequest, NotFound
from api.fulfilment.schemas import (
    DeadLetterOut,
    FulfilmentEventIn,
    FulfilmentEventResult,
    FulfilmentOrderOut,
    FulfilmentOrderPage,
    OutboxOut,
)
from api.fulfilment.signing import verify_inbound
from api.orders.schemas import OrderOut
from api.orders.service import OrderService
from api.orders.states import OrderStatus
from api.storage.ids import is_valid_order_id
from api.storage.outbox import Outboxes

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class FulfilmentService:
    def __init__(self, orders: OrderService, outboxes: Outboxes, *, inbound_secret: str, max_body_bytes: int) -> None:
        self._orders = orders
        self._outboxes = outboxes
        self._inbound_secret = inbound_secret
        self._max_body_bytes = max_body_bytes

    async def receive(self, body: bytes, headers: dict[str, str]) -> FulfilmentEventResult:
        """Verify the signature before parsing anything, then apply the event."""
        if len(body) > self._max_body_bytes:
            raise BodyTooLarge(f"The body is {len(body)} bytes; the limit is {self._max_body_bytes}.")
        payload = verify_inbound(self._inbound_secret, body, headers)
        return await self.apply_event(payload, headers["webhook-id"])

    async def apply_event(self, payload: Any, webhook_id: str) -> FulfilmentEventResult:
        """Apply a verified ``order.shipped`` or ``order.delivered``; a repeated ``webhook-id`` is already done."""
        try:
            event = FulfilmentEventIn.model_validate(payload)
        except ValidationError as error:
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False)]
            raise InvalidRequest("The event does not match the schema: " + "; ".join(problems[:5]) + ".") from error
        order_id = event.data.order_id
        if not is_valid_order_id(order_id):
            raise NotFound(f"No order {order_id!r}.")
        fields = None
        if event.type == "order.shipped":
            if event.data.carrier is None or event.data.tracking_number is None:
                raise InvalidRequest("An order.shipped event needs data.carrier and data.tracking_number.")
            shipment = {"carrier": event.data.carrier, "tracking_number": event.data.tracking_number}
            fields = {"shipment": json.dumps(shipment, separators=(",", ":"))}
        action = "shipped" if event.type == "order.shipped" else "delivered"
        outcome = await self._orders.apply_transition(
            order_id, action, actor="fulfilment", fields=fields, webhook_id=webhook_id
        )
        stored = await self._orders.stored(order_id)
        return FulfilmentEventResult(
            order_id=order_id,
            status=OrderStatus(stored.status),
            outcome="applied" if outcome == "moved" else "already_applied",
        )

    async def shipment(self, order_id: str) -> FulfilmentOrderOut:
        """One order the partner was handed; 404 for an unknown id and for an order not yet ready to ship."""
        return _shipment(await self._orders.get_for_fulfilment(order_id))

    async def shipments(self, status: OrderStatus, *, limit: int, cursor: str | None) -> FulfilmentOrderPage:
        """The partner's shipments in ``status``, oldest first."""
        page = await self._orders.fulfilment_queue(status, limit=limit, cursor=cursor)
        return FulfilmentOrderPage(items=[_shipment(order) for order in page.items], next_cursor=page.next_cursor)

    async def backlog(self) -> OutboxOut:
        pending, dead = await self._outboxes.backlog()
        return OutboxOut(pending=pending, dead_letters=dead)

    async def dead_letters(self) -> list[DeadLetterOut]:
        return [DeadLetterOut.model_validate(event.__dict__) for event in await self._outboxes.dead_letters()]

    async def replay_dead_letter(self, event_id: str) -> bool:
        """Schedule one dead letter for delivery again (its attempts start over); False when there is none."""
        return await self._outboxes.replay_dead_letter(event_id, int(time.time() * 1000))

    async def replay_dead_letters(self) -> int:
        return await self._outboxes.replay_dead_letters(int(time.time() * 1000))


def _shipment(order: OrderOut) -> FulfilmentOrderOut:
    return FulfilmentOrderOut(
        order_id=order.id,
        status=order.status,
        updated_at=order.updated_at,
        formulation_id=order.formulation_id,
        size_g=order.size_g,
        quantity=order.quantity,
        ship_to=order.shipping,
        shipment=order.shipment,
        shipping_unavailable=order.shipping_unavailable,
    )
