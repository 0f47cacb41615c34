"""Formulations: a measurement becomes a recipe and the nearest shades; the lab's batch sheet and corrections.

The lab reads a formulation by id from its customer or, after the customer's erasure, from the batch record kept
under an anonymous id (``api.storage.customers``); either way it sees only the recipe (``LabFormulation``). The
batch sheet's targets are the drawdowns of the recipe's exact fractions over the opacity chart's black and white (and
the opaque masstone), the same at every size; a measured batch is compared with the target of the reading it says it
is (``over``), and its correction is recorded once per batch id.

Recipes and corrections are computed by ``catalog`` in worker threads (they hold the GIL for a few hundred
milliseconds); this service stores the numbers and maps the core's results to the response schemas.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio
import numpy as np

from api.errors import BatchIdReused, NotFound
from api.formulations.batches import (
    ROUNDING_BUDGET_DE00,
    DispenserLimits,
    batch_grams,
    batch_lines,
    batch_record,
    correction_fingerprint,
    recipe_fractions,
    rounding_dE00,
    smallest_batch_within_budget,
)
from api.formulations.gamut_schemas import GamutGapOut
from api.formulations.schemas import (
    AdditionLine,
    BatchMeasurementIn,
    BatchSheetOut,
    CorrectionOut,
    DrawdownOut,
    FormulationOut,
    LabFormulation,
    MatchIn,
    RecipeLine,
    ShadeOut,
)
from api.measurements.service import MeasurementService, lab_out
from api.storage.formulations import FormulationRepository
from api.storage.ids import FORMULATION_ID_PREFIX, is_valid_id, new_id
from api.storage.libraries import LibraryStore
from api.storage.shades import ShadeRepository
from catalog.bases import BaseLibrary
from catalog.correction import TOLERANCE_DE00, correct_batch, masstone_Lab
from catalog.drawdown_targets import DEFAULT_DRAWDOWN, DrawdownConditions, check_over, drawdown_targets
from catalog.packaged_data import house_shades
from catalog.recipe import Recipe, predict_recipe
from catalog.shades import Shade, ShadeIndex
from color.instrument import reflectance_to_Lab_D65
from color.skin_tone import undertone_from_Lab

NEAREST_SHADES = 5
RESOLUTION_G = 0.01
DRAWDOWN_MEASURED = "once dry, CIE L*a*b* D65, 2° observer, specular excluded"
ORDER_OF_ADDITION = (
    "Weigh the clear vehicle first, then the white base, then the other bases from the largest amount to the "
    "smallest, mixing after each, so that small amounts disperse into an already pigmented paste."
)


class ShadeCache:
    """The house range plus the imported catalogue as one vectorised index, rebuilt when an import lands."""

    def __init__(self, repository: ShadeRepository) -> None:
        self._repository = repository
        self.version = -1
        self.index = ShadeIndex(list(house_shades()))

    async def current(self) -> ShadeIndex:
        version = await self._repository.version()
        if version != self.version:
            imported = [Shade(**{**row, "Lab_D65": tuple(row["Lab_D65"])}) for row in await self._repository.all()]
            self.index, self.version = ShadeIndex([*house_shades(), *imported]), version
        return self.index


def _shades_out(index: ShadeIndex, Lab: Any) -> list[ShadeOut]:
    return [
        ShadeOut(
            brand=match.shade.brand,
            product=match.shade.product,
            shade_name=match.shade.name,
            shade_code=match.shade.code,
            lab=lab_out(match.shade.Lab_D65),
            delta_E00=round(match.delta_E00, 3),
            undertone=undertone_from_Lab(match.shade.Lab_D65).value,
            approximate=match.shade.approximate,
        )
        for match in index.nearest(Lab, NEAREST_SHADES)
    ]


def _rounded_batch(
    formulation: LabFormulation,
    size_g: float,
    library: BaseLibrary,
    dispenser: DispenserLimits,
    conditions: DrawdownConditions,
) -> tuple[np.ndarray, float, float, float | None]:
    """The batch's grams and vehicle, what rounding costs (worst reading), and a larger size when it is over budget."""
    grams, vehicle = batch_grams(formulation, size_g, library, conditions)
    rounding = rounding_dE00(formulation, grams, size_g, library, conditions)
    larger = (
        smallest_batch_within_budget(formulation, size_g, library, dispenser, conditions)
        if rounding > ROUNDING_BUDGET_DE00
        else None
    )
    return grams, vehicle, rounding, larger


