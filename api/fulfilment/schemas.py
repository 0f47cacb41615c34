"""The fulfilment partner's signed events, the event sent to it when an order is ready, and the admin's view of
the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from api.orders.schemas import ADDRESS_EXAMPLE, ShipmentOut, ShippingAddress, printable_text
from api.orders.states import OrderStatus

Carrier = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(printable_text)]
ORDER_ID_EXAMPLE = "ord_0190c5a8f1a2b3c4d5e6f7a8b902"
EVENT_ID_EXAMPLE = f"evt_{ORDER_ID_EXAMPLE}_ready_to_ship"
SHIPPED_EXAMPLE: JsonDict = {
    "type": "order.shipped",
    "timestamp": "2025-06-03T14:05:00Z",
    "data": {"order_id": ORDER_ID_EXAMPLE, "carrier": "CJ Logistics", "tracking_number": "CJ-5521-0098"},
}


class FulfilmentEventData(BaseModel):
    """The order an event is about; a shipment adds its carrier and tracking number."""

    model_config = ConfigDict(extra="ignore")

    order_id: str = Field(min_length=1, max_length=64, description="The order (`ord_…`)")
    carrier: Carrier | None = Field(default=None, description="Carrier's name; required by `order.shipped`")
    tracking_number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{4,40}$")] | None = Field(
        default=None, description="Carrier's tracking number; required by `order.shipped`"
    )


class FulfilmentEventIn(BaseModel):
    """An event from the fulfilment partner: the order shipped or delivered. Members this API does not know are
    ignored, so the partner may send more."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [SHIPPED_EXAMPLE, {"type": "order.delivered", "data": {"order_id": ORDER_ID_EXAMPLE}}]
        },
    )

    type: Literal["order.shipped", "order.delivered"]
    timestamp: datetime | None = Field(default=None, description="When it happened (ISO 8601)")
    data: FulfilmentEventData


class FulfilmentEventResult(BaseModel):
    """What an event did: applied now, or already applied by an earlier delivery of the same ``webhook-id``."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"order_id": ORDER_ID_EXAMPLE, "status": "shipped", "outcome": "applied"}]}
    )

    order_id: str
    status: OrderStatus = Field(description="The order's status after the event")
    outcome: Literal["applied", "already_applied"]


class ReadyToShipData(BaseModel):
    """What the fulfilment partner needs to send the bottle: the order, the formulation to fill, the address."""

    order_id: str = Field(description="The order (`ord_…`)")
    formulation_id: str = Field(description="The formulation the lab made (`fml_…`)")
    size_g: int = Field(description="Bottle size, grams")
    quantity: int = Field(ge=1, description="Bottles")
    ship_to: ShippingAddress = Field(description="Name and address; members without a value are left out")


class ReadyToShipEvent(BaseModel):
    """``order.ready_to_ship``: sent to the fulfilment partner when the lab marks an order ready, signed per
    Standard Webhooks (``webhook-id`` is the event id, the same on every retry)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "order.ready_to_ship",
                    "timestamp": "2025-06-02T16:40:00+00:00",
                    "data": {
                        "order_id": ORDER_ID_EXAMPLE,
                        "formulation_id": "fml_0190c5a8e5d07c1e2f3a4b5c6d7e",
                        "size_g": 30,
                        "quantity": 1,
                        "ship_to": ADDRESS_EXAMPLE,
                    },
                }
            ]
        }
    )

    type: Literal["order.ready_to_ship"]
    timestamp: str = Field(description="When the order became ready (ISO 8601, UTC)")
    data: ReadyToShipData


class DeadLetterOut(BaseModel):
    """An event that failed every delivery attempt, waiting for an admin to replay it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": EVENT_ID_EXAMPLE,
                    "type": "order.ready_to_ship",
                    "order_id": ORDER_ID_EXAMPLE,
                    "created_at": "2025-06-02T16:40:00+00:00",
                    "attempts": 12,
                    "last_error": "HTTP 503",
                    "last_error_at": "2025-06-03T04:12:09+00:00",
                }
            ]
        }
    )

    id: str = Field(description="The event id, sent as `webhook-id`")
    type: str = Field(description="The event type (`order.ready_to_ship`)")
    order_id: str
    created_at: str = Field(description="When the event was written (ISO 8601, UTC)")
    attempts: int = Field(description="Delivery attempts made")
    last_error: str | None = Field(description="The last attempt's failure: `HTTP <status>`, `timeout`, or the error")
    last_error_at: str | None = Field(default=None, description="When the last attempt failed (ISO 8601, UTC)")


class ReplayOut(BaseModel):
    """How many dead-lettered events were scheduled for delivery again."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"replayed": 2}]})

    replayed: int


class OutboxOut(BaseModel):
    """The delivery backlog: events waiting to be delivered, and events that failed every attempt."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"pending": 3, "dead_letters": 1}]})

    pending: int = Field(description="Events written but not yet delivered (including those waiting to retry)")
    dead_letters: int = Field(description="Events that failed every attempt (see `/v1/admin/webhooks/dead-letters`)")


SHIPMENT_EXAMPLE: JsonDict = {
    "order_id": ORDER_ID_EXAMPLE,
    "status": "ready_to_ship",
    "updated_at": "2025-06-02T16:40:00Z",
    "formulation_id": "fml_0190c5a8e5d07c1e2f3a4b5c6d7e",
    "size_g": 30,
    "quantity": 1,
    "ship_to": ADDRESS_EXAMPLE,
    "shipment": None,
    "shipping_unavailable": None,
}


class FulfilmentOrderOut(BaseModel):
    """An order handed to the fulfilment partner (ready to ship, shipped or delivered): what goes in the parcel,
    the name and address for its label, and where it is. Orders not yet ready are not the partner's to see."""

    model_config = ConfigDict(json_schema_extra={"examples": [SHIPMENT_EXAMPLE]})

    order_id: str = Field(description="The order (`ord_…`)")
    status: OrderStatus
    updated_at: datetime
    formulation_id: str = Field(description="The formulation the lab made (`fml_…`)")
    size_g: int = Field(description="Bottle size, grams")
    quantity: int = Field(description="Bottles")
    ship_to: ShippingAddress | None = Field(
        description="Name and address for the label; null once the customer had their data erased (after delivery)"
    )
    shipment: ShipmentOut | None = Field(default=None, description="Carrier and tracking number, once shipped")
    shipping_unavailable: str | None = Field(
        default=None,
        description="In lists only: why `ship_to` is null (`data_key_unknown`: sealed with a data key the service "
        "does not hold; the order alone answers 503)",
    )


class FulfilmentOrderPage(BaseModel):
    """A page of the partner's shipments in one status, oldest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [SHIPMENT_EXAMPLE], "next_cursor": None}]})

    items: list[FulfilmentOrderOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last")
