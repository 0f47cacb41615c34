"""The Litestar application factory."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from api.auth import bearer_auth_middleware, check_every_route_declares_access
from api.content_types import declared_content_type_guard
from api.deps import provide_principal, provide_redis, provide_settings
from api.formulation_service import ShadeCache
from api.formulations import FormulationController, LabFormulationController, MatchController
from api.health import HealthController
from api.measurements import MeasurementController
from api.orders import (
    AdminWebhookController,
    FulfilmentWebhookController,
    LabOrderController,
    MeController,
    OrderController,
)
from api.problems import EXCEPTION_HANDLERS
from api.redis_client import connect
from api.sealing import Sealer
from api.settings import Settings, get_settings

OPENAPI_PATH = "/schema"
API_VERSION = "0.1.0"


def _redis_lifespan(settings: Settings):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        client = connect(settings)
        app.state.redis = client
        app.state.measurement_limiter = anyio.CapacityLimiter(settings.measurement_workers)
        app.state.shade_cache = ShadeCache()
        try:
            yield
        finally:
            await client.aclose()

    return lifespan


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app from ``settings`` (default: the environment)."""
    settings = settings or get_settings()
    logging.getLogger("tonematch").setLevel(settings.log_level.upper())
    secret = settings.resolved_secret_key()
    openapi = OpenAPIConfig(
        title="tonematch",
        version=API_VERSION,
        description=(
            "Skin tone measurement from a calibrated phone photo and made-to-order foundation. "
            "Errors are RFC 9457 problem documents with a stable `code`. "
            "Colours are CIE 1976 L*a*b*, D65 white point, CIE 1931 2° observer."
        ),
        path=OPENAPI_PATH,
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            }
        ),
        security=[{"BearerToken": []}],
    )
    app = Litestar(
        route_handlers=[
            HealthController,
            MeasurementController,
            MatchController,
            FormulationController,
            LabFormulationController,
            OrderController,
            LabOrderController,
            FulfilmentWebhookController,
            AdminWebhookController,
            MeController,
        ],
        lifespan=[_redis_lifespan(settings)],
        dependencies={
            "redis": Provide(provide_redis, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        middleware=[bearer_auth_middleware(secret=secret, issuer=settings.token_issuer, public_prefix=OPENAPI_PATH)],
        guards=[declared_content_type_guard],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        request_max_body_size=max(settings.max_json_body_bytes, settings.max_upload_bytes),
        state=State(
            {
                "settings": settings,
                "sealer": Sealer(*settings.resolved_data_keys()),
                "fingerprint_key": hashlib.sha256(b"tonematch idempotency\0" + secret.encode()).digest(),
                "inbound_webhook_secret": settings.resolved_webhook_secret(inbound=True),
            }
        ),
        debug=False,
    )
    check_every_route_declares_access(app, public_prefix=OPENAPI_PATH)
    return app
