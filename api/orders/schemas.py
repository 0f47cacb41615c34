"""Request and response models of orders: the customer's, the lab's, and reorder advice."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from api.formulations.schemas import CORRECTION_EXAMPLE, BatchMeasurementIn, CorrectionOut
from api.orders.states import OrderStatus

BOTTLE_SIZES_G = (15, 30, 50)
MAX_QUANTITY = 10
# Unicode categories refused in any address field: controls, format characters (bidirectional overrides,
# zero-width), line and paragraph separators, surrogates, private use and unassigned code points.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})

ADDRESS_EXAMPLE: JsonDict = {
    "name": "Kim Minji",
    "line1": "12 Teheran-ro 8-gil",
    "line2": "Apt 1203",
    "city": "Seoul",
    "region": "Gangnam-gu",
    "postal_code": "06236",
    "country": "KR",
    "phone": "+82 10 1234 5678",
}
ORDER_EXAMPLE: JsonDict = {
    "id": "ord_0190c5a8f1a2b3c4d5e6f7a8b902",
    "status": "received",
    "created_at": "2025-06-01T09:35:00Z",
    "updated_at": "2025-06-01T09:35:00Z",
    "formulation_id": "fml_0190c5a8e5d07c1e2f3a4b5c6d7e",
    "measurement_id": "msr_0190c5a8e2b1a9f3c2d4e5f60718",
    "library_version": "phys-2026.3",
    "size_g": 30,
    "quantity": 1,
    "shipping": ADDRESS_EXAMPLE,
    "shipment": None,
    "qc": None,
    "erased": False,
    "shipping_unavailable": None,
    "history": [{"at": "2025-06-01T09:35:00Z", "actor": "customer", "from_status": None, "to_status": "received"}],
}


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

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ADDRESS_EXAMPLE]})

    name: Name
    line1: AddressLine
    line2: AddressLine | None = None
    city: Name
    region: Name | None = None
    postal_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$")]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(description="ISO 3166-1 alpha-2")
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ()-]{5,24}$")] | None = None


class OrderIn(BaseModel):
    """An order for bottles of one of the caller's formulations, delivered home."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "formulation_id": "fml_0190c5a8e5d07c1e2f3a4b5c6d7e",
                    "size_g": 30,
                    "quantity": 1,
                    "shipping": ADDRESS_EXAMPLE,
                }
            ]
        },
    )

    formulation_id: str = Field(min_length=1, max_length=64, description="The formulation to make (`fml_…`)")
    size_g: Literal[15, 30, 50] = Field(description="Bottle size in grams")
    quantity: Quantity = Field(description="Bottles, 1-10 (a JSON integer)")
    shipping: ShippingAddress


class ReorderIn(BaseModel):
    """Order the same formulation again; size, quantity and address default to the earlier order's."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"quantity": 2}, {}]})

    size_g: Literal[15, 30, 50] | None = Field(default=None, description="Bottle size in grams; default the earlier")
    quantity: Quantity | None = Field(default=None, description="Bottles, 1-10; default the earlier order's")
    shipping: ShippingAddress | None = Field(default=None, description="Default the earlier order's address")


class HistoryEntry(BaseModel):
    """A state change (``from_status`` → ``to_status``) or another event in the order's life (``note``)."""

    at: datetime
    actor: str = Field(
        description=(
            "customer, lab, fulfilment or system; in the lab's and admins' views a step done in the lab console "
            "names its staff member (`lab:<name>`)"
        )
    )
    from_status: OrderStatus | None = None
    to_status: OrderStatus | None = None
    note: str | None = None


class ShipmentOut(BaseModel):
    """How the order travels, as the fulfilment partner reported when it shipped."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"carrier": "CJ Logistics", "tracking_number": "CJ-5521-0098"}]}
    )

    carrier: str
    tracking_number: str


class OrderOut(BaseModel):
    """An order with its status and history. The customer sees the shipping address; the lab never does."""

    model_config = ConfigDict(json_schema_extra={"examples": [ORDER_EXAMPLE]})

    id: str = Field(description="Order id (`ord_…`)")
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
    erased: bool = Field(default=False, description="True once the customer erased their data")
    shipping_unavailable: str | None = Field(
        default=None,
        description=(
            "In lists only: why `shipping` is null for an order that has an address (`data_key_unknown`: sealed "
            "with a data key the service does not hold; opening the order alone answers 503)"
        ),
    )
    history: list[HistoryEntry]


class AdminOrderOut(OrderOut):
    """An order as an admin sees it: its customer (an anonymous ``anon_…`` id after the customer's erasure), status,
    history, QC and shipment; never the name or address (``shipping`` is always null)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**ORDER_EXAMPLE, "shipping": None,
                                                               "customer_id": "cus_demo"}]})  # fmt: skip

    customer_id: str = Field(description="The customer who ordered; `anon_…` once they had their data erased")


class AdminOrderPage(BaseModel):
    """A page of a customer's orders, newest first, as an admin sees them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [{**ORDER_EXAMPLE, "shipping": None, "customer_id": "cus_demo"}], "next_cursor": None}
            ]
        }
    )

    items: list[AdminOrderOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last")


class OrderPage(BaseModel):
    """A page of orders: the customer's newest first, the lab's queue oldest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [ORDER_EXAMPLE], "next_cursor": None}]})

    items: list[OrderOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last")


class QualityCheckIn(BatchMeasurementIn):
    """The measured batch colour; within tolerance the order passes QC, else the correction is returned."""


class QualityCheckResult(BaseModel):
    """The order after its quality check (qc_passed or qc_failed) and the batch's correction."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"order": {**ORDER_EXAMPLE, "status": "qc_passed", "shipping": None}, "correction": CORRECTION_EXAMPLE}
            ]
        }
    )

    order: OrderOut
    correction: CorrectionOut


class ReorderAdvice(BaseModel):
    """Whether a new measurement still matches the formulation last ordered, or a new formulation is better."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "measurement_id": "msr_0190c5a8e2b2b0c1d2e3f4a5b607",
                    "order_id": "ord_0190c5a8f1a2b3c4d5e6f7a8b902",
                    "formulation_id": "fml_0190c5a8e5d07c1e2f3a4b5c6d7e",
                    "delta_E00": 0.84,
                    "threshold_dE00": 2.0,
                    "measurement_uncertainty_dE00": 1.9,
                    "suggestion": "reorder",
                    "detail": "The new measurement is 0.84 ΔE00 from the ordered formulation's target (threshold 2.0).",
                }
            ]
        }
    )

    measurement_id: str
    order_id: str = Field(description="The latest order, compared with")
    formulation_id: str
    delta_E00: float = Field(description="CIEDE2000 between the new measurement and the ordered formulation's target")
    threshold_dE00: float = Field(description="Beyond this difference a new formulation is suggested")
    measurement_uncertainty_dE00: float | None = Field(description="The new measurement's 95 % radius, if known")
    suggestion: Literal["reorder", "new_formulation"]
    detail: str = Field(description="The advice in words")
