"""``/v1/me``: the customer's data rights (export and erasure) and the consent to keeping their history."""

from __future__ import annotations

from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.privacy.schemas import DataExport, ErasureOut, HistoryConsentIn, HistoryConsentOut
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
        summary="Everything kept about the caller: measurements, formulations, corrections, orders, and what erasure "
        "would keep and why",
        responses=problems("data_key_unknown"),
    )
    async def export(
        self, principal: NamedDependency[Principal], privacy: NamedDependency[PrivacyService]
    ) -> DataExport:
        return await privacy.export(principal.subject)

    @delete(
        "/",
        summary="Erase the caller's data: measurements and formulations go; orders and the batch records of what was "
        "made stay, without name and address, linked to an anonymous id",
        status_code=200,
        responses=problems("orders_in_progress", "data_key_unknown"),
    )
    async def erase(
        self, principal: NamedDependency[Principal], privacy: NamedDependency[PrivacyService]
    ) -> ErasureOut:
        return await privacy.erase(principal.subject)

    @get(
        "/history-consent",
        summary="Whether the caller's measurement history is kept (the optional consent to progress tracking)",
    )
    async def history_consent(
        self, principal: NamedDependency[Principal], privacy: NamedDependency[PrivacyService]
    ) -> HistoryConsentOut:
        return await privacy.history_consent(principal.subject)

    @put(
        "/history-consent",
        summary="Give or withdraw the consent to keeping the measurement history",
        description=(
            '`{"granted": true, "notice": "<privacy notice version>"}` keeps every measurement (until retention '
            'expires them) for the timeline and comparisons. `{"granted": false}` withdraws it: every measurement '
            "but the latest is deleted at once, and from then on a new measurement replaces the one before. Never "
            "given is the same as withdrawn. Orders, formulations, the lab's batch records and reorder advice do not "
            "need the older measurements."
        ),
        responses=problems("invalid_request", "consent_version_unknown"),
    )
    async def set_history_consent(
        self,
        data: JSONBody[HistoryConsentIn],
        principal: NamedDependency[Principal],
        privacy: NamedDependency[PrivacyService],
    ) -> HistoryConsentOut:
        return await privacy.set_history_consent(principal.subject, data)
