"""``/v1/orders`` (the customer), ``/v1/lab/orders`` (the formulation lab) and ``/v1/me/reorder-advice``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from api.orders.schemas import (
    OrderIn,
    OrderOut,
    OrderPage,
    QualityCheckIn,
    QualityCheckResult,
    ReorderAdvice,
    ReorderIn,
)
from api.orders.service import OrderService
from api.orders.states import OrderStatus
from api.web.auth import allow
from api.web.tokens import Principal, Role

MAX_PAGE = 100
IDEMPOTENCY_DOC = "Required. The same key and body return the same order; the same key with another body is a 409."
IdempotencyKey = Annotated[
    str | None, HeaderParameter(name="Idempotency-Key", required=False, description=IDEMPOTENCY_DOC)
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)]


def _created(order: OrderOut, replayed: bool) -> Response[OrderOut]:
    return Response(order, status_code=201, headers={"Idempotent-Replayed": "true"} if replayed else None)


class OrderController(Controller):
    path = "/v1/orders"
    tags = ["orders"]  # noqa: RUF012 - Litestar reads these class attributes
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012

    @post("/", summary="Order a bottle of one of the caller's formulations, delivered home", status_code=201)
    async def create(
        self,
        data: JSONBody[OrderIn],
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[OrderOut]:
        return _created(*await orders.create(principal.subject, data, idempotency_key))

    @get("/", summary="The caller's orders, newest first")
    async def list_orders(
        self,
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderService],
        limit: Limit = 20,
        before: Annotated[str | None, QueryParameter(max_length=64, description="Cursor from the last page")] = None,
    ) -> OrderPage:
        return await orders.list_own(principal.subject, limit=limit, before=before)

    @get("/{order_id:str}", summary="One of the caller's orders, with its history")
    async def read(
        self, order_id: FromPath[str], principal: NamedDependency[Principal], orders: NamedDependency[OrderService]
    ) -> OrderOut:
        return await orders.get_own(principal.subject, order_id)

    @post("/{order_id:str}/cancel", summary="Cancel an order before production starts (409 after)", status_code=200)
    async def cancel(
        self, order_id: FromPath[str], principal: NamedDependency[Principal], orders: NamedDependency[OrderService]
    ) -> OrderOut:
        return await orders.cancel_own(principal.subject, order_id)

    @post("/{order_id:str}/reorder", summary="Order the same formulation again", status_code=201)
    async def reorder(
        self,
        order_id: FromPath[str],
        data: JSONBody[ReorderIn],
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[OrderOut]:
        return _created(*await orders.reorder(principal.subject, order_id, data, idempotency_key))


class LabOrderController(Controller):
    path = "/v1/lab/orders"
    tags = ["lab"]  # noqa: RUF012
    guards = [allow(Role.LAB)]  # noqa: RUF012

    @get("/", summary="The production queue: orders in a status, oldest first (no names or addresses)")
    async def queue(
        self,
        orders: NamedDependency[OrderService],
        status: Annotated[OrderStatus, QueryParameter()] = OrderStatus.RECEIVED,
        limit: Limit = 20,
        cursor: Annotated[str | None, QueryParameter(max_length=100)] = None,
    ) -> OrderPage:
        return await orders.lab_queue(status, limit=limit, cursor=cursor)

    @get("/{order_id:str}", summary="One order as the lab sees it")
    async def read(self, order_id: FromPath[str], orders: NamedDependency[OrderService]) -> OrderOut:
        return await orders.get_for_lab(order_id)

    @post("/{order_id:str}/start", summary="Production starts (received → in_production)", status_code=200)
    async def start(self, order_id: FromPath[str], orders: NamedDependency[OrderService]) -> OrderOut:
        return await orders.lab_action(order_id, "start")

    @post(
        "/{order_id:str}/qc",
        summary="Quality check with the measured batch colour: pass within tolerance, else the correction",
        status_code=200,
    )
    async def qc(
        self, order_id: FromPath[str], data: JSONBody[QualityCheckIn], orders: NamedDependency[OrderService]
    ) -> QualityCheckResult:
        return await orders.quality_check(order_id, data)

    @post(
        "/{order_id:str}/rework", summary="Remake a batch that failed QC (qc_failed → in_production)", status_code=200
    )
    async def rework(self, order_id: FromPath[str], orders: NamedDependency[OrderService]) -> OrderOut:
        return await orders.lab_action(order_id, "rework")

    @post(
        "/{order_id:str}/ready",
        summary="Ready to ship (qc_passed → ready_to_ship); notifies fulfilment",
        status_code=200,
    )
    async def ready(self, order_id: FromPath[str], orders: NamedDependency[OrderService]) -> OrderOut:
        return await orders.lab_action(order_id, "ready")


class ReorderAdviceController(Controller):
    path = "/v1/me"
    tags = ["orders"]  # noqa: RUF012
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012

    @get("/reorder-advice", summary="Does a new measurement still match the last order, or suggest a new formulation?")
    async def reorder_advice(
        self,
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderService],
        measurement_id: Annotated[str, QueryParameter(min_length=1, max_length=64)],
    ) -> ReorderAdvice:
        return await orders.reorder_advice(principal.subject, measurement_id)
