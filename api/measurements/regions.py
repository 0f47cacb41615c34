"""Each measured region as the API shows it: its colour, and the core's analysis of it (``color.skin_map``):
ITA°, indices, evenness, spots; and the left cheek against the right.

The core measures the skin tone on the cheeks and analyses every region it was given, forehead and chin too
(``RegionAnalysis.in_skin_tone`` False): those appear here with their analysis, their pixel counts null.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from numpy.typing import ArrayLike

from api.measurements.region_schemas import LeftRightOut, RegionOut, SpotsOut
from api.schemas import LabD65
from color.colorimetry import Lab_D65_to_display_hex
from color.skin import RegionColour
from color.skin_map import LeftRight, RegionAnalysis
from color.skin_tone import ITA_class, ITA_from_Lab


def lab_out(Lab: Any) -> LabD65:
    """CIELAB (D65, 2°) rounded to three decimals for a response."""
    L, a, b = (round(float(v), 3) for v in Lab)
    return LabD65(L=L, a=a, b=b)


def display_srgb_hex(Lab_D65: ArrayLike) -> str:
    """A colour for display only: CIELAB (D65, 2°) as 8-bit sRGB ``#rrggbb``, clipped to the gamut."""
    return Lab_D65_to_display_hex(Lab_D65)[0]


def _number(value: float | None, digits: int) -> float | None:
    """Rounded, or None for a missing or non-finite value (a half-width the core could not state)."""
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def region_out(region: RegionColour | None, analysis: RegionAnalysis | None) -> RegionOut:
    """A region's colour and, when the core analysed it, its metrics; one of the two at least. Without its
    ``RegionColour`` (a region analysed only) the pixel counts are null; without an analysed area (less skin than
    ``color.skin_map.MIN_ANALYSED_MM2``) evenness and spots are null."""
    Lab = region.Lab_D65 if region is not None else analysis.Lab_D65 if analysis is not None else None
    if Lab is None:
        raise ValueError("a region needs its colour or its analysis")
    name = region.name if region is not None else analysis.name if analysis is not None else ""
    ita = float(ITA_from_Lab(Lab))
    base = RegionOut(
        name=name,
        lab=lab_out(Lab),
        pixels=None if region is None else region.pixels,
        skin_pixels=None if region is None else region.kept,
        spread_dE00=None if region is None else round(region.spread_dE00, 2),
        ita_deg=round(ita, 2),
        ita_class=ITA_class(ita),
        display_srgb_hex=display_srgb_hex(Lab),
    )
    if analysis is None:
        return base
    analysed = math.isfinite(analysis.analysed_area_mm2) and analysis.analysed_area_mm2 > 0
    spots = analysis.spots
    return base.model_copy(
        update={
            "melanin_od": _number(analysis.melanin_od, 4),
            "melanin_od_95": _number(analysis.melanin_od_95, 4),
            "erythema_uM_cm": _number(analysis.erythema_uM_cm, 3),
            "erythema_uM_cm_95": _number(analysis.erythema_uM_cm_95, 3),
            "evenness_dE00": _number(analysis.evenness_dE00, 3) if analysed else None,
            "evenness_dE00_95": _number(analysis.evenness_dE00_95, 3) if analysed else None,
            "spots": SpotsOut(
                count=spots.count,
                area_share=round(float(spots.area_share), 4),
                area_share_95=round(float(spots.area_share_95), 4),
                mean_contrast_dE00=_number(spots.mean_contrast_dE00, 3),
                min_area_mm2=round(float(spots.min_area_mm2), 3),
                min_contrast_dE00=round(float(spots.min_contrast_dE00), 3),
            )
            if analysed
            else None,
            "analysed_area_mm2": _number(analysis.analysed_area_mm2, 1),
            "in_skin_tone": bool(analysis.in_skin_tone),
        }
    )


def regions_out(regions: Sequence[RegionColour], analyses: Sequence[RegionAnalysis]) -> list[RegionOut]:
    """Every region: those of the skin tone with their analysis (matched by name), then those analysed only, in
    the core's order."""
    colours = {region.name: region for region in regions}
    analysed = {analysis.name for analysis in analyses}
    shown = [region_out(colours.get(a.name), a) for a in analyses]
    return shown + [region_out(region, None) for region in regions if region.name not in analysed]


def left_right_out(left_right: LeftRight | None) -> LeftRightOut | None:
    """The right cheek against the left (``color.skin_map.left_right``); None without both."""
    if left_right is None:
        return None
    return LeftRightOut(
        difference_dE00=round(float(left_right.difference_dE00), 3),
        melanin_od=round(float(left_right.melanin_od), 4),
        erythema_uM_cm=round(float(left_right.erythema_uM_cm), 3),
        evenness_dE00=_number(left_right.evenness_dE00, 3),
    )
