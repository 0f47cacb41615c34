"""What each page of the console shows, gathered from the order and formulation services (no storage here).

The queue's counts come from ``OrderService.queue_count``; the correction of an order's last quality check has no
service method of its own and is found here from the formulation's corrections, by the batch id the order's QC
names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from api.errors import ApiError
from api.formulations.schemas import BatchSheetOut, CorrectionOut
from api.formulations.service import FormulationService
from api.lab_console.sessions import LabForm
from api.lab_console.spectro import ExportError, parse_export
from api.measurements.regions import display_srgb_hex
from api.orders.schemas import OrderOut, OrderPage, QualityCheckIn
from api.orders.service import READY_EVENT, OrderService
from api.orders.states import OrderStatus
from api.schemas import LabD65
from color.errors import ColorError

S = OrderStatus
STATUS_LABELS = {
    S.RECEIVED: "Received",
    S.IN_PRODUCTION: "In production",
    S.QC_FAILED: "QC failed",
    S.QC_PASSED: "QC passed",
    S.READY_TO_SHIP: "Ready to ship",
    S.SHIPPED: "Shipped",
    S.DELIVERED: "Delivered",
    S.CANCELLED: "Cancelled",
}
# The statuses the lab works through are counted; the others only grow and are listed without a count.
COUNTED = (S.RECEIVED, S.IN_PRODUCTION, S.QC_FAILED, S.QC_PASSED, S.READY_TO_SHIP)
PAGE_SIZE = 25
ACTIONS = {"start": "Production started.", "rework": "Batch to be remade: back in production.",
           "ready": "Marked ready to ship."}  # fmt: skip
MAX_UPLOAD_NOTE = "one reading, CSV or JSON, up to 256 kB"
# What a QC reading can have been measured over, as the form offers it (the first choice is the default selection).
OVER_LABELS = {
    "black": "the chart's black half",
    "white": "the chart's white half",
    "opaque": "an opaque film (masstone)",
}


class FormError(ValueError):
    """A form that cannot be acted on; the message is shown on the page as it is."""


def plain_error(error: Exception) -> str:
    """An error of a service or of the colour core, in the words its ``detail`` and ``hint`` give."""
    if isinstance(error, ApiError | ColorError):
        return f"{error.detail} {error.hint}" if error.hint else error.detail
    return str(error)


@dataclass(frozen=True)
class Swatch:
    label: str
    lab: LabD65
    hex: str


def swatch(label: str, lab: LabD65 | dict[str, float]) -> Swatch:
    value = lab if isinstance(lab, LabD65) else LabD65.model_validate(lab)
    return Swatch(label=label, lab=value, hex=display_srgb_hex([value.L, value.a, value.b]))


async def queue_counts(orders: OrderService) -> dict[str, str]:
    """Orders in each counted status, as text (exact: the status sets' sizes)."""
    return {status.value: str(await orders.queue_count(status)) for status in COUNTED}


def parse_status(value: str | None) -> OrderStatus:
    try:
        return OrderStatus(value or S.RECEIVED.value)
    except ValueError as exc:
        raise FormError(f"There is no order status {value!r}.") from exc


async def queue_page(orders: OrderService, status: OrderStatus, cursor: str | None) -> OrderPage:
    return await orders.lab_queue(status, limit=PAGE_SIZE, cursor=cursor)


def qc_attempts(order: OrderOut) -> int:
    return sum(entry.to_status in {S.QC_PASSED, S.QC_FAILED} for entry in order.history)


def default_batch_g(order: OrderOut) -> float:
    """One batch makes the order's bottles: their size times their number."""
    return float(order.size_g * order.quantity)


def parse_batch_g(value: str | None, order: OrderOut) -> float:
    if not value:
        return default_batch_g(order)
    try:
        size = float(value)
    except ValueError as exc:
        raise FormError(f"The batch size {value!r} is not a number of grams.") from exc
    if not 0 < size <= 10_000:
        raise FormError("The batch size must be more than 0 and at most 10,000 g.")
    return size


@dataclass
class OrderView:
    """Everything the order page (and its printouts) show; never the customer's name or address."""

    order: OrderOut
    status_label: str
    batch_g: float
    sheet: BatchSheetOut | None = None
    sheet_error: str | None = None
    correction: CorrectionOut | None = None
    swatches: list[Swatch] = field(default_factory=list)
    next_batch_id: str = ""
    ready_event: dict[str, str] | None = None


async def order_view(
    orders: OrderService, formulations: FormulationService, order_id: str, batch_g: str | None = None
) -> OrderView:
    order = await orders.get_for_lab(order_id)
    view = OrderView(
        order=order,
        status_label=STATUS_LABELS[order.status],
        batch_g=default_batch_g(order),
        next_batch_id=f"{order.id}-{qc_attempts(order) + 1}",
    )
    try:
        view.batch_g = parse_batch_g(batch_g, order)
        view.sheet = await formulations.batch_sheet(order.formulation_id, view.batch_g)
    except (FormError, ApiError, ColorError) as error:
        view.sheet_error = plain_error(error)
    if view.sheet is not None:
        view.swatches.append(swatch("Target over black", view.sheet.target_over_black_lab))
        view.swatches.append(swatch("Target over white", view.sheet.target_over_white_lab))
    if order.qc:
        batch_id = order.qc.get("batch_id")
        view.correction = next(
            (c for c in await formulations.corrections(order.formulation_id) if c.batch_id == batch_id), None
        )
        measured = order.qc.get("measured_lab")
        if measured:
            over = f" over {view.correction.over}" if view.correction else ""
            view.swatches.append(swatch(f"Measured{over}, batch {order.qc.get('batch_id', '')}", measured))
    if order.status in {S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED}:
        view.ready_event = {"id": f"evt_{order.id}_{S.READY_TO_SHIP.value}", "type": READY_EVENT}
    return view


def _number_field(form: LabForm, name: str, label: str) -> float:
    value = form.get(name).replace(",", ".")
    if not value:
        raise FormError(f"Enter {label}, or upload the instrument's export instead.")
    try:
        return float(value)
    except ValueError as exc:
        raise FormError(f"{label} must be a number, not {value!r}.") from exc


def _validation_words(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the measurement"
    names = {"batch_id": "The batch id", "batch_g": "The batch mass", "lab.L": "L*", "lab.a": "a*", "lab.b": "b*",
             "over": "Measured over"}  # fmt: skip
    return f"{names.get(where, where)}: {first['msg']}."


def quality_check_from_form(form: LabForm) -> tuple[QualityCheckIn, str]:
    """The QC form as the orders service takes it, and where the colour came from; ``FormError`` in plain words."""
    batch_id = form.get("batch_id")
    if not batch_id:
        raise FormError("Enter the batch id (the number on the batch's label).")
    upload = form.files.get("export")
    colour: dict[str, Any]
    if upload is not None and upload.data:
        try:
            reading = parse_export(upload.filename, upload.data)
        except (ExportError, ValidationError) as error:
            words = _validation_words(error) if isinstance(error, ValidationError) else str(error)
            raise FormError(f"The uploaded file {upload.filename or ''} could not be used: {words}") from error
        colour = {"lab": reading.lab} if reading.lab is not None else {"spectrum": reading.spectrum}
        source = reading.described
    else:
        Lab = [_number_field(form, name, label) for name, label in (("L", "L*"), ("a", "a*"), ("b", "b*"))]
        colour = {"lab": {"L": Lab[0], "a": Lab[1], "b": Lab[2]}}
        source = "L*a*b* D65/2° typed in"
    batch_g = _number_field(form, "batch_g", "the batch mass in grams")
    over = form.get("over")
    if not over:
        raise FormError("Say what the drawdown was measured over: the chart's black, its white, or an opaque film.")
    try:
        return QualityCheckIn(batch_g=batch_g, batch_id=batch_id, over=over, **colour), f"{source}, over {over}"
    except ValidationError as error:
        raise FormError(_validation_words(error)) from error