def _rounding_note(rounding: float, size_g: float, larger: float | None, resolution_g: float) -> str | None:
    if rounding <= ROUNDING_BUDGET_DE00:
        return None
    advice = (
        f"make {larger:g} g or more"
        if larger is not None
        else "no batch size the dispenser makes fixes it: ask for "
        "a recipe at the batch size, or dispense the strongest pigments as pre-dispersions"
    )
    return (
        f"Rounding to {resolution_g:g} g moves a {size_g:g} g batch {rounding:.2f} ΔE00 from the recipe's drawdown, "
        f"over half the QC tolerance ({ROUNDING_BUDGET_DE00:g}): {advice}."
    )


def _gap_out(recipe: Recipe) -> GamutGapOut | None:
    return None if recipe.gap is None else GamutGapOut.model_validate(recipe.gap.to_dict())


def _recipe_lines(recipe: Recipe, library: BaseLibrary) -> list[RecipeLine]:
    return [
        RecipeLine(base=name, pigment=pigment, fraction=round(float(g) / recipe.size_g, 6), grams=round(float(g), 4))
        for name, pigment, g in zip(library.names, library.pigments, recipe.grams, strict=True)
    ]


def drawdown_out(conditions: DrawdownConditions) -> DrawdownOut:
    return DrawdownOut(
        wet_film_um=conditions.wet_film_um,
        applicator=f"film applicator laying a {conditions.wet_film_um:g} µm ({conditions.wet_film_um / 25.4:.1f} mil) "
        "wet film",
        chart=conditions.chart,
        black_reflectance=conditions.black_reflectance,
        white_reflectance=conditions.white_reflectance,
        measured=DRAWDOWN_MEASURED,
    )


def _measured_Lab(measurement: BatchMeasurementIn) -> np.ndarray:
    if measurement.spectrum is not None:
        spectrum = measurement.spectrum
        return reflectance_to_Lab_D65(spectrum.wavelengths_nm, spectrum.reflectance).Lab_D65
    if measurement.lab is None:  # BatchMeasurementIn requires one of them
        raise NotFound("The batch measurement has no colour.")
    return np.array([measurement.lab.L, measurement.lab.a, measurement.lab.b])


