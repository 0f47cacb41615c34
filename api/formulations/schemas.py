"""Request and response models of matches, formulations and the lab's batch sheets and corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict, JsonValue

from api.formulations.gamut_schemas import GamutGapOut
from api.schemas import ColourSpace, LabD65, Spectrum
from catalog.drawdown_targets import DEFAULT_OVER, OVER_CHOICES

FORMULATION_ID_EXAMPLE = "fml_0190c5a8e5d07c1e2f3a4b5c6d7e"
WHITE_LABEL = "titanium dioxide, rutile, pigmentary (CI 77891)"
YELLOW_LABEL = "yellow iron oxide, goethite (CI 77492), optics approximated from hematite"
RECIPE_EXAMPLE: list[JsonValue] = [  # phys-2026.3's recipe for L* 60.2, a* 10.1, b* 18.3 at medium coverage
    {"base": "white", "pigment": WHITE_LABEL, "fraction": 0.0603, "grams": 1.81},
    {"base": "yellow", "pigment": YELLOW_LABEL, "fraction": 0.011, "grams": 0.33},
    {"base": "red", "pigment": "red iron oxide, hematite, fine narrow-distribution yellowish-red grade (CI 77491)",
     "fraction": 0.0047, "grams": 0.14},
    {"base": "red_blue", "pigment": "red iron oxide, hematite, coarse bluish-red grade (CI 77491)", "fraction": 0.004,
     "grams": 0.12},
]  # fmt: skip
SHADE_EXAMPLE: JsonDict = {
    "brand": "tonematch",
    "product": "House custom range",
    "shade_name": "60W",
    "shade_code": "TM-60W",
    "lab": {"L": 60.1, "a": 11.2, "b": 18.9},
    "delta_E00": 1.62,
    "undertone": "warm",
    "approximate": False,
}
FORMULATION_EXAMPLE: JsonDict = {
    "id": FORMULATION_ID_EXAMPLE,
    "created_at": "2025-06-01T09:32:00Z",
    "measurement_id": "msr_0190c5a8e2b1a9f3c2d4e5f60718",
    "library_version": "phys-2026.3",
    "coverage": "medium",
    "size_g": 30.0,
    "resolution_g": 0.01,
    "recipe": RECIPE_EXAMPLE,
    "vehicle_g": 27.6,
    "target_lab": {"L": 60.2, "a": 10.1, "b": 18.3},
    "predicted_lab": {"L": 60.3, "a": 10.0, "b": 18.3},
    "colour_space": {"space": "CIE 1976 L*a*b*", "white_point": "D65", "observer": "CIE 1931 2°"},
    "delta_E00": 0.11,
    "metamerism_dE00": {"A": 1.42, "FL11": 1.6, "LED-B3": 1.16},
    "in_gamut": True,
    "out_of_gamut": None,
    "nearest_shades": [SHADE_EXAMPLE],
}
CORRECTION_EXAMPLE: JsonDict = {
    "formulation_id": FORMULATION_ID_EXAMPLE,
    "batch_id": "B2025-0601-07",
    "recorded_at": "2025-06-01T11:02:00Z",
    "over": "black",
    "measured_lab": {"L": 60.6, "a": 9.0, "b": 18.7},
    "target_lab": {"L": 60.2, "a": 9.2, "b": 18.3},
    "target_masstone_lab": {"L": 60.3, "a": 9.2, "b": 18.3},
    "delta_E00_before": 0.51,
    "passed": True,
    "additions": [],
    "predicted_delta_E00_after": 0.51,
    "within_tolerance_after": True,
    "tolerance_dE00": 1.0,
}
BATCH_MEASUREMENT_EXAMPLE: JsonDict = {
    "batch_g": 30.0,
    "lab": {"L": 60.6, "a": 9.0, "b": 18.7},
    "over": "black",
    "batch_id": "B2025-0601-07",
}
DRAWDOWN_EXAMPLE: JsonDict = {
    "wet_film_um": 75.0,
    "applicator": "film applicator laying a 75 µm (3 mil) wet film",
    "chart": "opacity chart (Leneta type), sealed black and white halves",
    "black_reflectance": 0.02,
    "white_reflectance": 0.8,
    "measured": "once dry, CIE L*a*b* D65, 2° observer, specular excluded",
}
OVER_SCHEMA: JsonDict = {"enum": list(OVER_CHOICES)}
OVER_DESCRIPTION = (
    "What the drawdown was measured over: `black` or `white`, the opacity chart's halves under the film of the "
    "batch sheet's `drawdown`, or `opaque`, a film that hides what is under it (the masstone). Default `opaque`, "
    "what a measurement meant before drawdowns over the chart were stated. Another value is a 422 `invalid_colour`."
)


class MatchIn(BaseModel):
    """Ask for a custom blend for one of the caller's measurements."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"measurement_id": "msr_0190c5a8e2b1a9f3c2d4e5f60718", "coverage": "medium", "size_g": 30}]
        },
    )

    measurement_id: str = Field(min_length=1, max_length=64, description="The measurement to match (`msr_…`)")
    coverage: Literal["sheer", "medium", "full"] = Field(default="medium", description="How much the film hides")
    size_g: float = Field(default=30.0, ge=5.0, le=200.0, allow_inf_nan=False, description="Bottle size, grams")


