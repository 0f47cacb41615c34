"""``/v1/matches``, ``/v1/formulations`` (customer) and ``/v1/lab/formulations`` (formulation lab)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from api.auth import allow
from api.deps import provide_formulation_repository, provide_measurement_repository, provide_shade_repository
from api.formulation_service import LibraryResolver, batch_sheet, create_match, get_formulation, record_correction
from api.libraries import resolve_library
from api.schemas import BatchMeasurementIn, BatchSheetOut, CorrectionOut, FormulationOut, MatchIn
from api.store import FormulationRepository, MeasurementRepository, ShadeRepository
from api.tokens import Principal, Role


def _libraries(request: Request[Any, Any, Any]) -> LibraryResolver:
    return partial(resolve_library, request.app.state.settings)


REPOSITORIES = {
    "formulations": Provide(provide_formulation_repository, sync_to_thread=False),
    "measurements": Provide(provide_measurement_repository, sync_to_thread=False),
    "shades": Provide(provide_shade_repository, sync_to_thread=False),
}


class MatchController(Controller):
    path = "/v1/matches"
    tags = ["formulation"]  # noqa: RUF012 - Litestar reads these class attributes
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    dependencies = REPOSITORIES

    @post(
        "/",
        summary="A custom-blend formulation for one of the caller's measurements, and the nearest shades",
        description=(
            "Predicts base amounts (grams for `size_g`, dispenser resolution 0.01 g) that match the measured skin "
            "under D65 as a film of the chosen coverage over the customer's own skin, keeping the match under "
            "incandescent (A), fluorescent (FL11) and LED (LED-B3) light (metamerism reported per light). Out-of-"
            "gamut targets get the closest recipe with `in_gamut: false`. Shades from images are `approximate`."
        ),
        status_code=201,
    )
    async def create(  # noqa: PLR0917 - Litestar injects these by name
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[MatchIn],
        principal: NamedDependency[Principal],
        measurements: NamedDependency[MeasurementRepository],
        formulations: NamedDependency[FormulationRepository],
        shades: NamedDependency[ShadeRepository],
    ) -> FormulationOut:
        state = request.app.state
        return await create_match(
            principal.subject,
            data,
            library=resolve_library(state.settings),
            measurements=measurements,
            formulations=formulations,
            shades=shades,
            cache=state.shade_cache,
            limiter=state.measurement_limiter,
        )


class FormulationController(Controller):
    path = "/v1/formulations"
    tags = ["formulation"]  # noqa: RUF012
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    dependencies = REPOSITORIES

    @get("/{formulation_id:str}", summary="One of the caller's formulations")
    async def read(
        self,
        formulation_id: FromPath[str],
        principal: NamedDependency[Principal],
        formulations: NamedDependency[FormulationRepository],
    ) -> FormulationOut:
        return await get_formulation(formulations, principal.subject, formulation_id)


class LabFormulationController(Controller):
    path = "/v1/lab/formulations"
    tags = ["lab"]  # noqa: RUF012
    guards = [allow(Role.LAB)]  # noqa: RUF012
    dependencies = REPOSITORIES

    @get("/{formulation_id:str}", summary="The batch sheet: grams per base for a batch size, order, target")
    async def sheet(
        self,
        request: Request[Any, Any, Any],
        formulation_id: FromPath[str],
        formulations: NamedDependency[FormulationRepository],
        size_g: Annotated[float, QueryParameter(gt=0, le=10_000, description="Batch size in grams")] = 30.0,
    ) -> BatchSheetOut:
        return await batch_sheet(formulations, formulation_id, size_g, libraries=_libraries(request))

    @post(
        "/{formulation_id:str}/corrections",
        summary="Measured batch colour in, additions (grams, only additions) out; recorded with the batch",
        status_code=201,
    )
    async def correct(
        self,
        request: Request[Any, Any, Any],
        formulation_id: FromPath[str],
        data: JSONBody[BatchMeasurementIn],
        formulations: NamedDependency[FormulationRepository],
    ) -> CorrectionOut:
        return await record_correction(
            formulations,
            formulation_id,
            data,
            limiter=request.app.state.measurement_limiter,
            libraries=_libraries(request),
        )
