"""Request and response models of measurements. Colours state their space, white and observer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from api.measurements.region_schemas import LEFT_RIGHT_EXAMPLE, REGION_EXAMPLE, LeftRightOut, RegionOut
from api.schemas import ColourSpace, LabD65, Spectrum

ConsentVersion = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]
SKIN_CROP_PART = r"^skin_crop_[A-Za-z0-9_]{1,32}$"
IMAGE_PART_TYPES = "image/png, image/jpeg, image/heic"

READING_EXAMPLE: JsonDict = {
    "source": "instrument",
    "instrument": "X-Rite Capsure",
    "consent": "2024-05",
    "lab": {"L": 58.2, "a": 12.4, "b": 17.9},
    "illuminant": "D65",
    "observer": "2",
}
SKIN_TONE_EXAMPLE: JsonDict = {
    "ita_deg": 24.6,
    "ita_class": "tan",
    "hue_deg": 55.3,
    "chroma": 21.78,
    "undertone": "warm",
    "monk_tone": 5,
    "monk_delta_E00": 2.41,
}
CALIBRATION_EXAMPLE: JsonDict = {
    "card_id": "tm-skin-v1",
    "card_batch": "nominal",
    "model": "root_polynomial_2_Finlayson2015",
    "residual_dE00_median": 0.412,
    "loo_dE00_median": 0.655,
    "loo_skin_dE00_rms": 0.731,
    "models_loo_skin_dE00": {
        "matrix_3x3_Cheung2004": 0.982,
        "matrix_3x3_offset_Cheung2004": 0.874,
        "root_polynomial_2_Finlayson2015": 0.731,
    },
    "scene_white": {"as_shot_xy": [0.3221, 0.3379], "as_shot_cct_K": 5980},
    "mirrored_photo": False,
}
QUALITY_EXAMPLE: JsonDict = {
    "check": "card_found",
    "passed": True,
    "value": 4.0,
    "limit": 4.0,
    "detail": "markers [0, 1, 2, 3]",
}
SKIN_INDICES_EXAMPLE: JsonDict = {
    "melanin_od": 0.118,
    "melanin_od_95": 0.061,
    "erythema_uM_cm": 0.42,
    "erythema_uM_cm_95": 1.35,
    "off_model_dE00": 0.83,
}
PHOTO_MEASUREMENT_EXAMPLE: JsonDict = {
    "id": "msr_0190c5a8e2b1a9f3c2d4e5f60718",
    "source": "photo",
    "input_mode": "whole_photo",
    "created_at": "2025-06-01T09:30:00Z",
    "consent": "2024-05",
    "lab": {"L": 58.2, "a": 12.4, "b": 17.9},
    "colour_space": {"space": "CIE 1976 L*a*b*", "white_point": "D65", "observer": "CIE 1931 2°"},
    "uncertainty_dE00": 1.9,
    "lab_95": {"L": 1.69, "a": 1.33, "b": 1.78, "ita_deg": 4.54},
    "skin_tone": SKIN_TONE_EXAMPLE,
    "skin_indices": SKIN_INDICES_EXAMPLE,
    "instrument": None,
    "calibration": CALIBRATION_EXAMPLE,
    "regions": [REGION_EXAMPLE, {**REGION_EXAMPLE, "name": "right_cheek", "lab": {"L": 58.0, "a": 12.7, "b": 18.2}}],
    "cheek_difference_dE00": 0.74,
    "left_right": LEFT_RIGHT_EXAMPLE,
    "quality": [QUALITY_EXAMPLE],
}
INSTRUMENT_MEASUREMENT_EXAMPLE: JsonDict = {
    "id": "msr_0190c5a8e2b2b0c1d2e3f4a5b607",
    "source": "instrument",
    "input_mode": None,
    "created_at": "2025-06-01T09:31:00Z",
    "consent": "2024-05",
    "lab": {"L": 58.2, "a": 12.4, "b": 17.9},
    "colour_space": {"space": "CIE 1976 L*a*b*", "white_point": "D65", "observer": "CIE 1931 2°"},
    "uncertainty_dE00": None,
    "lab_95": None,
    "skin_tone": SKIN_TONE_EXAMPLE,
    "skin_indices": {**SKIN_INDICES_EXAMPLE, "melanin_od_95": None, "erythema_uM_cm_95": None},
    "instrument": {
        "name": "X-Rite Capsure",
        "illuminant": "D65",
        "observer": "2",
        "conversion": "none (already D65, 2°)",
    },
    "calibration": None,
    "regions": None,
    "cheek_difference_dE00": None,
    "left_right": None,
    "quality": None,
}


class InstrumentReadingIn(BaseModel):
    """A reading from a colorimeter or spectrophotometer: L*a*b* under its illuminant and observer (converted to
    D65/2° with a stated chromatic adaptation), or a reflectance spectrum (integrated under D65/2°). Exactly one of
    ``lab`` and ``spectrum``; a colour no skin has is refused (422 ``not_skin_colour``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [READING_EXAMPLE]})

    source: Literal["instrument"] = Field(description="Always `instrument` for a JSON reading")
    instrument: str = Field(min_length=1, max_length=100, description="Make and model of the instrument")
    consent: ConsentVersion = Field(description="Version of the privacy notice the customer accepted")
    lab: LabD65 | None = Field(default=None, description="L*a*b* under `illuminant` with `observer`")
    illuminant: str = Field(default="D65", max_length=16, description="Illuminant of `lab`: D65, D50, A, F2, F11, ...")
    observer: Literal["2", "10"] = Field(default="2", description="Standard observer of `lab`, degrees")
    spectrum: Spectrum | None = Field(default=None, description="Reflectance spectrum, instead of `lab`")

    @model_validator(mode="after")
    def _one_colour(self) -> InstrumentReadingIn:
        if (self.lab is None) == (self.spectrum is None):
            raise ValueError("give exactly one of `lab` or `spectrum`")
        return self