class RecipeLine(BaseModel):
    """One pigment base of a recipe: how much of it goes in."""

    base: str = Field(description="The base's id in the library")
    pigment: str = Field(description="Its pigment, with the Colour Index name")
    fraction: float = Field(description="Mass fraction of the base in the foundation")
    grams: float = Field(description="Grams for the bottle")


class AdditionLine(BaseModel):
    """One base to add to a measured batch to bring it within tolerance."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"base": "yellow", "pigment": "yellow iron oxide (CI 77492)", "fraction": 0.1, "grams": 3.0}]
        }
    )

    base: str = Field(description="The base's id in the library")
    pigment: str = Field(description="Its pigment, with the Colour Index name")
    fraction: float = Field(
        description="The addition as a share of the batch it goes into: grams ÷ the measured `batch_g` (3 g into a "
        "30 g batch is 0.1), so that it scales to the batch actually made"
    )
    grams: float = Field(description="Grams to add, on the dispenser's resolution")


class LabFormulation(BaseModel):
    """What the lab makes a batch from: the recipe without the customer's data. A formulation kept as a batch record
    after its customer's erasure holds only this."""

    model_config = ConfigDict(extra="ignore")

    id: str
    created_at: datetime
    library_version: str
    coverage: Literal["sheer", "medium", "full"]
    size_g: float
    resolution_g: float
    recipe: list[RecipeLine]
    vehicle_g: float


class ShadeOut(BaseModel):
    """A ready-made shade near the measured skin colour."""

    brand: str
    product: str
    shade_name: str
    shade_code: str
    lab: LabD65
    delta_E00: float = Field(description="CIEDE2000 from the measured skin colour")
    undertone: Literal["cool", "neutral", "warm"]
    approximate: bool = Field(description="True when the shade's colour was sampled from images, not measured")


class FormulationOut(BaseModel):
    """A custom-blend foundation for a measurement: the recipe of pigment bases for the bottle, its predicted
    colour on the customer's skin and under other lights, and the nearest ready-made shades."""

    model_config = ConfigDict(json_schema_extra={"examples": [FORMULATION_EXAMPLE]})

    id: str = Field(description="Formulation id (`fml_…`)")
    created_at: datetime
    measurement_id: str
    library_version: str = Field(description="The pigment base library the recipe is for")
    coverage: Literal["sheer", "medium", "full"]
    size_g: float = Field(description="Bottle size, grams")
    resolution_g: float = Field(description="The dispenser's resolution, grams")
    recipe: list[RecipeLine]
    vehicle_g: float = Field(description="Grams of clear vehicle")
    target_lab: LabD65 = Field(description="The measured skin colour, D65")
    predicted_lab: LabD65 = Field(description="The foundation film over the customer's skin, D65")
    colour_space: ColourSpace = ColourSpace()
    delta_E00: float = Field(description="CIEDE2000 between `predicted_lab` and `target_lab`")
    metamerism_dE00: dict[str, float] = Field(description="ΔE00 on skin against bare skin under each light")
    in_gamut: bool = Field(description="False when no recipe of the bases reaches the target: the closest is given")
    out_of_gamut: GamutGapOut | None = Field(
        default=None,
        description="When `in_gamut` is false: how the nearest reachable colour differs and which limit binds",
    )
    nearest_shades: list[ShadeOut]


