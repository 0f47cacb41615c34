"""``/v1/matches``, ``/v1/formulations`` (customer) and ``/v1/lab/formulations`` (formulation lab)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.formulations.schemas import BatchMeasurementIn, BatchSheetOut, CorrectionOut, FormulationOut, MatchIn
from api.formulations.service import FormulationService
from api.web.auth import allow
from api.web.openapi import bearer
from api.web.problem_docs import problems
from api.web.tokens import Principal, Role

FormulationId = Annotated[str, PathParameter(description="Formulation id (`fml_…`)")]


class MatchController(Controller):
    path = "/v1/matches"
    tags = ["formulation"]  # noqa: RUF012 - Litestar reads these class attributes
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    security = bearer(Role.CUSTOMER)

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
        responses=problems("not_found", "not_skin_colour", "invalid_recipe_request"),
    )
    async def create(
        self,
        data: JSONBody[MatchIn],
        principal: NamedDependency[Principal],
        formulations: NamedDependency[FormulationService],
    ) -> FormulationOut:
        return await formulations.create_match(principal.subject, data)


class FormulationController(Controller):
    path = "/v1/formulations"
    tags = ["formulation"]  # noqa: RUF012
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    security = bearer(Role.CUSTOMER)

    @get("/{formulation_id:str}", summary="One of the caller's formulations", responses=problems("not_found"))
    async def read(
        self,
        formulation_id: FormulationId,
        principal: NamedDependency[Principal],
        formulations: NamedDependency[FormulationService],
    ) -> FormulationOut:
        return await formulations.get(principal.subject, formulation_id)


class LabFormulationController(Controller):
    path = "/v1/lab/formulations"
    tags = ["lab"]  # noqa: RUF012
    guards = [allow(Role.LAB)]  # noqa: RUF012
    security = bearer(Role.LAB)

    @get(
        "/{formulation_id:str}",
        summary="The batch sheet: grams per base for a batch size, order, target",
        responses=problems("not_found"),
    )
    async def sheet(
        self,
        formulation_id: FormulationId,
        formulations: NamedDependency[FormulationService],
        size_g: Annotated[float, QueryParameter(gt=0, le=10_000, description="Batch size in grams")] = 30.0,
    ) -> BatchSheetOut:
        return await formulations.batch_sheet(formulation_id, size_g)

    @post(
        "/{formulation_id:str}/corrections",
        summary="Measured batch colour in, additions (grams, only additions) out; recorded with the batch",
        status_code=201,
        responses=problems("not_found", "invalid_colour"),
    )
    async def correct(
        self,
        formulation_id: FormulationId,
        data: JSONBody[BatchMeasurementIn],
        formulations: NamedDependency[FormulationService],
    ) -> CorrectionOut:
        return await formulations.record_correction(formulation_id, data)
