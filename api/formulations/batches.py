"""The lab's side of a formulation: the batch sizes the dispenser makes, a batch sheet's lines, the batch record
kept after the customer's erasure, and the fingerprint that makes a correction idempotent per batch id."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from api.errors import BatchSizeNotMakeable
from api.formulations.schemas import BatchLine, BatchMeasurementIn, LabFormulation
from catalog.bases import BaseLibrary
from catalog.correction import TOLERANCE_DE00
from catalog.correction import batch_grams as rounded_batch_grams
from catalog.drawdown_targets import DEFAULT_OVER, DrawdownConditions, drawdown_Lab
from color.colorimetry import delta_E00_between

# Why a formulation outlives its customer's erasure: Regulation (EC) No 1223/2009 on cosmetic products requires
# manufacture under good manufacturing practice (Art. 8; EN ISO 22716, whose batch records let a product be traced)
# and a product information file kept for ten years after the last batch was placed on the market (Art. 11).
BATCH_RECORD_REASON = (
    "cosmetics batch traceability: Regulation (EC) No 1223/2009 Art. 8 (good manufacturing practice, EN ISO 22716 "
    "batch records) and Art. 11 (kept ten years after the last batch is placed on the market)"
)
ORDER_RECORD_REASON = "accounting: the sale and its delivery are kept as a business record"
# The formulation fields a batch record keeps: what the lab weighs and checks, nothing about the person (the skin
# colour it was made for, the measurement, the prediction on skin and the nearest shades go).
BATCH_RECORD_FIELDS = tuple(LabFormulation.model_fields)
STEP_SLACK = 1e-6  # relative: a size within this of a whole number of steps is one (float division)
# Rounding may take at most half the QC tolerance; the other half is for weighing, dispersing and measuring.
ROUNDING_BUDGET_DE00 = TOLERANCE_DE00 / 2
LARGER_BATCH_FACTORS = (2, 4, 8)  # larger sizes tried for a batch whose rounding is over budget


@dataclass(frozen=True)
class DispenserLimits:
    """The batch sizes the lab's dispenser makes: from ``min_g`` to ``max_g`` grams in whole steps of ``step_g``."""

    min_g: float = 15.0
    max_g: float = 5000.0
    step_g: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.min_g <= self.max_g or self.step_g <= 0:
            raise ValueError("batch sizes need 0 < minimum ≤ maximum and a positive step")

    def check(self, size_g: float) -> float:
        """``size_g`` if the dispenser makes it, else ``BatchSizeNotMakeable`` (422) saying what it makes."""
        steps = size_g / self.step_g
        whole = math.isfinite(steps) and abs(steps - round(steps)) <= STEP_SLACK * max(1.0, abs(steps))
        if self.min_g <= size_g <= self.max_g and whole:
            return size_g
        raise BatchSizeNotMakeable(
            f"The dispenser makes batches of {self.min_g:g} to {self.max_g:g} g in steps of {self.step_g:g} g, "
            f"not {size_g:g} g.",
            hint=f"Ask for a size between {self.min_g:g} and {self.max_g:g} g, a multiple of {self.step_g:g} g.",
            extra={"min_g": self.min_g, "max_g": self.max_g, "step_g": self.step_g},
        )


def recipe_fractions(formulation: LabFormulation) -> NDArray[np.float64]:
    return np.array([line.fraction for line in formulation.recipe], dtype=np.float64)


def batch_grams(
    formulation: LabFormulation, size_g: float, library: BaseLibrary, conditions: DrawdownConditions
) -> tuple[NDArray[np.float64], float]:
    """Grams per base for a batch of ``size_g`` on the formulation's resolution, rounded so that its drawdowns stay
    nearest the recipe's (``catalog.correction.batch_grams``), and the vehicle's grams."""
    return rounded_batch_grams(library, recipe_fractions(formulation), size_g, formulation.resolution_g, conditions)


def rounding_dE00(
    formulation: LabFormulation,
    grams: NDArray[np.float64],
    size_g: float,
    library: BaseLibrary,
    conditions: DrawdownConditions,
) -> float:
    """The worst CIEDE2000, over the three drawdown readings, between the batch's rounded grams and the exact recipe."""
    exact, batch = recipe_fractions(formulation), grams / size_g
    return max(
        delta_E00_between(
            drawdown_Lab(library, batch, over, conditions), drawdown_Lab(library, exact, over, conditions)
        )
        for over in ("black", "white", "opaque")
    )


def smallest_batch_within_budget(
    formulation: LabFormulation,
    size_g: float,
    library: BaseLibrary,
    dispenser: DispenserLimits,
    conditions: DrawdownConditions,
) -> float | None:
    """The first of 2, 4 and 8 times ``size_g`` (on the dispenser's steps, within its maximum) whose rounding keeps
    within ``ROUNDING_BUDGET_DE00``; None when none does."""
    for factor in LARGER_BATCH_FACTORS:
        larger = min(math.ceil(size_g * factor / dispenser.step_g) * dispenser.step_g, dispenser.max_g)
        grams, _ = batch_grams(formulation, larger, library, conditions)
        if rounding_dE00(formulation, grams, larger, library, conditions) <= ROUNDING_BUDGET_DE00:
            return larger
        if larger >= dispenser.max_g:
            break
    return None


def batch_lines(formulation: LabFormulation, grams: NDArray[np.float64]) -> list[BatchLine]:
    """The bases to weigh, in the order of addition: the white first, then the others from the largest amount to
    the smallest; a base with no grams at this size is left out."""
    used = [i for i in range(len(grams)) if grams[i] > 0]
    ordered = sorted(used, key=lambda i: (formulation.recipe[i].base != "white", -grams[i]))
    return [
        BatchLine(
            order=rank + 1,
            base=formulation.recipe[i].base,
            pigment=formulation.recipe[i].pigment,
            grams=round(float(grams[i]), 4),
        )
        for rank, i in enumerate(ordered)
    ]


def batch_record(formulation: dict[str, Any], *, kept_at: str) -> dict[str, Any]:
    """The formulation as kept after its customer's erasure: what the lab needs and why it is kept."""
    kept = {name: formulation[name] for name in BATCH_RECORD_FIELDS if name in formulation}
    return kept | {"kept": {"at": kept_at, "reason": BATCH_RECORD_REASON}}


def correction_fingerprint(formulation_id: str, measurement: BatchMeasurementIn) -> str:
    """SHA-256 of the canonical correction request: the same batch id with another body is another request. A
    reading of the default ``over`` hashes as the request did before ``over`` existed, so that replaying a correction
    recorded then answers it rather than a 409."""
    body = measurement.model_dump(mode="json")
    if body.get("over") == DEFAULT_OVER:
        del body["over"]
    canonical = json.dumps(
        {"formulation": formulation_id, "body": body},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