class MeasurementForm(BaseModel):
    """A photo to measure (``multipart/form-data``), sent one of two ways, each with ``consent`` and optionally
    ``card``. **Whole photo**: ``photo`` (the face next to the reference card) and optionally ``regions``.
    **Crops** (the face never leaves the phone): ``crops``, ``card_crop`` and one ``skin_crop_<name>`` part per
    skin region, cut from one photo on the device; PNG recommended (lossless). Parts of both ways at once are
    refused (400); crops that are not one photo's card and skin are refused (422 ``invalid_crops``,
    ``crop_too_large``). Images are measured in memory and never stored."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"photo": "(binary JPEG)", "consent": "2024-05", "card": "tm-skin-v1"},
                {
                    "crops": '{"frame_size": [4032, 3024], "card": {"part": "card_crop", "x": 2310, "y": 1604, '
                    '"width": 1180, "height": 820}, "skin": [{"part": "skin_crop_1", "name": "left_cheek", '
                    '"x": 1050, "y": 1400, "width": 94, "height": 89, "polygon": [[1053, 1420], [1090, 1402], '
                    "[1140, 1470], [1060, 1486]]}]}",
                    "card_crop": "(binary PNG)",
                    "skin_crop_1": "(binary PNG)",
                    "consent": "2024-05",
                },
            ],
            "patternProperties": {SKIN_CROP_PART: {"type": "string", "contentMediaType": "image/png"}},
        },
    )

    consent: ConsentVersion = Field(description="Version of the privacy notice the customer accepted")
    card: str | SkipJsonSchema[None] = Field(
        default=None,
        max_length=80,
        description=(
            "The card in the photo: `tm-skin-v1` (its print batch read from its markers), `tm-skin-v1@batch` "
            "(refused with `card_batch_mismatch` if the card is of another batch) or `colorchecker-classic-24`"
        ),
    )
    photo: bytes | SkipJsonSchema[None] = Field(
        default=None, description="Whole photo: JPEG, PNG or HEIC of the face next to the reference card"
    )
    regions: str | SkipJsonSchema[None] = Field(
        default=None,
        description=(
            'Whole photo, optional: JSON `[{"name": "left_cheek", "polygon": [[x, y], ...]}]`, pixels of the '
            "upright photo, at most 8 regions. Without it the server finds the face and places the cheeks."
        ),
    )
    crops: str | SkipJsonSchema[None] = Field(
        default=None,
        description=(
            "Crops: JSON placing them in the upright photo: `frame_size` [w, h], `card` {`part`: `card_crop`, `x`, "
            "`y`, `width`, `height`} and `skin` [{`part`: `skin_crop_1`, `name`, `x`, `y`, `width`, `height`, "
            "`polygon`}] (pixels of the photo)"
        ),
    )
    card_crop: bytes | SkipJsonSchema[None] = Field(
        default=None, description="Crops: the card with a small margin (PNG or JPEG)"
    )
    skin_crop_1: bytes | SkipJsonSchema[None] = Field(
        default=None, description="Crops: a skin region's crop; one `skin_crop_<name>` part per region in `crops`"
    )


class SkinToneOut(BaseModel):
    """What the skin colour says in the usual skin-tone terms: ITA° and its class, hue, chroma, undertone, and
    the nearest Monk Skin Tone swatch."""

    ita_deg: float = Field(description="Individual Typology Angle, degrees (Chardon 1991)")
    ita_class: str = Field(description="Del Bino & Bernerd (2013) class")
    hue_deg: float = Field(description="CIELAB hue angle h_ab, degrees")
    chroma: float = Field(description="CIELAB chroma C*_ab")
    undertone: Literal["cool", "neutral", "warm"]
    monk_tone: int = Field(ge=1, le=10, description="Nearest Monk Skin Tone swatch by CIEDE2000")
    monk_delta_E00: float


class LabHalfWidthsOut(BaseModel):
    """95 % half-widths of each coordinate of the measured colour, each taken on its own: from the error's
    covariance in CIELAB (the calibration's spread, and the light on the skin against the card's, which moves
    mostly L*), so a change in one coordinate between two measurements is judged against its own noise."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"L": 1.69, "a": 1.33, "b": 1.78, "ita_deg": 4.54}]})

    L: float = Field(ge=0, description="L* half-width")
    a: float = Field(ge=0, description="a* half-width")
    b: float = Field(ge=0, description="b* half-width")
    ita_deg: float = Field(ge=0, description="ITA° half-width, degrees")


