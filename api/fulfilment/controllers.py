"""``/v1/webhooks/fulfilment`` (the partner, authenticated by its signature) and ``/v1/admin/webhooks`` (admin)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency

from api.fulfilment.schemas import DeadLetterOut, FulfilmentEventResult, OutboxOut, ReplayOut
from api.fulfilment.service import SIGNATURE_HEADERS, FulfilmentService
from api.web.auth import allow
from api.web.tokens import Role


class FulfilmentWebhookController(Controller):
    path = "/v1/webhooks/fulfilment"
    tags = ["fulfilment"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"public": True, "signed": "Standard Webhooks"}  # noqa: RUF012 - authenticated by its signature

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
        self, request: Request[Any, Any, Any], fulfilment: NamedDependency[FulfilmentService]
    ) -> FulfilmentEventResult:
        headers = {name: request.headers.get(name, "") for name in SIGNATURE_HEADERS}
        return await fulfilment.receive(await request.body(), headers)


class AdminWebhookController(Controller):
    path = "/v1/admin/webhooks"
    tags = ["admin"]  # noqa: RUF012
    guards = [allow(Role.ADMIN)]  # noqa: RUF012

    @get("/outbox", summary="How many events wait for delivery, and how many are dead-lettered")
    async def outbox(self, fulfilment: NamedDependency[FulfilmentService]) -> OutboxOut:
        return await fulfilment.backlog()

    @get("/dead-letters", summary="Events that failed every delivery attempt")
    async def dead(self, fulfilment: NamedDependency[FulfilmentService]) -> list[DeadLetterOut]:
        return await fulfilment.dead_letters()

    @post("/dead-letters/replay", summary="Schedule every dead-lettered event for delivery again", status_code=200)
    async def replay(self, fulfilment: NamedDependency[FulfilmentService]) -> ReplayOut:
        return ReplayOut(replayed=await fulfilment.replay_dead_letters())
