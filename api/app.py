"""The Litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from api.catalog_admin.controllers import CatalogAdminController
from api.deps import DEPENDENCIES, Keys, build_services, resolve_keys
from api.formulations.controllers import FormulationController, LabFormulationController, MatchController
from api.fulfilment.controllers import (
    OUTBOUND_WEBHOOKS,
    AdminWebhookController,
    FulfilmentOrderController,
    FulfilmentWebhookController,
)
from api.lab_console.router import LAB_CONSOLE
from api.measurements.controllers import MeasurementController
from api.memory import configure_allocator
from api.orders.controllers import (
    AdminOrderController,
    LabOrderController,
    OrderController,
    ReorderAdviceController,
)
from api.privacy.controllers import MeController
from api.reports.controllers import ReportController
from api.settings import Settings, get_settings
from api.storage import Storage
from api.storage.client import STORAGE_UNAVAILABLE_ERRORS
from api.web.auth import bearer_auth_middleware, check_every_route_declares_access
from api.web.content_types import declared_content_type_guard
from api.web.health import HealthController
from api.web.observability import MetricsController, configure_logging, prometheus_config, request_context_middleware
from api.web.openapi import BEARER_SCHEME, TAGS, DocumentedOpenAPIConfig
from api.web.problems import EXCEPTION_HANDLERS
from api.web.query import known_query_parameters_guard, record_query_parameters
from api.web.rate_limits import rate_limit_guard
from api.web.timeouts import body_timeout_middleware

OPENAPI_PATH = "/schema"
API_VERSION = "0.1.0"


def _services_lifespan(settings: Settings, keys: Keys) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Open storage and build every service at start-up; close storage at shutdown."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        storage = Storage.open(settings)
        app.state.services = build_services(settings, storage, keys)
        try:
            await storage.service_keys.register(keys.sealer.key_ids, keys.sealer.current)
        except STORAGE_UNAVAILABLE_ERRORS as error:  # Redis not up yet: the reseal check then has nothing to go on
            logging.getLogger("tonematch.api").warning("could not register the data key ids: %s", error)
        try:
            yield
        finally:
            await storage.aclose()

    return lifespan


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app from ``settings`` (default: the environment)."""
    settings = settings or get_settings()
    configure_allocator()
    if settings.environment != "test":  # tests keep pytest's log capture
        configure_logging(settings.log_level, json_lines=settings.log_format == "json")
    logging.getLogger("tonematch").setLevel(settings.log_level.upper())
    keys = resolve_keys(settings)
    openapi = DocumentedOpenAPIConfig(
        title="tonematch",
        version=API_VERSION,
        description=(
            "Skin tone measurement from a calibrated phone photo and made-to-order foundation. "
            "Errors are RFC 9457 problem documents (`application/problem+json`) with a stable `code`; each "
            "operation lists the codes it can answer with. Colours are CIE 1976 L*a*b*, D65 white point, CIE 1931 "
            "2° observer. Lists are paged with `limit` and `cursor` (the `next_cursor` of the page before); a query "
            "parameter an operation does not take is refused (400 `invalid_request`). Security is per operation: a "
            "bearer token (JWT) of the roles it names, or none on public routes."
        ),
        path=OPENAPI_PATH,
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                BEARER_SCHEME: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="`tonematch token create --role ROLE --subject ID`; roles: customer, lab, "
                    "fulfilment, admin. Each operation's requirement names the roles it admits.",
                ),
            }
        ),
        tags=TAGS,
        webhooks=OUTBOUND_WEBHOOKS,
    )
    app = Litestar(
        route_handlers=[
            HealthController,
            MeasurementController,
            ReportController,
            MatchController,
            FormulationController,
            LabFormulationController,
            OrderController,
            LabOrderController,
            ReorderAdviceController,
            FulfilmentWebhookController,
            AdminWebhookController,
            FulfilmentOrderController,
            AdminOrderController,
            CatalogAdminController,
            MeController,
            MetricsController,
            LAB_CONSOLE,
        ],
        lifespan=[_services_lifespan(settings, keys)],
        dependencies=DEPENDENCIES,
        middleware=[
            request_context_middleware(),
            prometheus_config().middleware,
            body_timeout_middleware(
                chunk_seconds=settings.body_chunk_timeout_seconds, total_seconds=settings.body_timeout_seconds
            ),
            bearer_auth_middleware(secret=keys.token_secret, issuer=settings.token_issuer, public_prefix=OPENAPI_PATH),
        ],
        guards=[declared_content_type_guard, known_query_parameters_guard, rate_limit_guard],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        request_max_body_size=max(
            settings.max_json_body_bytes, settings.max_upload_bytes, settings.max_catalogue_bytes
        ),
        state=State({"settings": settings}),
        debug=False,
        logging_config=None,  # ``configure_logging`` owns the handlers; Litestar's queue handler would replace them
    )
    check_every_route_declares_access(app, public_prefix=OPENAPI_PATH)
    record_query_parameters(app)
    return app