class SkinIndicesOut(BaseModel):
    """Melanin and erythema (redness) indices of the measured skin (``color.skin_indices``): epidermal melanin and
    dermal blood added to or taken from a reference skin (the mean of the skin prior's spectra) that best explain
    the colour (Beer-Lambert through each layer, haemoglobin absorption after Prahl 1999). Relative units: 0 is the
    reference skin, negative lighter or paler."""

    melanin_od: float = Field(
        description="Melanin index: optical density at 500 nm (one pass) relative to the reference"
    )
    melanin_od_95: float | None = Field(
        description="95 % half-width of the melanin index from the stated colour uncertainty; null when none is stated"
    )
    erythema_uM_cm: float = Field(description="Erythema index: haemoglobin, µM·cm (concentration × path), relative")
    erythema_uM_cm_95: float | None = Field(
        description="95 % half-width of the erythema index from the stated colour uncertainty; null when none is stated"
    )
    off_model_dE00: float = Field(
        description="CIEDE2000 from the colour to the model's nearest: large means the indices describe it poorly"
    )


class InstrumentInfo(BaseModel):
    """The instrument a reading came from and how its L*a*b* was brought to D65/2°."""

    name: str = Field(description="Make and model, as sent")
    illuminant: str | None = Field(description="Illuminant of the reading; null for a spectrum")
    observer: str | None = Field(description="Observer of the reading, degrees; null for a spectrum")
    conversion: str = Field(description="The chromatic adaptation applied, or how the spectrum was integrated")


class SceneWhiteOut(BaseModel):
    """The colour of the light the photo was taken in, as the card's white patch shows it."""

    as_shot_xy: list[float] = Field(description="CIE 1931 xy of the card's white as the phone rendered it (sRGB)")
    as_shot_cct_K: float | None = Field(description="Correlated colour temperature of that white (McCamy 1992)")


