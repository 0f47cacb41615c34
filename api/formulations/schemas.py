"""Request and response models of matches, formulations and the lab's batch sheets and corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas import ColourSpace, LabD65, Spectrum


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measurement_id: str = Field(min_length=1, max_length=64)
    coverage: Literal["sheer", "medium", "full"] = "medium"
    size_g: float = Field(default=30.0, ge=5.0, le=200.0, allow_inf_nan=False, description="Bottle size, grams")


class RecipeLine(BaseModel):
    base: str
    pigment: str
    fraction: float = Field(description="Mass fraction of the base in the foundation")
    grams: float


class ShadeOut(BaseModel):
    brand: str
    product: str
    shade_name: str
    shade_code: str
    lab: LabD65
    delta_E00: float
    undertone: Literal["cool", "neutral", "warm"]
    approximate: bool = Field(description="True when the shade's colour was sampled from images, not measured")


class FormulationOut(BaseModel):
    id: str
    created_at: datetime
    measurement_id: str
    library_version: str
    coverage: Literal["sheer", "medium", "full"]
    size_g: float
    resolution_g: float
    recipe: list[RecipeLine]
    vehicle_g: float
    target_lab: LabD65
    predicted_lab: LabD65 = Field(description="The foundation film over the customer's skin, D65")
    colour_space: ColourSpace = ColourSpace()
    delta_E00: float
    metamerism_dE00: dict[str, float] = Field(description="ΔE00 on skin against bare skin under each light")
    in_gamut: bool
    nearest_shades: list[ShadeOut]


class BatchLine(BaseModel):
    order: int
    base: str
    pigment: str
    grams: float


class BatchSheetOut(BaseModel):
    formulation_id: str
    library_version: str
    coverage: str
    size_g: float
    resolution_g: float
    bases: list[BatchLine]
    vehicle_g: float
    order_of_addition: str
    target_masstone_lab: LabD65 = Field(description="What an opaque drawdown of the batch should measure, D65")
    tolerance_dE00: float


class BatchMeasurementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_g: float = Field(gt=0, le=10_000, allow_inf_nan=False, description="Mass of the batch measured")
    lab: LabD65 | None = Field(default=None, description="Masstone of the batch (opaque drawdown), D65")
    spectrum: Spectrum | None = None
    batch_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")

    @model_validator(mode="after")
    def _one_colour(self) -> BatchMeasurementIn:
        if (self.lab is None) == (self.spectrum is None):
            raise ValueError("give exactly one of `lab` or `spectrum`")
        return self


class CorrectionOut(BaseModel):
    formulation_id: str
    batch_id: str
    recorded_at: datetime
    measured_lab: LabD65
    target_masstone_lab: LabD65
    delta_E00_before: float
    passed: bool
    additions: list[RecipeLine]
    predicted_delta_E00_after: float
    within_tolerance_after: bool
    tolerance_dE00: float
