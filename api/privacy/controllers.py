"""``/v1/me``: the customer's data rights (export and erasure)."""

from __future__ import annotations

from litestar import Controller, delete, get
from litestar.di import NamedDependency

from api.privacy.schemas import DataExport, ErasureOut
from api.privacy.service import PrivacyService
from api.web.auth import allow
from api.web.openapi import bearer
from api.web.problem_docs import problems
from api.web.tokens import Principal, Role


class MeController(Controller):
    path = "/v1/me"
    tags = ["privacy"]  # noqa: RUF012 - Litestar reads these class attributes
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    security = bearer(Role.CUSTOMER)

    @get(
        "/export",
        summary="Everything kept about the caller: measurements, formulations, corrections, orders",
        responses=problems("data_key_unknown"),
    )
    async def export(
        self, principal: NamedDependency[Principal], privacy: NamedDependency[PrivacyService]
    ) -> DataExport:
        return await privacy.export(principal.subject)

    @delete(
        "/",
        summary="Erase the caller's data: measurements and formulations go; orders stay without name and address",
        status_code=200,
        responses=problems("orders_in_progress", "data_key_unknown"),
    )
    async def erase(
        self, principal: NamedDependency[Principal], privacy: NamedDependency[PrivacyService]
    ) -> ErasureOut:
        return await privacy.erase(principal.subject)