class CalibrationOut(BaseModel):
    """How the photo was calibrated on the card: the card, the colour correction chosen and how well it fits."""

    card_id: str = Field(description="The reference card found in the photo")
    card_batch: str = Field(description="Its print batch, whose measured patch spectra were used")
    model: str = Field(description="Colour correction chosen by leave-one-out ΔE00 on the card's skin patches")
    residual_dE00_median: float = Field(description="Median CIEDE2000 of the card's patches after correction")
    loo_dE00_median: float = Field(description="The same, each patch left out of the fit (leave-one-out)")
    loo_skin_dE00_rms: float = Field(description="RMS leave-one-out CIEDE2000 on the card's skin-like patches")
    models_loo_skin_dE00: dict[str, float] = Field(description="That figure for every correction model tried")
    scene_white: SceneWhiteOut
    mirrored_photo: bool = Field(description="True when the photo was mirrored (a selfie) and read the right way")


class QualityCheckOut(BaseModel):
    """One photo check: what was measured against which limit, and whether it passed."""

    check: str = Field(description="The check's name (`card_found`, `glare_on_card`, ...)")
    passed: bool
    value: float | None = Field(description="What was measured, in the check's unit")
    limit: float | None = Field(description="The limit it is held to")
    detail: str = Field(description="The value in words")


class PhotoResultOut(BaseModel):
    """What one photo says: the skin colour with its uncertainty, the calibration, each region, every check."""

    lab: LabD65
    colour_space: ColourSpace = ColourSpace()
    uncertainty_dE00: float = Field(description="95 % radius of the error, CIEDE2000")
    lab_95: LabHalfWidthsOut = Field(description="95 % half-widths of L*, a*, b* and ITA°, each on its own")
    skin_tone: SkinToneOut
    calibration: CalibrationOut
    regions: list[RegionOut]
    cheek_difference_dE00: float
    left_right: LeftRightOut | None = Field(
        default=None, description="Left cheek against right; null unless both cheeks were measured"
    )
    quality: list[QualityCheckOut]


InputMode = Literal["whole_photo", "crops"]


class MeasurementOut(BaseModel):
    """A skin colour measurement: CIELAB with its uncertainty and skin-tone terms, and, for a photo, the
    calibration, each region and every check; for an instrument reading, the instrument."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [PHOTO_MEASUREMENT_EXAMPLE, INSTRUMENT_MEASUREMENT_EXAMPLE]}
    )

    id: str = Field(description="Measurement id (`msr_…`)")
    source: Literal["photo", "instrument"]
    input_mode: InputMode | None = Field(
        default=None,
        description=(
            "How a photo came: `whole_photo`, or `crops` (the card and the skin regions cut from one photo on the "
            "device; the face never sent). Null for instrument readings."
        ),
    )
    created_at: datetime
    consent: str = Field(description="The privacy notice version the customer accepted")
    lab: LabD65
    colour_space: ColourSpace = ColourSpace()
    uncertainty_dE00: float | None = Field(
        default=None, description="95 % radius of the error, CIEDE2000; null when the instrument states none"
    )
    lab_95: LabHalfWidthsOut | None = Field(
        default=None,
        description=(
            "95 % half-widths of L*, a*, b* and ITA°, each on its own; null for an instrument reading and for a photo "
            "measured before they were stated (its radius is then read as an error spread evenly over the axes)"
        ),
    )
    skin_tone: SkinToneOut
    skin_indices: SkinIndicesOut | None = Field(
        default=None, description="Melanin and erythema indices; null for measurements kept before they were computed"
    )
    instrument: InstrumentInfo | None = None
    calibration: CalibrationOut | None = None
    regions: list[RegionOut] | None = None
    cheek_difference_dE00: float | None = None
    left_right: LeftRightOut | None = Field(
        default=None, description="Left cheek against right; null unless both cheeks were measured (and before it was)"
    )
    quality: list[QualityCheckOut] | None = None


class MeasurementPage(BaseModel):
    """A page of the caller's measurements, newest first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [INSTRUMENT_MEASUREMENT_EXAMPLE], "next_cursor": None}]}
    )

    items: list[MeasurementOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next (older) page; null on the last")