class BatchLine(BaseModel):
    """One base to weigh for a batch, in the order of addition (bases the recipe does not use are left out)."""

    order: int = Field(description="Position in the order of addition, from 1")
    base: str
    pigment: str
    grams: float


class DrawdownOut(BaseModel):
    """How the lab draws a batch down for QC: the applicator's wet film on an opacity chart, measured over the
    chart's black and over its white (contrast ratio as in ISO 6504-3 and ASTM D2805)."""

    model_config = ConfigDict(json_schema_extra={"examples": [DRAWDOWN_EXAMPLE]})

    wet_film_um: float = Field(description="Wet film thickness the applicator lays down, µm")
    applicator: str = Field(description="The film applicator, in words")
    chart: str = Field(description="The opacity chart, in words")
    black_reflectance: float = Field(
        description="Reflectance of the chart's black half the targets assume, 0-1, flat over 380-730 nm"
    )
    white_reflectance: float = Field(
        description="Reflectance of the chart's white half the targets assume, 0-1, flat over 380-730 nm"
    )
    measured: str = Field(description="When and how the drawdown is measured")


class BatchSheetOut(BaseModel):
    """The lab's batch sheet: grams of each base for a batch size, in the order to add them, and the colour a
    drawdown of the batch should measure over the opacity chart's black and white (and opaque)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "formulation_id": FORMULATION_ID_EXAMPLE,
                    "library_version": "phys-2026.3",
                    "coverage": "medium",
                    "size_g": 30.0,
                    "resolution_g": 0.01,
                    "bases": [
                        {"order": 1, "base": "white", "pigment": WHITE_LABEL, "grams": 1.81},
                        {"order": 2, "base": "yellow", "pigment": YELLOW_LABEL, "grams": 0.33},
                    ],
                    "vehicle_g": 27.6,
                    "order_of_addition": "Weigh the clear vehicle first, then the white base, then the other bases.",
                    "drawdown": DRAWDOWN_EXAMPLE,
                    "target_over_black_lab": {"L": 60.2, "a": 9.2, "b": 18.3},
                    "target_over_white_lab": {"L": 60.3, "a": 9.3, "b": 18.3},
                    "contrast_ratio": 0.9993,
                    "target_masstone_lab": {"L": 60.3, "a": 9.2, "b": 18.3},
                    "predicted_masstone_lab": {"L": 60.3, "a": 9.2, "b": 18.3},
                    "rounding_dE00": 0.0,
                    "rounding_within_budget": True,
                    "rounding_note": None,
                    "suggested_batch_g": None,
                    "tolerance_dE00": 1.0,
                }
            ]
        }
    )

    formulation_id: str
    library_version: str
    coverage: str
    size_g: float = Field(description="Batch size, grams")
    resolution_g: float = Field(description="The balance's resolution, grams")
    bases: list[BatchLine]
    vehicle_g: float = Field(description="Grams of clear vehicle")
    order_of_addition: str = Field(description="How to weigh and mix, in words")
    drawdown: DrawdownOut = Field(description="How to draw the batch down for QC: applicator, chart, measurement")
    target_over_black_lab: LabD65 = Field(
        description="What the drawdown should measure over the chart's black, D65: that of the recipe's exact mass "
        "fractions, the same for every batch size"
    )
    target_over_white_lab: LabD65 = Field(
        description="What the drawdown should measure over the chart's white, D65, the same for every batch size"
    )
    contrast_ratio: float = Field(
        description="Y over black ÷ Y over white of the drawdown (ISO 6504-3, ASTM D2805), in (0, 1]: 1 when the "
        "film hides the chart completely"
    )
    target_masstone_lab: LabD65 = Field(
        description="What an opaque drawdown of the batch should measure, D65: the masstone of the recipe's exact "
        "mass fractions, the same for every batch size"
    )
    predicted_masstone_lab: LabD65 = Field(
        description="The masstone predicted for the grams on this sheet (rounded to the dispenser's resolution)"
    )
    rounding_dE00: float = Field(
        description="What rounding the grams to the dispenser costs at this size: the worst CIEDE2000, over the three "
        "readings (over black, over white, opaque), between the drawdown of these grams and the recipe's target. The "
        "grams are searched on the dispenser's grid to keep it small"
    )
    rounding_within_budget: bool = Field(
        default=True,
        description="Whether `rounding_dE00` is at most half `tolerance_dE00`, the share rounding may take",
    )
    rounding_note: str | None = Field(
        default=None, description="When rounding is over budget: by how much, and what batch size would fix it"
    )
    suggested_batch_g: float | None = Field(
        default=None,
        description="When rounding is over budget: the smallest of 2, 4 and 8 times this size (within the dispenser's "
        "sizes) whose rounding is within budget",
    )
    tolerance_dE00: float = Field(
        description="The batch passes within this CIEDE2000 of the target of the reading measured (over black, over "
        "white or opaque)"
    )


class BatchMeasurementIn(BaseModel):
    """A batch as made, measured: its mass, the colour of its drawdown (L*a*b* D65, or a spectrum) and what the
    drawdown was measured over. Exactly one of ``lab`` and ``spectrum``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [BATCH_MEASUREMENT_EXAMPLE]})

    batch_g: float = Field(gt=0, le=10_000, allow_inf_nan=False, description="Mass of the batch measured")
    lab: LabD65 | None = Field(default=None, description="The drawdown of the batch as measured over `over`, D65")
    spectrum: Spectrum | None = Field(default=None, description="Reflectance of the drawdown, instead of `lab`")
    # A string checked by the service, not a Literal, so that another value is a 422 problem that names the choices
    # rather than a schema error; the document still lists the choices.
    over: str = Field(default=DEFAULT_OVER, max_length=32, description=OVER_DESCRIPTION, json_schema_extra=OVER_SCHEMA)
    batch_id: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", description="The lab's batch number"
    )

    @model_validator(mode="after")
    def _one_colour(self) -> BatchMeasurementIn:
        if (self.lab is None) == (self.spectrum is None):
            raise ValueError("give exactly one of `lab` or `spectrum`")
        return self


