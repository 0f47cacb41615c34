"""Liveness and readiness probes.

``/readyz`` (may this process take traffic now?): Redis answers. ``/healthz`` (should this process be left
running?): it answers while storage is reachable, and for ``storage_grace_seconds`` after storage was last
reached (a Redis restart takes a second or two; restarting the API would not help); past that it is a 503,
so a supervisor restarts a process that cannot serve.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from pydantic import BaseModel, Field

from api.errors import ServiceUnavailable
from api.settings import Settings
from api.storage import Storage


class HealthStatus(BaseModel):
    """Whether the process can serve."""

    status: str = Field(description="`ok`, `ready`, or `degraded` (storage unreachable, within the grace period)")
    storage_unreachable_seconds: float | None = Field(
        default=None, description="How long storage has not answered, when it does not"
    )


def _last_reached(request: Request[Any, Any, Any]) -> float:
    """When storage last answered this process (its start, before the first probe)."""
    state = request.app.state
    if not hasattr(state, "storage_last_reached"):
        state.storage_last_reached = time.monotonic()
    return float(state.storage_last_reached)


class HealthController(Controller):
    tags = ["health"]  # noqa: RUF012 - Litestar reads this class attribute
    opt = {"public": True}  # noqa: RUF012

    @get("/healthz", summary="Liveness: the process can serve (503 once storage has been gone past the grace period)")
    async def healthz(self, request: Request[Any, Any, Any], storage: NamedDependency[Storage]) -> HealthStatus:
        last = _last_reached(request)
        if await storage.ready():
            request.app.state.storage_last_reached = time.monotonic()
            return HealthStatus(status="ok")
        settings: Settings = request.app.state.settings
        gone = time.monotonic() - last
        if gone <= settings.storage_grace_seconds:
            return HealthStatus(status="degraded", storage_unreachable_seconds=round(gone, 1))
        raise ServiceUnavailable(
            f"Storage has not answered for {gone:.0f} s; this process cannot serve.",
            extra={"dependency": "redis", "storage_unreachable_seconds": round(gone, 1)},
            hint="Check that Redis runs (the embedded one is restarted by `tonematch serve`) and REDIS_URL.",
        )

    @get("/readyz", summary="Readiness: Redis answers (503 problem otherwise)")
    async def readyz(self, request: Request[Any, Any, Any], storage: NamedDependency[Storage]) -> HealthStatus:
        if not await storage.ready():
            raise ServiceUnavailable(
                "Redis is not reachable.", extra={"dependency": "redis"}, hint="Check REDIS_URL and the Redis server."
            )
        request.app.state.storage_last_reached = time.monotonic()
        return HealthStatus(status="ready")
