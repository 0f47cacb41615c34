"""What operations see: Prometheus metrics at ``/metrics`` and one JSON log line per event, with a request id.

Metrics (prometheus-client, through Litestar's Prometheus middleware for the HTTP part):
``tonematch_requests_total`` and ``tonematch_request_duration_seconds`` by method, route template and status;
``tonematch_measurements_total`` by source and outcome (``answered`` or the retake code);
``tonematch_outbox_backlog`` and ``tonematch_outbox_dead_letters`` (read from Redis when scraped);
``tonematch_storage_errors_total`` by error class. Routes are labelled by their template, so ids never become
label values.

Logs (structlog, rendering the standard library's records too): JSON, one object a line, with ``request_id``
(taken from ``X-Request-ID`` when it is a plain token of at most 64 characters, else made) on every line logged
while a request runs, and returned in the response's ``X-Request-ID``. A request's own line says method, route,
status and duration. Bodies, names, addresses, tokens and query strings are never logged.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any, TextIO

import structlog
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.middleware import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from api.fulfilment.service import FulfilmentService
from api.web.auth import allow
from api.web.metrics import OUTBOX_BACKLOG, OUTBOX_DEAD
from api.web.tokens import Role

REQUEST_ID_HEADER = "x-request-id"
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

access_log = logging.getLogger("tonematch.access")  # standard logging: JSON once configured, pytest's capture in tests


def prometheus_config() -> PrometheusConfig:
    """HTTP request counts and latencies by route template and status (Litestar's middleware)."""
    return PrometheusConfig(app_name="tonematch", prefix="tonematch", group_path=True, exclude=["^/metrics"])


class MetricsController(Controller):
    """``GET /metrics`` in the Prometheus text format, for the admin role (a scraper sends an admin token)."""

    guards = [allow(Role.ADMIN)]  # noqa: RUF012 - Litestar reads this class attribute

    @get("/metrics", include_in_schema=False, summary="Prometheus metrics")
    async def metrics(self, fulfilment: NamedDependency[FulfilmentService]) -> Response[bytes]:
        backlog = await fulfilment.backlog()
        OUTBOX_BACKLOG.set(backlog.pending)
        OUTBOX_DEAD.set(backlog.dead_letters)
        return Response(content=generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def configure_logging(level: str, *, json_lines: bool = True, stream: TextIO | None = None) -> None:
    """JSON lines (or structlog's console text) on ``stream`` (stderr), for structlog and the standard library's
    loggers."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),  # a record's ``extra`` fields become the object's keys
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False),
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())


class RequestContextMiddleware:
    """Binds a request id to every log line of the request, returns it, and logs the request's outcome."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == REQUEST_ID_HEADER.encode()), "")
        request_id = given if REQUEST_ID_PATTERN.fullmatch(given) else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                fields = {
                    "method": scope.get("method", ""),
                    "route": scope.get("path_template", "unmatched"),
                    "status": status,
                    "duration_ms": round(1000 * (time.perf_counter() - started), 1),
                }
                access_log.info("request", extra=fields)


def request_context_middleware() -> DefineMiddleware:
    return DefineMiddleware(RequestContextMiddleware)
