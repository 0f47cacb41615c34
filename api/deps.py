"""Services built once when the app starts, and the dependencies that hand them to handlers by parameter name.

A handler asks for ``measurements``, ``formulations``, ``orders``, ``fulfilment``, ``privacy``, ``reports``,
``catalog_admin``, ``storage``, ``settings`` or ``principal`` (the authenticated caller) and gets the one instance
the app holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import anyio
from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide

from api.catalog_admin.service import CatalogAdminService
from api.errors import Unauthenticated
from api.formulations.batches import DispenserLimits
from api.formulations.service import FormulationService
from api.fulfilment.service import FulfilmentService
from api.measurements.service import MeasurementService
from api.orders.service import OrderPolicy, OrderService
from api.privacy.service import PrivacyService
from api.reports.service import ReportService
from api.sealing import Sealer
from api.settings import Settings
from api.storage import Storage
from api.storage.libraries import LibraryStore
from api.web.tokens import Principal


@dataclass(frozen=True)
class Services:
    storage: Storage
    measurements: MeasurementService
    formulations: FormulationService
    orders: OrderService
    fulfilment: FulfilmentService
    privacy: PrivacyService
    reports: ReportService
    catalog_admin: CatalogAdminService


@dataclass(frozen=True)
class Keys:
    """The secrets the services need, resolved (and so checked) when the app is built, not at its first request."""

    token_secret: str
    sealer: Sealer
    fingerprint_key: bytes  # keys the HMAC of order request bodies kept for idempotency
    inbound_webhook_secret: str


def resolve_keys(settings: Settings) -> Keys:
    """The configured keys, or (outside production) development keys kept in the data folder."""
    secret = settings.resolved_secret_key()
    return Keys(
        token_secret=secret,
        sealer=Sealer.from_encoded(*settings.resolved_data_keys()),
        fingerprint_key=hashlib.sha256(b"tonematch idempotency\0" + secret.encode()).digest(),
        inbound_webhook_secret=settings.resolved_webhook_secret(inbound=True),
    )


def build_services(settings: Settings, storage: Storage, keys: Keys) -> Services:
    """Every service over ``storage``, configured by ``settings``; one computation limiter shared by all."""
    limiter = anyio.CapacityLimiter(settings.measurement_workers)
    measurements = MeasurementService(
        storage.measurements,
        limiter=limiter,
        face_model=settings.face_model,
        privacy_notices=tuple(settings.privacy_notice_versions),
        formulation_records=storage.formulations,
    )
    formulations = FormulationService(
        storage.formulations,
        measurements=measurements,
        shades=storage.shades,
        libraries=LibraryStore(settings.data_dir, settings.base_library),
        limiter=limiter,
        dispenser=DispenserLimits(settings.batch_min_g, settings.batch_max_g, settings.batch_step_g),
    )
    orders = OrderService(
        storage.orders,
        formulations=formulations,
        measurements=measurements,
        sealer=keys.sealer,
        policy=OrderPolicy(
            fingerprint_key=keys.fingerprint_key,
            idempotency_seconds=settings.idempotency_hours * 3600,
            reorder_threshold_dE00=settings.reorder_threshold_dE00,
        ),
    )
    return Services(
        storage=storage,
        measurements=measurements,
        formulations=formulations,
        orders=orders,
        fulfilment=FulfilmentService(
            orders,
            storage.outboxes,
            inbound_secret=keys.inbound_webhook_secret,
            max_body_bytes=settings.max_json_body_bytes,
        ),
        privacy=PrivacyService(
            storage.customers,
            measurements=measurements,
            formulations=formulations,
            orders=orders,
            consents=storage.consents,
        ),
        reports=ReportService(measurements, limiter=limiter),
        catalog_admin=CatalogAdminService(storage.shades, max_bytes=settings.max_catalogue_bytes, limiter=limiter),
    )


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = request.scope.get("user")
    if not isinstance(principal, Principal):
        raise Unauthenticated("This endpoint needs an `Authorization: Bearer <token>` header.")
    return principal


def _provide_service(name: str) -> Provide:
    def provide(state: State) -> Any:
        return getattr(state.services, name)

    return Provide(provide, sync_to_thread=False)


def _provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


DEPENDENCIES: dict[str, Provide] = {
    "principal": Provide(provide_principal, sync_to_thread=False),
    "settings": Provide(_provide_settings, sync_to_thread=False),
    **{name: _provide_service(name) for name in ("storage", "measurements", "formulations", "orders",
                                                 "fulfilment", "privacy", "reports", "catalog_admin")},
}  # fmt: skip
