"""The order state machine: which action moves an order from which states to which.

    received ─start─▶ in_production ─qc─▶ qc_passed ─ready─▶ ready_to_ship ─shipped─▶ shipped ─delivered─▶ delivered
       │                  │   ▲                ▲
     cancel              qc   rework           │
       ▼                  ▼   │                │
    cancelled          qc_failed ──────qc──────┘   (a failed batch is corrected and checked again, or remade)

Transitions are applied atomically in Redis: the current state is checked and changed
in one script (``api.storage.orders``), so two racing requests cannot both move the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OrderStatus(StrEnum):
    RECEIVED = "received"
    IN_PRODUCTION = "in_production"
    QC_PASSED = "qc_passed"
    QC_FAILED = "qc_failed"
    READY_TO_SHIP = "ready_to_ship"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[OrderStatus]
    target: OrderStatus


def _t(action: str, sources: set[OrderStatus], target: OrderStatus) -> Transition:
    return Transition(action, frozenset(sources), target)


S = OrderStatus
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("cancel", {S.RECEIVED}, S.CANCELLED),
        _t("start", {S.RECEIVED}, S.IN_PRODUCTION),
        _t("qc_pass", {S.IN_PRODUCTION, S.QC_FAILED}, S.QC_PASSED),
        _t("qc_fail", {S.IN_PRODUCTION, S.QC_FAILED}, S.QC_FAILED),
        _t("rework", {S.QC_FAILED}, S.IN_PRODUCTION),
        _t("ready", {S.QC_PASSED}, S.READY_TO_SHIP),
        _t("shipped", {S.READY_TO_SHIP}, S.SHIPPED),
        _t("delivered", {S.SHIPPED}, S.DELIVERED),
    )
}
# Orders past these states are kept for accounting; before them an erasure request cancels them.
OPEN_BEFORE_PRODUCTION = frozenset({S.RECEIVED})
FINAL = frozenset({S.DELIVERED, S.CANCELLED})
# The orders the fulfilment partner has been handed: it sees these (with the address for the label), no others.
FULFILMENT_STATUSES = frozenset({S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED})


def next_status(current: OrderStatus, action: str) -> OrderStatus | None:
    """The state after ``action``, or None when the action is not allowed from ``current``."""
    transition = TRANSITIONS[action]
    return transition.target if current in transition.sources else None
