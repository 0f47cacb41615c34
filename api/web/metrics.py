"""The service's own Prometheus metrics, defined once (HTTP request metrics come from Litestar's middleware;
``api.web.observability`` serves them all at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

MEASUREMENTS = Counter(
    "tonematch_measurements_total",
    "Measurements by source (photo, crops, instrument) and outcome (answered, or the retake or error code)",
    ["source", "outcome"],
)
STORAGE_ERRORS = Counter("tonematch_storage_errors_total", "Requests that found Redis unavailable", ["error"])
OUTBOX_BACKLOG = Gauge("tonematch_outbox_backlog", "Fulfilment events waiting for delivery (retries included)")
OUTBOX_DEAD = Gauge("tonematch_outbox_dead_letters", "Fulfilment events that failed every delivery attempt")
