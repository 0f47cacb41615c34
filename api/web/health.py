"""Liveness and readiness probes."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from pydantic import BaseModel

from api.errors import ServiceUnavailable
from api.storage import Storage


class HealthStatus(BaseModel):
    status: str


class HealthController(Controller):
    tags = ["health"]  # noqa: RUF012 - Litestar reads this class attribute
    opt = {"public": True}  # noqa: RUF012

    @get("/healthz", summary="Liveness: the process is up")
    async def healthz(self) -> HealthStatus:
        return HealthStatus(status="ok")

    @get("/readyz", summary="Readiness: Redis answers (503 problem otherwise)")
    async def readyz(self, storage: NamedDependency[Storage]) -> HealthStatus:
        if not await storage.ready():
            raise ServiceUnavailable(
                "Redis is not reachable.", extra={"dependency": "redis"}, hint="Check REDIS_URL and the Redis server."
            )
        return HealthStatus(status="ready")