class FormulationService:
    """Recipes for the customer's measurements; the lab's view of them by id."""

    def __init__(
        self,
        repository: FormulationRepository,
        *,
        measurements: MeasurementService,
        shades: ShadeRepository,
        libraries: LibraryStore,
        limiter: anyio.CapacityLimiter,
        dispenser: DispenserLimits | None = None,
    ) -> None:
        self._repository = repository
        self._measurements = measurements
        self._shades = ShadeCache(shades)
        self.libraries = libraries
        self._limiter = limiter
        self.dispenser = dispenser or DispenserLimits()

    async def create_match(self, customer_id: str, request: MatchIn) -> FormulationOut:
        """Recipe for one of the customer's measurements (computed off the event loop) and the nearest shades."""
        measurement = await self._measurements.get(customer_id, request.measurement_id)
        target = [measurement.lab.L, measurement.lab.a, measurement.lab.b]
        library = self.libraries.resolve()
        recipe = await anyio.to_thread.run_sync(
            partial(predict_recipe, library, target, coverage=request.coverage, size_g=request.size_g,
                    resolution_g=RESOLUTION_G),
            limiter=self._limiter,
        )  # fmt: skip
        formulation = FormulationOut(
            id=new_id(FORMULATION_ID_PREFIX),
            created_at=datetime.now(UTC),
            measurement_id=request.measurement_id,
            library_version=recipe.library_version,
            coverage=recipe.coverage,
            size_g=recipe.size_g,
            resolution_g=recipe.resolution_g,
            recipe=_recipe_lines(recipe, library),
            vehicle_g=round(recipe.vehicle_g, 4),
            target_lab=lab_out(recipe.target_Lab_D65),
            predicted_lab=lab_out(recipe.predicted_Lab_D65),
            delta_E00=round(recipe.delta_E00, 3),
            metamerism_dE00={k: round(v, 3) for k, v in recipe.metamerism_dE00.items()},
            in_gamut=recipe.in_gamut,
            out_of_gamut=_gap_out(recipe),
            nearest_shades=_shades_out(await self._shades.current(), target),
        )
        await self._repository.add(customer_id, formulation.id, formulation.model_dump(mode="json"))
        return formulation

    async def get(self, customer_id: str, formulation_id: str) -> FormulationOut:
        """The customer's formulation; 404 otherwise (also for another customer's, and for a kept batch record)."""
        record = (
            await self._repository.get(customer_id, formulation_id)
            if is_valid_id(formulation_id, FORMULATION_ID_PREFIX)
            else None
        )
        if record is None or "kept" in record:
            raise NotFound(f"No formulation {formulation_id!r}.")
        return FormulationOut.model_validate(record)

    async def all_of(self, customer_id: str) -> tuple[list[FormulationOut], list[CorrectionOut]]:
        """Every formulation of the customer, oldest first, and every correction recorded with them."""
        formulations, corrections = [], []
        for formulation_id in await self._repository.ids(customer_id):
            formulations.append(await self.get(customer_id, formulation_id))
            corrections += [
                CorrectionOut.model_validate(c) for c in await self._repository.corrections(customer_id, formulation_id)
            ]
        return formulations, corrections

    async def ids_of(self, customer_id: str) -> list[str]:
        return await self._repository.ids(customer_id)

    async def batch_record(self, customer_id: str, formulation_id: str, *, kept_at: str) -> dict[str, Any]:
        """The customer's formulation as a batch record, kept after their erasure without their data."""
        record = await self._repository.get(customer_id, formulation_id)
        if record is None:
            raise NotFound(f"No formulation {formulation_id!r}.")
        return batch_record(record, kept_at=kept_at)

    async def _lab_lookup(self, formulation_id: str) -> tuple[str, LabFormulation]:
        found = (
            await self._repository.locate(formulation_id)
            if is_valid_id(formulation_id, FORMULATION_ID_PREFIX)
            else None
        )
        if found is None:
            raise NotFound(f"No formulation {formulation_id!r}.")
        owner, record = found
        return owner, LabFormulation.model_validate(record)

    async def batch_sheet(self, formulation_id: str, size_g: float) -> BatchSheetOut:
        """Grams per base for a batch size the dispenser makes (422 otherwise), in the order of addition, with the
        drawdown the batch should give over the chart's black and white and opaque (the recipe's exact fractions: the
        same at every size) and the masstone predicted for the rounded grams."""
        _, formulation = await self._lab_lookup(formulation_id)
        self.dispenser.check(size_g)
        library = self.libraries.resolve(formulation.library_version)
        targets = drawdown_targets(library, recipe_fractions(formulation), DEFAULT_DRAWDOWN)
        grams, vehicle, rounding, larger = await anyio.to_thread.run_sync(
            partial(_rounded_batch, formulation, size_g, library, self.dispenser, targets.conditions),
            limiter=self._limiter,
        )
        predicted = masstone_Lab(library, grams, size_g)
        return BatchSheetOut(
            formulation_id=formulation.id,
            library_version=formulation.library_version,
            coverage=formulation.coverage,
            size_g=size_g,
            resolution_g=formulation.resolution_g,
            bases=batch_lines(formulation, grams),
            vehicle_g=vehicle,
            order_of_addition=ORDER_OF_ADDITION,
            drawdown=drawdown_out(targets.conditions),
            target_over_black_lab=lab_out(targets.over_black_Lab),
            target_over_white_lab=lab_out(targets.over_white_Lab),
            contrast_ratio=round(targets.contrast_ratio, 4),
            target_masstone_lab=lab_out(targets.masstone_Lab),
            predicted_masstone_lab=lab_out(predicted),
            rounding_dE00=round(rounding, 3),
            rounding_within_budget=rounding <= ROUNDING_BUDGET_DE00,
            rounding_note=_rounding_note(rounding, size_g, larger, formulation.resolution_g),
            suggested_batch_g=larger,
            tolerance_dE00=TOLERANCE_DE00,
        )

    async def corrections(self, formulation_id: str) -> list[CorrectionOut]:
        """Every correction recorded for the formulation's batches, oldest first (also after the erasure of its
        customer: they are part of the batch record)."""
        owner, formulation = await self._lab_lookup(formulation_id)
        return [CorrectionOut.model_validate(c) for c in await self._repository.corrections(owner, formulation.id)]

    async def record_correction(self, formulation_id: str, measurement: BatchMeasurementIn) -> CorrectionOut:
        """Additions for a measured batch, recorded once per batch id; see ``correct``."""
        correction, _ = await self.correct(formulation_id, measurement)
        return correction

    async def correct(self, formulation_id: str, measurement: BatchMeasurementIn) -> tuple[CorrectionOut, bool]:
        """Additions for a measured batch, recorded with it; every correction is recorded, nothing is learnt
        silently. The same batch id and measurement again answer the recorded correction (second value True)
        without a second record; the same batch id with another measurement is a 409 ``batch_id_reused``. The
        measurement is compared with the target of its reading (``over``); another ``over`` is a 422."""
        over = check_over(measurement.over)
        owner, formulation = await self._lab_lookup(formulation_id)
        fingerprint = correction_fingerprint(formulation.id, measurement)
        seen = await self._repository.recorded_correction(owner, formulation.id, measurement.batch_id)
        if seen is not None:
            return self._replayed(measurement.batch_id, fingerprint, *seen), True
        library = self.libraries.resolve(formulation.library_version)
        targets = drawdown_targets(library, recipe_fractions(formulation), DEFAULT_DRAWDOWN)
        grams, _ = await anyio.to_thread.run_sync(
            partial(batch_grams, formulation, measurement.batch_g, library, targets.conditions), limiter=self._limiter
        )
        correction = await anyio.to_thread.run_sync(
            partial(
                correct_batch, library, grams, measurement.batch_g, _measured_Lab(measurement),
                resolution_g=formulation.resolution_g, target_Lab=targets.for_reading(over), over=over,
                conditions=targets.conditions,
            ),
            limiter=self._limiter,
        )  # fmt: skip
        out = CorrectionOut(
            formulation_id=formulation.id,
            batch_id=measurement.batch_id,
            recorded_at=datetime.now(UTC),
            over=over,
            measured_lab=lab_out(correction.measured_Lab_D65),
            target_lab=lab_out(correction.intended_Lab_D65),
            target_masstone_lab=lab_out(targets.masstone_Lab),
            delta_E00_before=round(correction.delta_E00_before, 3),
            passed=correction.within_tolerance_before,
            additions=[
                AdditionLine(
                    base=line.base,
                    pigment=line.pigment,
                    fraction=round(float(g) / measurement.batch_g, 6),
                    grams=round(float(g), 4),
                )
                for line, g in zip(formulation.recipe, correction.additions_g, strict=True)
                if g > 0
            ],
            predicted_delta_E00_after=round(correction.predicted_delta_E00_after, 3),
            within_tolerance_after=correction.within_tolerance_after,
            tolerance_dE00=TOLERANCE_DE00,
        )
        recorded = await self._repository.record_correction(
            owner, formulation.id, batch_id=out.batch_id, fingerprint=fingerprint, record=out.model_dump(mode="json")
        )
        if recorded.outcome == "missing" or recorded.record is None:
            raise NotFound(f"No formulation {formulation_id!r}.")  # erased while the correction was computed
        if recorded.outcome == "created":
            return out, False
        return self._replayed(out.batch_id, fingerprint, "" if recorded.outcome == "conflict" else fingerprint,
                              recorded.record), True  # fmt: skip

    @staticmethod
    def _replayed(batch_id: str, fingerprint: str, recorded_fingerprint: str, record: dict[str, Any]) -> CorrectionOut:
        if recorded_fingerprint != fingerprint:
            raise BatchIdReused(
                f"Batch {batch_id!r} already has a correction, recorded from another measurement.",
                hint="Give a new batch id to a new batch or a new measurement; the same request again answers the "
                "correction recorded.",
                extra={"batch_id": batch_id, "recorded_at": record.get("recorded_at")},
            )
        return CorrectionOut.model_validate(record)
