"""Formulations: a measurement becomes a recipe and the nearest shades; the lab's batch sheet and corrections.

Recipes and corrections are computed by ``catalog`` in worker threads (they hold the GIL for a few hundred
milliseconds); this service stores the numbers and maps the core's results to the response schemas.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio
import numpy as np

from api.errors import NotFound
from api.formulations.schemas import (
    BatchLine,
    BatchMeasurementIn,
    BatchSheetOut,
    CorrectionOut,
    FormulationOut,
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
from catalog.packaged_data import house_shades
from catalog.recipe import Recipe, grams_for_batch, predict_recipe
from catalog.shades import Shade, ShadeIndex
from color.instrument import reflectance_to_Lab_D65
from color.skin_tone import undertone_from_Lab

NEAREST_SHADES = 5
RESOLUTION_G = 0.01
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


def _recipe_lines(recipe: Recipe, library: BaseLibrary) -> list[RecipeLine]:
    return [
        RecipeLine(base=name, pigment=pigment, fraction=round(float(g) / recipe.size_g, 6), grams=round(float(g), 4))
        for name, pigment, g in zip(library.names, library.pigments, recipe.grams, strict=True)
    ]


def _batch_grams(formulation: FormulationOut, size_g: float) -> tuple[np.ndarray, float]:
    return grams_for_batch([line.fraction for line in formulation.recipe], size_g, formulation.resolution_g)


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
    ) -> None:
        self._repository = repository
        self._measurements = measurements
        self._shades = ShadeCache(shades)
        self.libraries = libraries
        self._limiter = limiter

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
            nearest_shades=_shades_out(await self._shades.current(), target),
        )
        await self._repository.add(customer_id, formulation.id, formulation.model_dump(mode="json"))
        return formulation

    async def get(self, customer_id: str, formulation_id: str) -> FormulationOut:
        """The customer's formulation; 404 otherwise (also for another customer's)."""
        record = (
            await self._repository.get(customer_id, formulation_id)
            if is_valid_id(formulation_id, FORMULATION_ID_PREFIX)
            else None
        )
        if record is None:
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

    async def _lab_lookup(self, formulation_id: str) -> tuple[str, FormulationOut]:
        owner = (
            await self._repository.owner(formulation_id) if is_valid_id(formulation_id, FORMULATION_ID_PREFIX) else None
        )
        if owner is None:
            raise NotFound(f"No formulation {formulation_id!r}.")
        return owner, await self.get(owner, formulation_id)

    async def batch_sheet(self, formulation_id: str, size_g: float) -> BatchSheetOut:
        """Grams per base for a batch size, in the order of addition, with the masstone the batch should have."""
        _, formulation = await self._lab_lookup(formulation_id)
        library = self.libraries.resolve(formulation.library_version)
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
            target_masstone_lab=lab_out(masstone_Lab(library, grams, size_g)),
            tolerance_dE00=TOLERANCE_DE00,
        )

    async def record_correction(self, formulation_id: str, measurement: BatchMeasurementIn) -> CorrectionOut:
        """Additions for a measured batch; every correction is recorded with its batch, nothing is learnt silently."""
        owner, formulation = await self._lab_lookup(formulation_id)
        grams, _ = _batch_grams(formulation, measurement.batch_g)
        if measurement.spectrum is not None:
            spectrum = measurement.spectrum
            measured = reflectance_to_Lab_D65(spectrum.wavelengths_nm, spectrum.reflectance).Lab_D65
        elif measurement.lab is not None:
            measured = np.array([measurement.lab.L, measurement.lab.a, measurement.lab.b])
        else:  # BatchMeasurementIn requires one of them
            raise NotFound("The batch measurement has no colour.")
        library = self.libraries.resolve(formulation.library_version)
        correction = await anyio.to_thread.run_sync(
            partial(
                correct_batch, library, grams, measurement.batch_g, measured, resolution_g=formulation.resolution_g
            ),
            limiter=self._limiter,
        )
        out = CorrectionOut(
            formulation_id=formulation.id,
            batch_id=measurement.batch_id,
            recorded_at=datetime.now(UTC),
            measured_lab=lab_out(correction.measured_Lab_D65),
            target_masstone_lab=lab_out(correction.intended_Lab_D65),
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
        await self._repository.add_correction(owner, formulation.id, out.model_dump(mode="json"))
        return out
