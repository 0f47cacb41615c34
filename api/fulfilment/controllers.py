"""``/v1/webhooks/fulfilment`` (the partner, authenticated by its signature) and ``/v1/admin/webhooks`` (admin),
and the outbound ``order.ready_to_ship`` event the worker sends (documented as the OpenAPI document's webhook)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    PathItem,
    Reference,
    RequestBody,
    Schema,
)
from litestar.params import FromPath, HeaderParameter, PathParameter, QueryParameter

from api.errors import NotFound
from api.fulfilment.schemas import (
    DeadLetterOut,
    FulfilmentEventIn,
    FulfilmentEventResult,
    FulfilmentOrderOut,
    FulfilmentOrderPage,
    OutboxOut,
    ReadyToShipEvent,
    ReplayOut,
)
from api.fulfilment.service import FulfilmentService
from api.orders.states import OrderStatus
from api.web.auth import allow
from api.web.content_types import JSON
from api.web.openapi import COMPONENTS, bearer, request_body
from api.web.problem_docs import problems
from api.web.tokens import Role

SIGNATURE_DOCS = {
    "webhook-id": "The event's id, the same on every retry: a repeated id is answered `already_applied`",
    "webhook-timestamp": "Unix time of this attempt, seconds; within 5 minutes of the receiver's clock",
    "webhook-signature": "`v1,<base64 HMAC-SHA256>` of `id.timestamp.body` with the shared secret (space-separated "
    "when several)",
}


def _signature_header(name: str) -> Any:
    # Documented as required; a missing one reaches the signature check, which answers 401, as for a wrong one.
    return HeaderParameter(name=name, required=True, description=SIGNATURE_DOCS[name])


WebhookId = Annotated[str | None, _signature_header("webhook-id")]
WebhookTimestamp = Annotated[str | None, _signature_header("webhook-timestamp")]
WebhookSignature = Annotated[str | None, _signature_header("webhook-signature")]

OUTBOUND_WEBHOOKS: dict[str, PathItem | Reference] = {
    "order.ready_to_ship": PathItem(
        post=Operation(
            operation_id="OrderReadyToShip",
            tags=["fulfilment"],
            summary="An order is ready to ship: sent to the fulfilment partner's URL",
            description=(
                "Sent by the webhook worker to `TONEMATCH_FULFILMENT_WEBHOOK_URL` when the lab marks an order ready, "
                "signed per Standard Webhooks with the outbound secret. Any answer but 2xx, a timeout or a "
                "connection error is retried with exponential backoff; after the last attempt the event is "
                "dead-lettered (an admin can replay it). Retries carry the same `webhook-id`: deduplicate on it."
            ),
            parameters=[
                Parameter(
                    name=name, param_in="header", required=True, description=doc, schema=Schema(type=OpenAPIType.STRING)
                )
                for name, doc in SIGNATURE_DOCS.items()
            ],
            request_body=RequestBody(
                required=True,
                content={JSON: OpenAPIMediaType(schema=Reference(ref=COMPONENTS + ReadyToShipEvent.__name__))},
            ),
            responses={
                "2XX": OpenAPIResponse(description="Received; the event is not sent again"),
                "default": OpenAPIResponse(description="Not received; the event is sent again later"),
            },
        )
    )
}


class FulfilmentWebhookController(Controller):
    path = "/v1/webhooks/fulfilment"
    tags = ["fulfilment"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"public": True, "signed": "Standard Webhooks"}  # noqa: RUF012 - authenticated by its signature

    @post(
        "/",
        summary="order.shipped / order.delivered from the fulfilment partner, signed per Standard Webhooks",
        description=(
            "Signed with the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers of the Standard "
            "Webhooks spec and the inbound secret (verified before the body is parsed; 5-minute tolerance). "
            "A repeated webhook-id is answered 200 with `already_applied` and changes nothing."
        ),
        status_code=200,
        operation_class=request_body(
            "An `order.shipped` (with carrier and tracking number) or `order.delivered` event.",
            {JSON: [FulfilmentEventIn]},
        ),
        responses=problems(
            "webhook_signature_invalid", "webhook_timestamp_out_of_tolerance", "not_found", "invalid_transition"
        ),
    )
    async def receive(
        self,
        request: Request[Any, Any, Any],
        fulfilment: NamedDependency[FulfilmentService],
        webhook_id: WebhookId = None,
        webhook_timestamp: WebhookTimestamp = None,
        webhook_signature: WebhookSignature = None,
    ) -> FulfilmentEventResult:
        headers = {
            "webhook-id": webhook_id or "",
            "webhook-timestamp": webhook_timestamp or "",
            "webhook-signature": webhook_signature or "",
        }
        return await fulfilment.receive(await request.body(), headers)


class AdminWebhookController(Controller):
    path = "/v1/admin/webhooks"
    tags = ["admin"]  # noqa: RUF012
    guards = [allow(Role.ADMIN)]  # noqa: RUF012
    security = bearer(Role.ADMIN)

    @get("/outbox", summary="How many events wait for delivery, and how many are dead-lettered")
    async def outbox(self, fulfilment: NamedDependency[FulfilmentService]) -> OutboxOut:
        return await fulfilment.backlog()

    @get("/dead-letters", summary="Events that failed every delivery attempt")
    async def dead(self, fulfilment: NamedDependency[FulfilmentService]) -> list[DeadLetterOut]:
        return await fulfilment.dead_letters()

    @post("/dead-letters/replay", summary="Schedule every dead-lettered event for delivery again", status_code=200)
    async def replay(self, fulfilment: NamedDependency[FulfilmentService]) -> ReplayOut:
        return ReplayOut(replayed=await fulfilment.replay_dead_letters())

    @post(
        "/dead-letters/{event_id:str}/replay",
        summary="Schedule one dead-lettered event for delivery again (its attempts start over)",
        status_code=200,
        responses=problems("not_found"),
    )
    async def replay_one(self, event_id: FromPath[str], fulfilment: NamedDependency[FulfilmentService]) -> ReplayOut:
        if not await fulfilment.replay_dead_letter(event_id):
            raise NotFound(f"No dead-lettered event {event_id!r}.")
        return ReplayOut(replayed=1)


class FulfilmentOrderController(Controller):
    """What the fulfilment partner reads about the orders it ships (its token has the ``fulfilment`` role)."""

    path = "/v1/fulfilment/orders"
    tags = ["fulfilment"]  # noqa: RUF012
    guards = [allow(Role.FULFILMENT)]  # noqa: RUF012
    security = bearer(Role.FULFILMENT)

    @get(
        "/",
        summary="The partner's shipments in a status, oldest first, with the name and address for each label",
        responses=problems("invalid_request", "data_key_unknown"),
    )
    async def shipments(
        self,
        fulfilment: NamedDependency[FulfilmentService],
        status: Annotated[
            OrderStatus,
            QueryParameter(description="`ready_to_ship` (the default), `shipped` or `delivered`; others are a 400"),
        ] = OrderStatus.READY_TO_SHIP,
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="Items on a page")] = 20,
        cursor: Annotated[
            str | None,
            QueryParameter(max_length=100, description="`next_cursor` of the previous page; absent for the first"),
        ] = None,
    ) -> FulfilmentOrderPage:
        return await fulfilment.shipments(status, limit=limit, cursor=cursor)

    @get(
        "/{order_id:str}",
        summary="One order the partner ships: contents, label name and address, status and tracking",
        description="Orders not yet ready to ship are not the partner's: 404, as for an unknown id.",
        responses=problems("not_found", "data_key_unknown"),
    )
    async def read(
        self,
        order_id: Annotated[str, PathParameter(description="Order id (`ord_…`)")],
        fulfilment: NamedDependency[FulfilmentService],
    ) -> FulfilmentOrderOut:
        return await fulfilment.shipment(order_id)
