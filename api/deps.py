"""Dependencies injected by parameter name: the caller, and repositories over the app's Redis client."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from api.errors import Unauthenticated
from api.order_service import OrderContext
from api.order_store import OrderRepository
from api.redis_client import RedisClient
from api.settings import Settings
from api.store import FormulationRepository, MeasurementRepository, ShadeRepository
from api.tokens import Principal


def provide_redis(state: State) -> RedisClient:
    redis: RedisClient = state.redis
    return redis


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = request.scope.get("user")
    if not isinstance(principal, Principal):
        raise Unauthenticated("This endpoint needs an `Authorization: Bearer <token>` header.")
    return principal


def provide_measurement_repository(
    redis: NamedDependency[RedisClient], settings: NamedDependency[Settings]
) -> MeasurementRepository:
    return MeasurementRepository(redis, retention_seconds=settings.retention_days * 24 * 3600)


def provide_order_context(state: State, settings: NamedDependency[Settings]) -> OrderContext:
    redis = state.redis
    return OrderContext(
        redis=redis,
        orders=OrderRepository(redis),
        formulations=FormulationRepository(redis),
        sealer=state.sealer,
        fingerprint_key=state.fingerprint_key,
        idempotency_seconds=settings.idempotency_hours * 3600,
    )


def provide_formulation_repository(redis: NamedDependency[RedisClient]) -> FormulationRepository:
    return FormulationRepository(redis)


def provide_shade_repository(redis: NamedDependency[RedisClient]) -> ShadeRepository:
    return ShadeRepository(redis)