class CorrectionOut(BaseModel):
    """A measured batch against its target, and what to add (grams, only additions) to bring it within
    tolerance; recorded with the batch."""

    model_config = ConfigDict(json_schema_extra={"examples": [CORRECTION_EXAMPLE]})

    formulation_id: str
    batch_id: str
    recorded_at: datetime
    over: str = Field(
        default=DEFAULT_OVER, description="What the drawdown was measured over", json_schema_extra=OVER_SCHEMA
    )
    measured_lab: LabD65 = Field(description="The batch's drawdown as measured over `over`, D65")
    target_lab: LabD65 = Field(description="The target of that reading: the recipe's drawdown over `over`, D65")
    target_masstone_lab: LabD65 = Field(description="The recipe's opaque masstone, D65")
    delta_E00_before: float = Field(description="CIEDE2000 of `measured_lab` from `target_lab` before any addition")
    passed: bool = Field(description="Within tolerance as it is")
    additions: list[AdditionLine] = Field(description="Grams of each base to add; empty when none is needed")
    predicted_delta_E00_after: float = Field(description="Predicted CIEDE2000 from the target after the additions")
    within_tolerance_after: bool
    tolerance_dE00: float

    @model_validator(mode="before")
    @classmethod
    def _recorded_before_drawdowns(cls, data: Any) -> Any:
        """A correction recorded before readings said what they were over was of the masstone: its target is it."""
        if isinstance(data, dict) and "target_lab" not in data and "target_masstone_lab" in data:
            return {**data, "target_lab": data["target_masstone_lab"]}
        return data
