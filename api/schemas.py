"""Request and response models of the HTTP API (pydantic). Colours state their space, white and observer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ConsentVersion = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]


class LabD65(BaseModel):
    """CIE 1976 L*a*b*."""

    model_config = ConfigDict(extra="forbid")

    L: float = Field(ge=0, le=100, allow_inf_nan=False, description="Lightness L*")
    a: float = Field(ge=-128, le=128, allow_inf_nan=False, description="a* (green to red)")
    b: float = Field(ge=-128, le=128, allow_inf_nan=False, description="b* (blue to yellow)")


class ColourSpace(BaseModel):
    space: str = "CIE 1976 L*a*b*"
    white_point: str = "D65"
    observer: str = "CIE 1931 2°"


class Spectrum(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wavelengths_nm: list[float] = Field(min_length=3, max_length=2000)
    reflectance: list[float] = Field(min_length=3, max_length=2000, description="Reflectance factor, 0-1")


class InstrumentReadingIn(BaseModel):
    """A reading from a colorimeter or spectrophotometer: L*a*b* with its illuminant and observer, or a spectrum."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["instrument"]
    instrument: str = Field(min_length=1, max_length=100, description="Make and model of the instrument")
    consent: ConsentVersion = Field(description="Version of the privacy notice the customer accepted")
    lab: LabD65 | None = Field(default=None, description="L*a*b* under `illuminant` with `observer`")
    illuminant: str = Field(default="D65", max_length=16)
    observer: Literal["2", "10"] = "2"
    spectrum: Spectrum | None = None

    @model_validator(mode="after")
    def _one_colour(self) -> InstrumentReadingIn:
        if (self.lab is None) == (self.spectrum is None):
            raise ValueError("give exactly one of `lab` or `spectrum`")
        return self


class SkinToneOut(BaseModel):
    ita_deg: float = Field(description="Individual Typology Angle, degrees (Chardon 1991)")
    ita_class: str = Field(description="Del Bino & Bernerd (2013) class")
    hue_deg: float = Field(description="CIELAB hue angle h_ab, degrees")
    chroma: float = Field(description="CIELAB chroma C*_ab")
    undertone: Literal["cool", "neutral", "warm"]
    monk_tone: int = Field(ge=1, le=10, description="Nearest Monk Skin Tone swatch by CIEDE2000")
    monk_delta_E00: float


class InstrumentInfo(BaseModel):
    name: str
    illuminant: str | None
    observer: str | None
    conversion: str


class SceneWhiteOut(BaseModel):
    as_shot_xy: list[float] = Field(description="CIE 1931 xy of the card's white as the phone rendered it (sRGB)")
    as_shot_cct_K: float | None = Field(description="Correlated colour temperature of that white (McCamy 1992)")


class CalibrationOut(BaseModel):
    card_id: str
    card_batch: str
    model: str = Field(description="Colour correction chosen by leave-one-out ΔE00 on the card's skin patches")
    residual_dE00_median: float
    loo_dE00_median: float
    loo_skin_dE00_rms: float
    models_loo_skin_dE00: dict[str, float]
    scene_white: SceneWhiteOut
    mirrored_photo: bool


class RegionOut(BaseModel):
    name: str
    lab: LabD65
    pixels: int
    skin_pixels: int
    spread_dE00: float


class QualityCheckOut(BaseModel):
    check: str
    passed: bool
    value: float | None
    limit: float | None
    detail: str


class MeasurementOut(BaseModel):
    id: str
    source: Literal["photo", "instrument"]
    created_at: datetime
    consent: str
    lab: LabD65
    colour_space: ColourSpace = ColourSpace()
    uncertainty_dE00: float | None = Field(
        default=None, description="95 % radius of the error, CIEDE2000; null when the instrument states none"
    )
    skin_tone: SkinToneOut
    instrument: InstrumentInfo | None = None
    calibration: CalibrationOut | None = None
    regions: list[RegionOut] | None = None
    cheek_difference_dE00: float | None = None
    quality: list[QualityCheckOut] | None = None


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


class MeasurementPage(BaseModel):
    items: list[MeasurementOut]
    next_cursor: str | None = Field(description="Pass as `before` to get the next (older) page")
