"""Formulations: a measurement becomes a recipe and the nearest shades; the lab's batch sheet and corrections."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio
import numpy as np

from api.errors import NotFound
from api.ids import is_valid_id, new_id
from api.measurement_service import MEASUREMENT_ID_PREFIX
from api.schemas import (
    BatchLine,
    BatchMeasurementIn,
    BatchSheetOut,
    CorrectionOut,
    FormulationOut,
    LabD65,
    MatchIn,
    RecipeLine,
    ShadeOut,
)
from api.store import FormulationRepository, MeasurementRepository, ShadeRepository
from catalog.appearance import Lab_under, film_reflectance
from catalog.bases import BaseLibrary
from catalog.correction import TOLERANCE_DE00, correct_batch
from catalog.packaged_data import house_shades
from catalog.recipe import Recipe, largest_remainder_steps, predict_recipe
from catalog.shades import Shade, ShadeIndex
from color.instrument import reflectance_to_Lab_D65
from color.skin_tone import undertone_from_hue

FORMULATION_ID_PREFIX = "fml"
LibraryResolver = Callable[[str], BaseLibrary]  # base library by version (lab-fitted or packaged)
NEAREST_SHADES = 5
RESOLUTION_G = 0.01
ORDER_OF_ADDITION = (
    "Weigh the clear vehicle first, then the white base, then the other bases from the largest amount to the "
    "smallest, mixing after each, so that small amounts disperse into an already pigmented paste."
)


def _lab(values: Any) -> LabD65:
    L, a, b = (round(float(v), 3) for v in values)
    return LabD65(L=L, a=a, b=b)


class ShadeCache:
    """The house range plus the imported catalogue as one vectorised index, rebuilt when an import lands."""

    def __init__(self) -> None:
        self.version = -1
        self.index = ShadeIndex(list(house_shades()))

    async def current(self, repository: ShadeRepository) -> ShadeIndex:
        version = await repository.version()
        if version != self.version:
            imported = [Shade(**{**row, "Lab_D65": tuple(row["Lab_D65"])}) for row in await repository.all()]
            self.index, self.version = ShadeIndex([*house_shades(), *imported]), version
        return self.index


def _shades_out(index: ShadeIndex, Lab: Any) -> list[ShadeOut]:
    out = []
    for match in index.nearest(Lab, NEAREST_SHADES):
        L, a, b = match.shade.Lab_D65
        out.append(
            ShadeOut(
                brand=match.shade.brand,
                product=match.shade.product,
                shade_name=match.shade.name,
                shade_code=match.shade.code,
                lab=_lab((L, a, b)),
                delta_E00=round(match.delta_E00, 3),
                undertone=undertone_from_hue(float(np.degrees(np.arctan2(b, a)))).value,
                approximate=match.shade.approximate,
            )
        )
    return out


def _recipe_lines(recipe: Recipe, library: BaseLibrary) -> list[RecipeLine]:
    return [
        RecipeLine(base=name, pigment=pigment, fraction=round(float(g) / recipe.size_g, 6), grams=round(float(g), 4))
        for name, pigment, g in zip(library.names, library.pigments, recipe.grams, strict=True)
    ]


async def create_match(
    customer_id: str,
    request: MatchIn,
    *,
    library: BaseLibrary,
    measurements: MeasurementRepository,
    formulations: FormulationRepository,
    shades: ShadeRepository,
    cache: ShadeCache,
    limiter: anyio.CapacityLimiter,
) -> FormulationOut:
    """Recipe for one of the customer's measurements (computed off the event loop) and the nearest shades."""
    record = (
        await measurements.get(customer_id, request.measurement_id)
        if is_valid_id(request.measurement_id, MEASUREMENT_ID_PREFIX)
        else None
    )
    if record is None:
        raise NotFound(f"No measurement {request.measurement_id!r}.")
    target = [record["lab"][k] for k in ("L", "a", "b")]
    recipe = await anyio.to_thread.run_sync(
        partial(predict_recipe, library, target, coverage=request.coverage, size_g=request.size_g,
                resolution_g=RESOLUTION_G),
        limiter=limiter,
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
        target_lab=_lab(recipe.target_Lab_D65),
        predicted_lab=_lab(recipe.predicted_Lab_D65),
        delta_E00=round(recipe.delta_E00, 3),
        metamerism_dE00={k: round(v, 3) for k, v in recipe.metamerism_dE00.items()},
        in_gamut=recipe.in_gamut,
        nearest_shades=_shades_out(await cache.current(shades), target),
    )
    await formulations.add(customer_id, formulation.id, formulation.model_dump(mode="json"))
    return formulation


