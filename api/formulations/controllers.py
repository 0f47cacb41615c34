"""``/v1/matches``, ``/v1/formulations`` (customer) and ``/v1/lab/formulations`` (formulation lab)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.formulations.schemas import BatchMeasurementIn, BatchSheetOut, CorrectionOut, FormulationOut, MatchIn
from api.formulations.service import FormulationService
from api.web.auth import allow
from api.web.openapi import bearer
from api.web.problem_docs import problems
from api.web.tokens import Principal, Role

FormulationId = Annotated[str, PathParameter(description="Formulation id (`fml_…`)")]
REPLAYED = ResponseHeader(
    name="Idempotent-Replayed",
    documentation_only=True,
    description="`true` when this batch id's correction was recorded earlier from the same measurement",
)


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
            "gamut targets get the closest recipe with `in_gamut: false` and `out_of_gamut`: how the nearest reachable "
            "colour differs and which limit binds. Shades from images are `approximate`."
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
        description=(
            "Grams of each base the recipe uses for a batch of `size_g` (rounded to the dispenser's resolution; the "
            "vehicle makes up the rest), in the order of addition, and what a drawdown of the batch should measure: "
            "the film of `drawdown` on an opacity chart over its black (`target_over_black_lab`) and over its white "
            "(`target_over_white_lab`), their `contrast_ratio`, and the opaque masstone (`target_masstone_lab`), all "
            "of the recipe's exact fractions, the same at every size. `predicted_masstone_lab` is the masstone "
            "predicted for the rounded grams. A size the dispenser does not make (outside "
            "`TONEMATCH_BATCH_MIN_G`-`TONEMATCH_BATCH_MAX_G` or not a multiple of `TONEMATCH_BATCH_STEP_G`) is a 422. "
            "Formulations of orders that reached production keep their batch sheet after the customer's erasure."
        ),
        responses=problems("not_found", "batch_size_not_makeable"),
    )
    async def sheet(
        self,
        formulation_id: FormulationId,
        formulations: NamedDependency[FormulationService],
        size_g: Annotated[float, QueryParameter(gt=0, le=10_000, description="Batch size in grams")] = 30.0,
    ) -> BatchSheetOut:
        return await formulations.batch_sheet(formulation_id, size_g)

    @get(
        "/{formulation_id:str}/corrections",
        summary="Every correction recorded for the formulation's batches, oldest first",
        responses=problems("not_found"),
    )
    async def corrections(
        self, formulation_id: FormulationId, formulations: NamedDependency[FormulationService]
    ) -> list[CorrectionOut]:
        return await formulations.corrections(formulation_id)

    @post(
        "/{formulation_id:str}/corrections",
        summary="Measured batch colour in, additions (grams, only additions) out; recorded once per batch id",
        description=(
            "The measured drawdown is compared with the batch sheet's target of the same reading (`over`: `black`, "
            "`white` or, by default, `opaque`); the additions bring the prediction of that reading back to it. "
            "Recorded with the batch. The same `batch_id` and measurement again answer the correction recorded "
            "(`Idempotent-Replayed: true`), with no second record; the same `batch_id` with another measurement is "
            "a 409 `batch_id_reused`."
        ),
        status_code=201,
        response_headers=[REPLAYED],
        responses=problems("not_found", "batch_id_reused", "invalid_colour"),
    )
    async def correct(
        self,
        formulation_id: FormulationId,
        data: JSONBody[BatchMeasurementIn],
        formulations: NamedDependency[FormulationService],
    ) -> Response[CorrectionOut]:
        correction, replayed = await formulations.correct(formulation_id, data)
        return Response(correction, status_code=201, headers={"Idempotent-Replayed": "true"} if replayed else None)
