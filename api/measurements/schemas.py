"""Request and response models of measurements. Colours state their space, white and observer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.schemas import ColourSpace, LabD65, Spectrum

ConsentVersion = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]


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


class PhotoResultOut(BaseModel):
    """What one photo says: the skin colour with its uncertainty, the calibration, each region, every check."""

    lab: LabD65
    colour_space: ColourSpace = ColourSpace()
    uncertainty_dE00: float = Field(description="95 % radius of the error, CIEDE2000")
    skin_tone: SkinToneOut
    calibration: CalibrationOut
    regions: list[RegionOut]
    cheek_difference_dE00: float
    quality: list[QualityCheckOut]


InputMode = Literal["whole_photo", "crops"]


class MeasurementOut(BaseModel):
    id: str
    source: Literal["photo", "instrument"]
    input_mode: InputMode | None = Field(
        default=None,
        description=(
            "How a photo came: `whole_photo`, or `crops` (the card and the skin regions cut from one photo on the "
            "device; the face never sent). Null for instrument readings."
        ),
    )
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


class MeasurementPage(BaseModel):
    items: list[MeasurementOut]
    next_cursor: str | None = Field(description="Pass as `before` to get the next (older) page")
