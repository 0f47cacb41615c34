"""Response models of one measured skin region and of the difference between the left and right cheeks.

Every per-region metric is optional: measurements stored before the regions were analysed still load, with
those fields null.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from api.schemas import LabD65

SPOTS_EXAMPLE: JsonDict = {
    "count": 3,
    "area_share": 0.021,
    "area_share_95": 0.01,
    "mean_contrast_dE00": 4.6,
    "min_area_mm2": 2.0,
    "min_contrast_dE00": 3.0,
}
REGION_EXAMPLE: JsonDict = {
    "name": "left_cheek",
    "lab": {"L": 58.4, "a": 12.1, "b": 17.6},
    "pixels": 8120,
    "skin_pixels": 7311,
    "spread_dE00": 1.12,
    "ita_deg": 25.7,
    "ita_class": "tan",
    "display_srgb_hex": "#c69377",
    "melanin_od": 0.112,
    "melanin_od_95": 0.064,
    "erythema_uM_cm": 0.35,
    "erythema_uM_cm_95": 1.41,
    "evenness_dE00": 1.31,
    "evenness_dE00_95": 0.2,
    "spots": SPOTS_EXAMPLE,
    "analysed_area_mm2": 612.0,
    "in_skin_tone": True,
}
LEFT_RIGHT_EXAMPLE: JsonDict = {
    "difference_dE00": 0.74,
    "melanin_od": 0.006,
    "erythema_uM_cm": -0.21,
    "evenness_dE00": 0.12,
}


class SpotsOut(BaseModel):
    """Pigmented spots found in a region: patches darker and browner than the skin around them (more melanin; a
    redder patch is not a spot), at least ``min_area_mm2`` large and ``min_contrast_dE00`` from their surroundings
    (the limits they were found with)."""

    model_config = ConfigDict(json_schema_extra={"examples": [SPOTS_EXAMPLE]})

    count: int = Field(ge=0, description="Spots found")
    area_share: float = Field(ge=0, le=1, description="Share of the analysed skin area covered by spots, 0-1")
    area_share_95: float | None = Field(
        default=None, description="95 % half-width of `area_share` for one photo (measured over cameras and lights)"
    )
    mean_contrast_dE00: float | None = Field(
        description="Mean CIEDE2000 between a spot and the skin around it; null when there is none"
    )
    min_area_mm2: float = Field(description="Smallest spot counted, mm² on the skin")
    min_contrast_dE00: float = Field(description="Smallest contrast counted as a spot, CIEDE2000")


class RegionOut(BaseModel):
    """One measured skin region: its colour, its size, how much its skin varies and, for measurements made since
    the regions are analysed, its ITA°, indices, evenness and spots (null on older ones). The cheeks make the skin
    tone; forehead and chin, when measured, are analysed only (`in_skin_tone` false)."""

    model_config = ConfigDict(json_schema_extra={"examples": [REGION_EXAMPLE]})

    name: str = Field(description="The region's name, as given or placed by the server (`left_cheek`)")
    lab: LabD65 = Field(description="The region's colour, CIELAB (D65, 2°) of the calibrated image")
    pixels: int | None = Field(
        description="Pixels in the region; null for a region analysed only (`in_skin_tone` false: forehead, chin)"
    )
    skin_pixels: int | None = Field(description="Pixels kept as evenly lit skin; null for a region analysed only")
    spread_dE00: float | None = Field(
        description="Spread of the kept pixels' colour, CIEDE2000; null for a region analysed only"
    )
    ita_deg: float | None = Field(default=None, description="Individual Typology Angle of the region, degrees")
    ita_class: str | None = Field(
        default=None, description="Del Bino & Bernerd (2013) class of `ita_deg`; null on older measurements"
    )
    display_srgb_hex: str | None = Field(
        default=None,
        pattern=r"^#[0-9a-f]{6}$",
        description=(
            "For display only: the region's colour as sRGB (IEC 61966-2-1, D65), 8-bit, clipped to the sRGB gamut. "
            "Not a measurement: use `lab`."
        ),
    )
    melanin_od: float | None = Field(default=None, description="Melanin index of the region (see `SkinIndicesOut`)")
    melanin_od_95: float | None = Field(default=None, description="Its 95 % half-width")
    erythema_uM_cm: float | None = Field(
        default=None, description="Erythema index of the region, µM·cm (see `SkinIndicesOut`)"
    )
    erythema_uM_cm_95: float | None = Field(default=None, description="Its 95 % half-width")
    evenness_dE00: float | None = Field(
        default=None,
        description=(
            "Unevenness: the 90th percentile of the smoothed skin's CIEDE2000 from the region's median colour; lower "
            "is more even. Null when too little skin could be analysed"
        ),
    )
    evenness_dE00_95: float | None = Field(
        default=None, description="95 % half-width of `evenness_dE00` for one photo (measured over cameras and lights)"
    )
    spots: SpotsOut | None = Field(
        default=None, description="Spots found in the region; null when too little skin could be analysed"
    )
    analysed_area_mm2: float | None = Field(default=None, description="Skin area analysed, mm² (from the card's size)")
    in_skin_tone: bool | None = Field(
        default=None,
        description="Whether the region's colour makes the skin tone (the cheeks); false for forehead and chin",
    )


class LeftRightOut(BaseModel):
    """The right cheek against the left (`left_cheek` is the one on the photo's left): each metric as right minus
    left, and their colour difference."""

    model_config = ConfigDict(json_schema_extra={"examples": [LEFT_RIGHT_EXAMPLE]})

    difference_dE00: float = Field(description="CIEDE2000 between the two cheeks' colours")
    melanin_od: float = Field(description="Melanin index, right minus left")
    erythema_uM_cm: float = Field(description="Erythema index, right minus left, µM·cm")
    evenness_dE00: float | None = Field(
        description="Evenness, right minus left, CIEDE2000; null when a cheek had too little skin to analyse"
    )
