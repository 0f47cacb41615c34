"""``/v1/measurements``: a customer's skin colour measurements."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from api.auth import allow
from api.deps import provide_measurement_repository
from api.errors import NotFound
from api.measurement_service import get_measurement, list_measurements, record_instrument_reading
from api.schemas import InstrumentReadingIn, MeasurementOut, MeasurementPage
from api.store import MeasurementRepository
from api.tokens import Principal, Role

MAX_PAGE = 100


class MeasurementController(Controller):
    path = "/v1/measurements"
    tags = ["measurements"]  # noqa: RUF012 - Litestar reads these class attributes
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    dependencies = {"measurements": Provide(provide_measurement_repository, sync_to_thread=False)}  # noqa: RUF012

    @post(
        "/",
        summary="Record a measurement",
        description=(
            "An instrument reading (JSON): L*a*b* with its illuminant and observer, converted to D65/2° with a "
            "stated chromatic adaptation, or a reflectance spectrum integrated under D65/2°. "
            "Requires the version of the privacy notice the customer consented to."
        ),
    )
    async def create(
        self,
        data: JSONBody[InstrumentReadingIn],
        principal: NamedDependency[Principal],
        measurements: NamedDependency[MeasurementRepository],
    ) -> MeasurementOut:
        return await record_instrument_reading(measurements, principal.subject, data)

    @get("/{measurement_id:str}", summary="One of the caller's measurements")
    async def read(
        self,
        measurement_id: FromPath[str],
        principal: NamedDependency[Principal],
        measurements: NamedDependency[MeasurementRepository],
    ) -> MeasurementOut:
        measurement = await get_measurement(measurements, principal.subject, measurement_id)
        if measurement is None:
            raise NotFound(f"No measurement {measurement_id!r}.")
        return measurement

    @get("/", summary="The caller's measurement history, newest first")
    async def history(
        self,
        principal: NamedDependency[Principal],
        measurements: NamedDependency[MeasurementRepository],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 20,
        before: Annotated[
            str | None, QueryParameter(max_length=64, description="Cursor from the previous page")
        ] = None,
    ) -> MeasurementPage:
        return await list_measurements(measurements, principal.subject, limit=limit, before=before)
