"""The fulfilment partner's signed events, and the admin's view of the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.orders.schemas import printable_text
from api.orders.states import OrderStatus

Carrier = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(printable_text)]


class FulfilmentEventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_id: str = Field(min_length=1, max_length=64)
    carrier: Carrier | None = None
    tracking_number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{4,40}$")] | None = None


class FulfilmentEventIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["order.shipped", "order.delivered"]
    timestamp: datetime | None = None
    data: FulfilmentEventData


class FulfilmentEventResult(BaseModel):
    order_id: str
    status: OrderStatus
    outcome: Literal["applied", "already_applied"]


class DeadLetterOut(BaseModel):
    id: str
    type: str
    order_id: str
    created_at: str
    attempts: int
    last_error: str | None


class ReplayOut(BaseModel):
    replayed: int


class OutboxOut(BaseModel):
    pending: int = Field(description="Events written but not yet delivered (including those waiting to retry)")
    dead_letters: int
