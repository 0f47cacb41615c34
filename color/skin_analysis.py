"""Every measured region's skin analysis: ``color.skin_map``'s map of it, the map's evenness and
``color.skin_spots``' spots, and ``color.skin_indices``' melanin and erythema indices of its colour.

Made one region after the other: two threads (one map each, or the maps beside the regions' colour) were measured
no faster on two cores (bench/bench_measurement.py, 2 MP: 67.1 against 66.1 ms), most of a map's time being
NumPy calls on a few thousand samples, each holding Python's global lock for its own overhead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from color.calibrate import Calibration
from color.detect import CardPose
from color.lab_uncertainty import ColourUncertainty
from color.skin import RegionColour
from color.skin_colour import RegionCodes
from color.skin_indices import skin_indices_from_Lab
from color.skin_map import (
    MIN_ANALYSED_MM2,
    LeftRight,
    RegionAnalysis,
    SpotSummary,
    evenness_dE00,
    face_px_per_mm,
    in_skin_tone,
    left_right,
    skin_map,
)
from color.skin_spots import find_spots


@dataclass(frozen=True)
class RegionFigures:
    """What a region's map gives: evenness, spots and the analysed area (nan, no spots and 0 without a map)."""

    evenness_dE00: float
    spots: SpotSummary
    analysed_area_mm2: float


def region_figures(
    BGR: NDArray[np.uint8],
    item: RegionCodes | None,
    calibration: Calibration,
    px_per_mm: float,
    exclude: NDArray[np.float64] | None = None,
) -> RegionFigures:
    """The map of ``item``'s region (``color.skin_map.skin_map``) and its figures; none without an item, a
    polygon or ``MIN_ANALYSED_MM2`` of analysed skin."""
    mapped = None
    if item is not None and len(item.region.polygon) >= 3:
        mapped = skin_map(
            BGR, item.region.polygon, calibration, px_per_mm, light_ratio=item.light_ratio, exclude=exclude
        )
    if mapped is None or mapped.area_mm2 < MIN_ANALYSED_MM2:
        return RegionFigures(float("nan"), find_spots(None), 0.0)
    return RegionFigures(evenness_dE00(mapped), find_spots(mapped), mapped.area_mm2)


def analyse_regions(
    BGR: NDArray[np.uint8],
    items: Sequence[RegionCodes],
    colours: Sequence[RegionColour],
    pose: CardPose,
    calibration: Calibration,
    *,
    uncertainty: ColourUncertainty,
    exclude: NDArray[np.float64] | None = None,
) -> tuple[list[RegionAnalysis], LeftRight | None]:
    """Every measured region's analysis (in the order of ``colours``) and the cheeks' left/right difference.

    ``items`` carry each region's polygon and light ratio; ``exclude`` is the card's outline (photo pixels);
    ``uncertainty`` is the photo's colour error, evaluated at each region's colour for its indices' half-widths.
    """
    if not colours:
        return [], None
    by_name = {item.region.name: item for item in items}
    px_per_mm = face_px_per_mm(pose)
    Lab = np.stack([c.Lab_D65 for c in colours])
    indices = skin_indices_from_Lab(Lab, covariance_Lab=uncertainty.covariance(Lab))
    analyses = []
    for k, colour in enumerate(colours):
        made = region_figures(BGR, by_name.get(colour.name), calibration, px_per_mm, exclude)
        analyses.append(
            RegionAnalysis(
                name=colour.name,
                Lab_D65=colour.Lab_D65,
                melanin_od=float(indices.melanin_od[k]),
                melanin_od_95=float(indices.melanin_od_95[k]),
                erythema_uM_cm=float(indices.blood_uM_cm[k]),
                erythema_uM_cm_95=float(indices.blood_uM_cm_95[k]),
                evenness_dE00=made.evenness_dE00,
                spots=made.spots,
                analysed_area_mm2=made.analysed_area_mm2,
                in_skin_tone=in_skin_tone(colour.name),
            )
        )
    return analyses, left_right(analyses)
