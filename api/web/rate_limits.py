"""Per-customer budgets on the requests that cost the most (a photo measurement, an order): 429 with Retry-After.

Counted in Redis (``api.storage.limits``), one fixed window an hour per customer and kind, so every API process
shares them. Only customers are limited; the lab, fulfilment and admins are trusted callers. A retried order
(same Idempotency-Key) counts as a request too.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.errors import TooManyRequests
from api.settings import Settings
from api.web.tokens import Principal, Role

WINDOW_SECONDS = 3600
LIMITED_ROUTES = {
    ("POST", "/v1/measurements"): "measurements",
    ("POST", "/v1/orders"): "orders",
    ("POST", "/v1/orders/{order_id}/reorder"): "orders",
}


async def rate_limit_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    template = str(connection.scope.get("path_template", "")).rstrip("/")
    bucket = LIMITED_ROUTES.get((str(connection.scope.get("method")), template))
    principal = connection.scope.get("user")
    if bucket is None or not isinstance(principal, Principal) or principal.role is not Role.CUSTOMER:
        return
    settings: Settings = connection.app.state.settings
    limit = (
        settings.rate_limit_measurements_per_hour if bucket == "measurements" else settings.rate_limit_orders_per_hour
    )
    limits = connection.app.state.services.storage.rate_limits
    retry_after = await limits.hit(principal.subject, bucket, limit=limit, window_seconds=WINDOW_SECONDS)
    if retry_after is not None:
        raise TooManyRequests(
            f"At most {limit} {bucket} an hour per customer; the next is possible in {retry_after:.0f} s.",
            retry_after=retry_after,
        )
