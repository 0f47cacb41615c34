"""Request and response models of orders: the customer's, the lab's, and reorder advice."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from api.formulations.schemas import BatchMeasurementIn, CorrectionOut
from api.orders.states import OrderStatus

BOTTLE_SIZES_G = (15, 30, 50)
MAX_QUANTITY = 10
# Unicode categories refused in any address field: controls, format characters (bidirectional overrides,
# zero-width), line and paragraph separators, surrogates, private use and unassigned code points.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def printable_text(value: str) -> str:
    bad = sorted({f"U+{ord(c):04X}" for c in value if unicodedata.category(c) in REFUSED_CATEGORIES})
    if bad:
        raise ValueError(f"must not contain control or invisible characters ({', '.join(bad[:5])})")
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


def _whole_number(value: Any) -> Any:
    # A JSON integer only: Litestar validates bodies in pydantic's lax mode, which would take "2" or 2.0.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number (a JSON integer)")
    return value


Quantity = Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=MAX_QUANTITY)]


Name = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(printable_text)]
AddressLine = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(printable_text)]


class ShippingAddress(BaseModel):
    """Name and postal address for home delivery. Sealed at rest; never logged."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    line1: AddressLine
    line2: AddressLine | None = None
    city: Name
    region: Name | None = None
    postal_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$")]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(description="ISO 3166-1 alpha-2")
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ()-]{5,24}$")] | None = None


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formulation_id: str = Field(min_length=1, max_length=64)
    size_g: Literal[15, 30, 50] = Field(description="Bottle size in grams")
    quantity: Quantity
    shipping: ShippingAddress


class ReorderIn(BaseModel):
    """Order the same formulation again; size, quantity and address default to the earlier order's."""

    model_config = ConfigDict(extra="forbid")

    size_g: Literal[15, 30, 50] | None = None
    quantity: Quantity | None = None
    shipping: ShippingAddress | None = None


class HistoryEntry(BaseModel):
    """A state change (``from_status`` → ``to_status``) or another event in the order's life (``note``)."""

    at: datetime
    actor: str = Field(description="customer, lab, fulfilment or system")
    from_status: OrderStatus | None = None
    to_status: OrderStatus | None = None
    note: str | None = None


class ShipmentOut(BaseModel):
    carrier: str
    tracking_number: str


class OrderOut(BaseModel):
    id: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    formulation_id: str
    measurement_id: str
    library_version: str
    size_g: int
    quantity: int
    shipping: ShippingAddress | None = Field(description="Null for the lab, and after the customer's erasure")
    shipment: ShipmentOut | None = None
    qc: dict[str, Any] | None = Field(default=None, description="The last quality check of the batch")
    erased: bool = False
    shipping_unavailable: str | None = Field(
        default=None,
        description=(
            "In lists only: why `shipping` is null for an order that has an address (`data_key_unknown`: sealed "
            "with a data key the service does not hold; opening the order alone answers 503)"
        ),
    )
    history: list[HistoryEntry]


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = Field(description="Pass back as `cursor` for the next page")


class QualityCheckIn(BatchMeasurementIn):
    """The measured batch colour; within tolerance the order passes QC, else the correction is returned."""


class QualityCheckResult(BaseModel):
    order: OrderOut
    correction: CorrectionOut


class ReorderAdvice(BaseModel):
    measurement_id: str
    order_id: str
    formulation_id: str
    delta_E00: float = Field(description="CIEDE2000 between the new measurement and the ordered formulation's target")
    threshold_dE00: float
    measurement_uncertainty_dE00: float | None
    suggestion: Literal["reorder", "new_formulation"]
    detail: str
