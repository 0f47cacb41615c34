"""``/v1/orders`` (the customer), ``/v1/lab/orders`` (the formulation lab) and ``/v1/me/reorder-advice``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter

from api.orders.schemas import (
    AdminOrderOut,
    AdminOrderPage,
    OrderIn,
    OrderOut,
    OrderPage,
    QualityCheckIn,
    QualityCheckResult,
    ReorderAdvice,
    ReorderIn,
)
from api.orders.service import IDEMPOTENCY_KEY_PATTERN, OrderService
from api.orders.states import OrderStatus
from api.web.auth import allow
from api.web.openapi import bearer
from api.web.problem_docs import problems
from api.web.tokens import Principal, Role

MAX_PAGE = 100
IDEMPOTENCY_DOC = (
    "A unique value (a UUID) per order the customer means to place, sent again unchanged when the request is "
    "retried: the same key and body return the same order (with `Idempotent-Replayed: true`); the same key with "
    "another body is a 409 `idempotency_key_reused`. Without it: 400 `idempotency_key_required`."
)
# Documented as required; a missing key reaches the service, whose 400 names the header (idempotency_key_required).
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=True,
        description=IDEMPOTENCY_DOC,
        schema_extra={"pattern": IDEMPOTENCY_KEY_PATTERN, "max_length": 255},
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Items on a page")]
Cursor = Annotated[
    str | None,
    QueryParameter(max_length=100, description="`next_cursor` of the previous page; absent for the first page"),
]
OrderId = Annotated[str, PathParameter(description="Order id (`ord_…`)")]
REPLAYED = ResponseHeader(
    name="Idempotent-Replayed",
    documentation_only=True,
    description="`true` when the order was made earlier with this Idempotency-Key and body, and is answered again",
)


def _created(order: OrderOut, replayed: bool) -> Response[OrderOut]:
    return Response(order, status_code=201, headers={"Idempotent-Replayed": "true"} if replayed else None)


class OrderController(Controller):
    path = "/v1/orders"
    tags = ["orders"]  # noqa: RUF012 - Litestar reads these class attributes
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    security = bearer(Role.CUSTOMER)

    @post(
        "/",
        summary="Order a bottle of one of the caller's formulations, delivered home",
        status_code=201,
        response_headers=[REPLAYED],
        responses=problems(
            "idempotency_key_required", "not_found", "idempotency_key_reused", "data_key_unknown", "too_many_requests"
        ),
    )
    async def create(
        self,
        data: JSONBody[OrderIn],
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[OrderOut]:
        return _created(*await orders.create(principal.subject, data, idempotency_key))

    @get("/", summary="The caller's orders, newest first", responses=problems("invalid_request"))
    async def list_orders(
        self,
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderService],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> OrderPage:
        return await orders.list_own(principal.subject, limit=limit, cursor=cursor)

    @get(
        "/{order_id:str}",
        summary="One of the caller's orders, with its history",
        responses=problems("not_found", "data_key_unknown"),
    )
    async def read(
        self, order_id: OrderId, principal: NamedDependency[Principal], orders: NamedDependency[OrderService]
    ) -> OrderOut:
        return await orders.get_own(principal.subject, order_id)

    @post(
        "/{order_id:str}/cancel",
        summary="Cancel an order before production starts (409 after)",
        status_code=200,
        responses=problems("not_found", "invalid_transition", "data_key_unknown"),
    )
    async def cancel(
        self, order_id: OrderId, principal: NamedDependency[Principal], orders: NamedDependency[OrderService]
    ) -> OrderOut:
        return await orders.cancel_own(principal.subject, order_id)

    @post(
        "/{order_id:str}/reorder",
        summary="Order the same formulation again",
        status_code=201,
        response_headers=[REPLAYED],
        responses=problems(
            "idempotency_key_required",
            "invalid_request",
            "not_found",
            "idempotency_key_reused",
            "data_key_unknown",
            "too_many_requests",
        ),
    )
    async def reorder(
        self,
        order_id: OrderId,
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
    security = bearer(Role.LAB)

    @get(
        "/",
        summary="The production queue: orders in a status, oldest first (no names or addresses)",
        responses=problems("invalid_request"),
    )
    async def queue(
        self,
        orders: NamedDependency[OrderService],
        status: Annotated[
            OrderStatus, QueryParameter(description="Orders in this status; `received` when absent")
        ] = OrderStatus.RECEIVED,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> OrderPage:
        return await orders.lab_queue(status, limit=limit, cursor=cursor)

    @get("/{order_id:str}", summary="One order as the lab sees it", responses=problems("not_found"))
    async def read(self, order_id: OrderId, orders: NamedDependency[OrderService]) -> OrderOut:
        return await orders.get_for_lab(order_id)

    @post(
        "/{order_id:str}/start",
        summary="Production starts (received → in_production)",
        status_code=200,
        responses=problems("not_found", "invalid_transition"),
    )
    async def start(self, order_id: OrderId, orders: NamedDependency[OrderService]) -> OrderOut:
        return await orders.lab_action(order_id, "start")

    @post(
        "/{order_id:str}/qc",
        summary="Quality check with the measured batch colour: pass within tolerance, else the correction",
        status_code=200,
        responses=problems("not_found", "invalid_transition", "invalid_colour"),
    )
    async def qc(
        self, order_id: OrderId, data: JSONBody[QualityCheckIn], orders: NamedDependency[OrderService]
    ) -> QualityCheckResult:
        return await orders.quality_check(order_id, data)

    @post(
        "/{order_id:str}/rework",
        summary="Remake a batch that failed QC (qc_failed → in_production)",
        status_code=200,
        responses=problems("not_found", "invalid_transition"),
    )
    async def rework(self, order_id: OrderId, orders: NamedDependency[OrderService]) -> OrderOut:
        return await orders.lab_action(order_id, "rework")

    @post(
        "/{order_id:str}/ready",
        summary="Ready to ship (qc_passed → ready_to_ship); notifies fulfilment",
        status_code=200,
        responses=problems("not_found", "invalid_transition"),
    )
    async def ready(self, order_id: OrderId, orders: NamedDependency[OrderService]) -> OrderOut:
        return await orders.lab_action(order_id, "ready")


class AdminOrderController(Controller):
    path = "/v1/admin/orders"
    tags = ["admin"]  # noqa: RUF012
    guards = [allow(Role.ADMIN)]  # noqa: RUF012
    security = bearer(Role.ADMIN)

    @get(
        "/",
        summary="A customer's orders, newest first (no names or addresses)",
        description="After a customer's erasure their orders are found under the anonymous id they now carry.",
        responses=problems("invalid_request"),
    )
    async def by_customer(
        self,
        orders: NamedDependency[OrderService],
        customer_id: Annotated[
            str,
            QueryParameter(
                min_length=1,
                max_length=64,
                pattern=r"^[A-Za-z0-9_-]{1,64}$",
                description="The customer (a token's `sub`)",
            ),
        ],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AdminOrderPage:
        return await orders.list_for_admin(customer_id, limit=limit, cursor=cursor)

    @get(
        "/{order_id:str}",
        summary="Any order by id, with its customer, history, QC and shipment (no name or address)",
        responses=problems("not_found"),
    )
    async def read(self, order_id: OrderId, orders: NamedDependency[OrderService]) -> AdminOrderOut:
        return await orders.get_for_admin(order_id)


class ReorderAdviceController(Controller):
    path = "/v1/me"
    tags = ["orders"]  # noqa: RUF012
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    security = bearer(Role.CUSTOMER)

    @get(
        "/reorder-advice",
        summary="Does a new measurement still match the last order, or suggest a new formulation?",
        responses=problems("not_found"),
    )
    async def reorder_advice(
        self,
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderService],
        measurement_id: Annotated[
            str, QueryParameter(min_length=1, max_length=64, description="The new measurement (`msr_…`)")
        ],
    ) -> ReorderAdvice:
        return await orders.reorder_advice(principal.subject, measurement_id)
