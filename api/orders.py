"""``/v1/orders`` (customer), ``/v1/lab/orders`` (lab), ``/v1/webhooks/fulfilment`` (partner, signed),
``/v1/admin/webhooks`` (admin) and ``/v1/me`` (the customer's data rights)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from api.auth import allow
from api.deps import provide_measurement_repository, provide_order_context
from api.errors import BodyTooLarge
from api.libraries import resolve_library
from api.order_schemas import (
    DataExport,
    DeadLetterOut,
    ErasureOut,
    FulfilmentEventResult,
    OrderIn,
    OrderOut,
    OrderPage,
    OutboxOut,
    QualityCheckIn,
    QualityCheckResult,
    ReorderAdvice,
    ReorderIn,
    ReplayOut,
)
from api.order_service import (
    OrderContext,
    apply_fulfilment_event,
    cancel_own_order,
    create_order,
    get_lab_order,
    get_own_order,
    lab_action,
    lab_queue,
    list_own_orders,
    quality_check,
    reorder,
    reorder_advice,
)
from api.order_states import OrderStatus
from api.privacy_service import erase_customer, export_customer_data
from api.settings import Settings
from api.store import MeasurementRepository
from api.tokens import Principal, Role
from api.webhooks import dead_letters, outbox_backlog, replay_dead_letters, verify_inbound

MAX_PAGE = 100
IDEMPOTENCY_DOC = "Required. The same key and body return the same order; the same key with another body is a 409."
DEPENDENCIES = {
    "orders": Provide(provide_order_context, sync_to_thread=False),
    "measurements": Provide(provide_measurement_repository, sync_to_thread=False),
}
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
    dependencies = DEPENDENCIES

    @post("/", summary="Order a bottle of one of the caller's formulations, delivered home", status_code=201)
    async def create(
        self,
        data: JSONBody[OrderIn],
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderContext],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[OrderOut]:
        return _created(*await create_order(orders, principal.subject, data, idempotency_key))

    @get("/", summary="The caller's orders, newest first")
    async def list_orders(
        self,
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderContext],
        limit: Limit = 20,
        before: Annotated[str | None, QueryParameter(max_length=64, description="Cursor from the last page")] = None,
    ) -> OrderPage:
        return await list_own_orders(orders, principal.subject, limit=limit, before=before)

    @get("/{order_id:str}", summary="One of the caller's orders, with its history")
    async def read(
        self, order_id: FromPath[str], principal: NamedDependency[Principal], orders: NamedDependency[OrderContext]
    ) -> OrderOut:
        return await get_own_order(orders, principal.subject, order_id)

    @post("/{order_id:str}/cancel", summary="Cancel an order before production starts (409 after)", status_code=200)
    async def cancel(
        self, order_id: FromPath[str], principal: NamedDependency[Principal], orders: NamedDependency[OrderContext]
    ) -> OrderOut:
        return await cancel_own_order(orders, principal.subject, order_id)

    @post("/{order_id:str}/reorder", summary="Order the same formulation again", status_code=201)
    async def reorder(
        self,
        order_id: FromPath[str],
        data: JSONBody[ReorderIn],
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderContext],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[OrderOut]:
        return _created(*await reorder(orders, principal.subject, order_id, data, idempotency_key))


class LabOrderController(Controller):
    path = "/v1/lab/orders"
    tags = ["lab"]  # noqa: RUF012
    guards = [allow(Role.LAB)]  # noqa: RUF012
    dependencies = DEPENDENCIES

    @get("/", summary="The production queue: orders in a status, oldest first (no names or addresses)")
    async def queue(
        self,
        orders: NamedDependency[OrderContext],
        status: Annotated[OrderStatus, QueryParameter()] = OrderStatus.RECEIVED,
        limit: Limit = 20,
        cursor: Annotated[str | None, QueryParameter(max_length=100)] = None,
    ) -> OrderPage:
        return await lab_queue(orders, status, limit=limit, cursor=cursor)

    @get("/{order_id:str}", summary="One order as the lab sees it")
    async def read(self, order_id: FromPath[str], orders: NamedDependency[OrderContext]) -> OrderOut:
        return await get_lab_order(orders, order_id)

    @post("/{order_id:str}/start", summary="Production starts (received → in_production)", status_code=200)
    async def start(self, order_id: FromPath[str], orders: NamedDependency[OrderContext]) -> OrderOut:
        return await lab_action(orders, order_id, "start")

    @post(
        "/{order_id:str}/qc",
        summary="Quality check with the measured batch colour: pass within tolerance, else the correction",
        status_code=200,
    )
    async def qc(
        self,
        request: Request[Any, Any, Any],
        order_id: FromPath[str],
        data: JSONBody[QualityCheckIn],
        orders: NamedDependency[OrderContext],
    ) -> QualityCheckResult:
        state = request.app.state
        return await quality_check(
            orders,
            order_id,
            data,
            limiter=state.measurement_limiter,
            libraries=partial(resolve_library, state.settings),
        )

    @post(
        "/{order_id:str}/rework", summary="Remake a batch that failed QC (qc_failed → in_production)", status_code=200
    )
    async def rework(self, order_id: FromPath[str], orders: NamedDependency[OrderContext]) -> OrderOut:
        return await lab_action(orders, order_id, "rework")

    @post(
        "/{order_id:str}/ready",
        summary="Ready to ship (qc_passed → ready_to_ship); notifies fulfilment",
        status_code=200,
    )
    async def ready(self, order_id: FromPath[str], orders: NamedDependency[OrderContext]) -> OrderOut:
        return await lab_action(orders, order_id, "ready")


class FulfilmentWebhookController(Controller):
    path = "/v1/webhooks/fulfilment"
    tags = ["fulfilment"]  # noqa: RUF012
    opt = {"public": True, "signed": "Standard Webhooks"}  # noqa: RUF012 - authenticated by its signature
    dependencies = DEPENDENCIES

    @post(
        "/",
        summary="order.shipped / order.delivered from the fulfilment partner, signed per Standard Webhooks",
        description=(
            'Body: `{"type": "order.shipped", "timestamp": "<ISO 8601>", "data": {"order_id": "ord_…", '
            '"carrier": "…", "tracking_number": "…"}}` or `{"type": "order.delivered", "data": '
            '{"order_id": "ord_…"}}`, signed with the `webhook-id`, `webhook-timestamp` and `webhook-signature` '
            "headers of the Standard Webhooks spec (verified before the body is parsed; 5-minute tolerance). "
            "A repeated webhook-id is answered 200 with `already_applied` and changes nothing."
        ),
        status_code=200,
    )
    async def receive(
        self, request: Request[Any, Any, Any], orders: NamedDependency[OrderContext]
    ) -> FulfilmentEventResult:
        settings: Settings = request.app.state.settings
        body = await request.body()
        if len(body) > settings.max_json_body_bytes:
            raise BodyTooLarge(f"The body is {len(body)} bytes; the limit is {settings.max_json_body_bytes}.")
        headers = {
            name: request.headers.get(name, "") for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
        }
        payload = verify_inbound(request.app.state.inbound_webhook_secret, body, headers)
        return await apply_fulfilment_event(orders, payload, headers["webhook-id"])


class AdminWebhookController(Controller):
    path = "/v1/admin/webhooks"
    tags = ["admin"]  # noqa: RUF012
    guards = [allow(Role.ADMIN)]  # noqa: RUF012
    dependencies = DEPENDENCIES

    @get("/outbox", summary="How many events wait for delivery, and how many are dead-lettered")
    async def outbox(self, orders: NamedDependency[OrderContext]) -> OutboxOut:
        pending, dead = await outbox_backlog(orders.redis)
        return OutboxOut(pending=pending, dead_letters=dead)

    @get("/dead-letters", summary="Events that failed every delivery attempt")
    async def dead(self, orders: NamedDependency[OrderContext]) -> list[DeadLetterOut]:
        return [DeadLetterOut.model_validate(event.__dict__) for event in await dead_letters(orders.redis)]

    @post("/dead-letters/replay", summary="Schedule every dead-lettered event for delivery again", status_code=200)
    async def replay(self, orders: NamedDependency[OrderContext]) -> ReplayOut:
        return ReplayOut(replayed=await replay_dead_letters(orders.redis))


class MeController(Controller):
    path = "/v1/me"
    tags = ["privacy"]  # noqa: RUF012
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    dependencies = DEPENDENCIES

    @get("/export", summary="Everything kept about the caller: measurements, formulations, corrections, orders")
    async def export(
        self,
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderContext],
        measurements: NamedDependency[MeasurementRepository],
    ) -> DataExport:
        return await export_customer_data(orders, measurements, principal.subject)

    @delete(
        "/",
        summary="Erase the caller's data: measurements and formulations go; orders stay without name and address",
        status_code=200,
    )
    async def erase(self, principal: NamedDependency[Principal], orders: NamedDependency[OrderContext]) -> ErasureOut:
        return await erase_customer(orders, principal.subject)

    @get("/reorder-advice", summary="Does a new measurement still match the last order, or suggest a new formulation?")
    async def reorder_advice(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrderContext],
        measurements: NamedDependency[MeasurementRepository],
        measurement_id: Annotated[str, QueryParameter(min_length=1, max_length=64)],
    ) -> ReorderAdvice:
        threshold = request.app.state.settings.reorder_threshold_dE00
        return await reorder_advice(orders, measurements, principal.subject, measurement_id, threshold_dE00=threshold)