async def get_formulation(repository: FormulationRepository, customer_id: str, formulation_id: str) -> FormulationOut:
    record = (
        await repository.get(customer_id, formulation_id)
        if is_valid_id(formulation_id, FORMULATION_ID_PREFIX)
        else None
    )
    if record is None:
        raise NotFound(f"No formulation {formulation_id!r}.")
    return FormulationOut.model_validate(record)


async def _lab_lookup(repository: FormulationRepository, formulation_id: str) -> tuple[str, FormulationOut]:
    owner = await repository.owner(formulation_id) if is_valid_id(formulation_id, FORMULATION_ID_PREFIX) else None
    if owner is None:
        raise NotFound(f"No formulation {formulation_id!r}.")
    return owner, await get_formulation(repository, owner, formulation_id)


def _batch_grams(formulation: FormulationOut, size_g: float) -> tuple[np.ndarray, float]:
    """Grams per base for another batch size: the fractions scaled, largest remainders keeping the total."""
    fractions = np.array([line.fraction for line in formulation.recipe])
    steps = largest_remainder_steps(fractions, round(fractions.sum() * size_g / formulation.resolution_g))
    grams = steps * formulation.resolution_g
    return grams, round(size_g - float(grams.sum()), 6)


def _intended_masstone(library: BaseLibrary, grams: np.ndarray, size_g: float) -> LabD65:
    return _lab(Lab_under(library.wavelengths_nm, film_reflectance(library, grams / size_g, "full", None)))


async def batch_sheet(
    repository: FormulationRepository, formulation_id: str, size_g: float, *, libraries: LibraryResolver
) -> BatchSheetOut:
    _, formulation = await _lab_lookup(repository, formulation_id)
    library = libraries(formulation.library_version)
    grams, vehicle = _batch_grams(formulation, size_g)
    order = [0, *sorted(range(1, len(grams)), key=lambda i: -grams[i])]
    return BatchSheetOut(
        formulation_id=formulation.id,
        library_version=formulation.library_version,
        coverage=formulation.coverage,
        size_g=size_g,
        resolution_g=formulation.resolution_g,
        bases=[
            BatchLine(
                order=rank + 1,
                base=formulation.recipe[i].base,
                pigment=formulation.recipe[i].pigment,
                grams=round(float(grams[i]), 4),
            )
            for rank, i in enumerate(order)
        ],
        vehicle_g=vehicle,
        order_of_addition=ORDER_OF_ADDITION,
        target_masstone_lab=_intended_masstone(library, grams, size_g),
        tolerance_dE00=TOLERANCE_DE00,
    )


async def record_correction(
    repository: FormulationRepository,
    formulation_id: str,
    measurement: BatchMeasurementIn,
    *,
    limiter: anyio.CapacityLimiter,
    libraries: LibraryResolver,
) -> CorrectionOut:
    """Additions for a measured batch; every correction is recorded with its batch, nothing is learnt silently."""
    owner, formulation = await _lab_lookup(repository, formulation_id)
    grams, _ = _batch_grams(formulation, measurement.batch_g)
    if measurement.spectrum is not None:
        measured = reflectance_to_Lab_D65(measurement.spectrum.wavelengths_nm, measurement.spectrum.reflectance).Lab_D65
    elif measurement.lab is not None:
        measured = np.array([measurement.lab.L, measurement.lab.a, measurement.lab.b])
    else:  # BatchMeasurementIn requires one of them
        raise NotFound("The batch measurement has no colour.")
    library = libraries(formulation.library_version)
    correction = await anyio.to_thread.run_sync(
        partial(correct_batch, library, grams, measurement.batch_g, measured, resolution_g=formulation.resolution_g),
        limiter=limiter,
    )
    out = CorrectionOut(
        formulation_id=formulation.id,
        batch_id=measurement.batch_id,
        recorded_at=datetime.now(UTC),
        measured_lab=_lab(correction.measured_Lab_D65),
        target_masstone_lab=_lab(correction.intended_Lab_D65),
        delta_E00_before=round(correction.delta_E00_before, 3),
        passed=correction.within_tolerance_before,
        additions=[
            RecipeLine(base=line.base, pigment=line.pigment, fraction=0.0, grams=round(float(g), 4))
            for line, g in zip(formulation.recipe, correction.additions_g, strict=True)
            if g > 0
        ],
        predicted_delta_E00_after=round(correction.predicted_delta_E00_after, 3),
        within_tolerance_after=correction.within_tolerance_after,
        tolerance_dE00=TOLERANCE_DE00,
    )
    await repository.add_correction(owner, formulation.id, out.model_dump(mode="json"))
    return out
