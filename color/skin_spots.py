"""Pigmented spots on a region's skin map (``color.skin_map``): areas clearly darker and browner than the skin
around them.

Each smoothed sample is compared with its local background: the masked Gaussian mean of the skin around it
over ``BACKGROUND_SIGMA_MM`` (normalised convolution, ``color.skin_map.masked_blur``), computed twice, the
second time without the first pass's candidates so that a spot does not darken its own background. A spot is a
connected area (8-neighbours) of samples darker than their background (ΔL* < 0) by at least
``EXTENT_CONTRAST_DE00`` in CIEDE2000, cut to where it reaches half its peak contrast, whose mean colour differs
from its background's by at least ``MIN_SPOT_CONTRAST_DE00`` (a peak of noise is one sample), covers at least
``MIN_SPOT_AREA_MM2``, is at least ``MIN_SPOT_WIDTH_MM`` wide (a hair is a line, not a spot), and whose colour
change from its background is mostly added melanin: the melanin and erythema indices (``color.skin_indices``)
of the spot's mean colour and of its background's, the melanin's rise giving more of the colour difference than
the blood's change. A redness patch (a* up, L* barely down) is therefore not a spot; shine, shadow, hair and the
card never reach this test (``color.skin_map`` leaves them out of the map).

Thresholds, measured with ``python -m bench.bench_skin_maps`` (rendered faces through the camera pipeline,
six cameras, four lights): see each constant.

References:
    Sharma, G., Wu, W., Dalal, E. N. (2005). The CIEDE2000 color-difference formula. Color Res. Appl. 30(1),
    21-30. doi:10.1002/col.20070
    Mahy, M., Van Eycken, L., Oosterlinck, A. (1994). Evaluation of uniform color spaces developed after the
    adoption of CIELAB and CIELUV. Color Res. Appl. 19(2), 105-121 (a just noticeable difference of about
    2.3 ΔE*ab, about 1 ΔE00 for skin colours).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from color.colorimetry import XYZ_to_Lab_D65, delta_E00
from color.lab_arrays import Y_to_L
from color.skin_indices import model_Lab, skin_indices_from_Lab
from color.skin_map import SkinMap, SpotSummary, masked_blur

# The skin around a sample: a Gaussian of 3 mm (weight within about 7 mm across), wide against the spots
# counted (1.6-6 mm) and narrow against a cheek region (20-25 mm), so that the face's own slow changes of colour
# are background, not spots.
BACKGROUND_SIGMA_MM = 3.0
# A spot's area is where its contrast reaches half its peak (the full width at half maximum, which for a disc
# wider than the smoothing is the disc); the 1 ΔE00 outline of a strong spot includes the smoothing's halo.
HALF_PEAK = 0.5
BACKGROUND_MIN_SUPPORT = 0.2  # a fifth of the Gaussian's weight on skin: about 25 mm² of skin around a sample
CANDIDATE_MARGIN_MM = 1.0  # candidates of the first pass are left out of the second background with this margin
# A spot's outline: one just noticeable difference (about 1 ΔE00) from the skin around it.
EXTENT_CONTRAST_DE00 = 1.0
# "Clearly" darker: three just noticeable differences, above what spotless skin shows. On spotless rendered skin
# at a working resolution of 5 px a millimetre (tests/color/test_skin_map.py, bench/bench_skin_maps.py) noise
# made areas of 2-3 mm² whose mean colour stood 2.4 ΔE00 from their background (Nokia N900 under light A, whose
# weak blue channel the white balance amplifies); 2.0 counted them, 3.0 leaves a margin.
MIN_SPOT_CONTRAST_DE00 = 3.0
# Freckles and lentigines start at about 1.5-2 mm across; a disc of 1.6 mm is 2 mm². Smaller marks are not
# resolved in a selfie's working resolution (0.15-0.3 mm a pixel) after the map's 0.5 mm smoothing.
MIN_SPOT_AREA_MM2 = 2.0
# A hair (0.05-0.1 mm, blurred to about 1 mm by the smoothing) or a wrinkle is a line: a spot is at least this
# wide across its narrowest axis (4 √λ_min of its second moments, the diameter for a disc).
MIN_SPOT_WIDTH_MM = 1.2


def _width_mm(rows: NDArray[np.intp], columns: NDArray[np.intp], sample_mm: float) -> float:
    """Narrowest width of an area from its second moments: 4·√λ_min (a disc's diameter)."""
    if len(rows) < 3:
        return float(np.sqrt(len(rows))) * sample_mm
    covariance = np.cov(np.stack([rows, columns]).astype(np.float64)) + np.eye(2) / 12.0  # a sample's own extent
    return 4.0 * float(np.sqrt(max(np.linalg.eigvalsh(covariance)[0], 0.0))) * sample_mm


def _background(skin: SkinMap, candidates: NDArray[np.bool_] | None) -> NDArray[np.float64]:
    """The skin around each sample (``BACKGROUND_SIGMA_MM``), without ``candidates`` (widened by
    ``CANDIDATE_MARGIN_MM``) unless they cover half the region."""
    mask = skin.kept
    if candidates is not None and candidates.any():
        margin = max(1, round(CANDIDATE_MARGIN_MM / skin.sample_mm))
        grown = cv2.dilate(candidates.astype(np.uint8), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) > 0
        if (mask & ~grown).sum() >= 0.5 * mask.sum():
            mask = mask & ~grown
    return masked_blur(skin.XYZ, mask, BACKGROUND_SIGMA_MM / skin.sample_mm, BACKGROUND_MIN_SUPPORT)


def _seeded(extent: NDArray[np.bool_], contrast: NDArray[np.float64]) -> tuple[int, NDArray[np.int32]]:
    """Connected areas (8-neighbours) of ``extent`` that reach ``MIN_SPOT_CONTRAST_DE00``, relabelled 1..n."""
    count, labels = cv2.connectedComponents(extent.astype(np.uint8), connectivity=8)
    peak = np.zeros(count)
    np.maximum.at(peak, np.asarray(labels, dtype=np.intp).ravel(), contrast.ravel())
    keep = np.flatnonzero(peak >= MIN_SPOT_CONTRAST_DE00)
    keep = keep[keep > 0]
    relabel = np.zeros(count, dtype=np.int32)
    relabel[keep] = np.arange(1, len(keep) + 1, dtype=np.int32)
    return len(keep), relabel[labels]


def _darker(skin: SkinMap, background_XYZ: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Whether each kept sample is darker than its background, and its CIEDE2000 contrast with it where that can
    reach ``EXTENT_CONTRAST_DE00`` (0 elsewhere: no contrast under it is ever read).

    A spot is darker, so the lighter half of the samples need no CIEDE2000, and the background's L* alone (from
    its Y) tells which half. Nor do samples whose CIEDE2000 is surely under ``EXTENT_CONTRAST_DE00``: with S_L,
    S_C, S_H ≥ 1, |R_T| ≤ 2 and a' = (1 + G)·a with G ≤ 0.5 (Sharma et al. 2005, eqs. 2-3, 10-22),
    ΔE00² ≤ ΔL*² + 2·(ΔC'² + ΔH'²) = ΔL*² + 2·((1 + G)²·Δa*² + Δb*²) ≤ ΔL*² + 4.5·Δa*² + 2·Δb*².
    """
    contrast = np.zeros(skin.kept.shape)
    darker = np.zeros(skin.kept.shape, dtype=bool)
    darker[skin.kept] = skin.Lab[skin.kept, 0] < Y_to_L(background_XYZ[skin.kept, 1])  # nan: not darker
    if not darker.any():
        return contrast, darker
    Lab, background_Lab = skin.Lab[darker], XYZ_to_Lab_D65(background_XYZ[darker])
    difference = Lab - background_Lab
    bound = difference[:, 0] ** 2 + 4.5 * difference[:, 1] ** 2 + 2.0 * difference[:, 2] ** 2
    reachable = bound >= EXTENT_CONTRAST_DE00**2
    values = np.zeros(len(Lab))
    values[reachable] = delta_E00(Lab[reachable], background_Lab[reachable])
    contrast[darker] = values
    return contrast, darker


def _melanin_dominated(spot_Lab: NDArray[np.float64], background_Lab: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether each spot's change from its background is mostly added melanin: the melanin index rises, and the
    melanin's change alone makes a larger CIEDE2000 difference than the blood's alone."""
    spot = skin_indices_from_Lab(spot_Lab)
    ground = skin_indices_from_Lab(background_Lab)
    base = model_Lab(ground.melanin_od, ground.blood_uM_cm)
    by_melanin = delta_E00(base, model_Lab(spot.melanin_od, ground.blood_uM_cm))
    by_blood = delta_E00(base, model_Lab(ground.melanin_od, spot.blood_uM_cm))
    dominated: NDArray[np.bool_] = (spot.melanin_od > ground.melanin_od) & (by_melanin >= by_blood)
    return np.atleast_1d(dominated)


@dataclass(frozen=True)
class Spot:
    centre_px: NDArray[np.float64]  # (x, y) in the photo
    area_mm2: float
    contrast_dE00: float  # the spot's mean colour against its background's


def detect_spots(skin: SkinMap | None) -> list[Spot]:
    """The pigmented spots of a region's map (see the module docstring); none when there is no map."""
    if skin is None or not skin.kept.any():
        return []
    background = _background(skin, None)
    contrast, darker = _darker(skin, background)
    count, labels = _seeded(darker & (contrast >= EXTENT_CONTRAST_DE00), contrast)
    if count:  # again without the first pass's spots: they darken the background around them
        background = _background(skin, labels > 0)
        contrast, darker = _darker(skin, background)
        count, labels = _seeded(darker & (contrast >= EXTENT_CONTRAST_DE00), contrast)
    min_samples = MIN_SPOT_AREA_MM2 / skin.sample_mm**2
    found: list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]] = []
    for label in range(1, count + 1):
        area = labels == label
        area &= contrast >= HALF_PEAK * contrast[area].max()  # the spot itself, not the smoothing's halo
        rows, columns = np.nonzero(area)
        ground = background[area]
        if len(rows) < min_samples or _width_mm(rows, columns, skin.sample_mm) < MIN_SPOT_WIDTH_MM:
            continue
        if np.isfinite(ground).all():
            found.append((rows, columns, skin.XYZ[area].mean(axis=0), ground.mean(axis=0)))
    if not found:
        return []
    spot_Lab = XYZ_to_Lab_D65(np.stack([f[2] for f in found]))
    ground_Lab = XYZ_to_Lab_D65(np.stack([f[3] for f in found]))
    contrasts = np.atleast_1d(delta_E00(spot_Lab, ground_Lab))
    clear = (contrasts >= MIN_SPOT_CONTRAST_DE00) & _melanin_dominated(spot_Lab, ground_Lab)
    return [
        Spot(
            centre_px=skin.to_photo(np.array([rows.mean()]), np.array([columns.mean()]))[0],
            area_mm2=len(rows) * skin.sample_mm**2,
            contrast_dE00=float(contrast),
        )
        for (rows, columns, _, _), contrast, spot in zip(found, contrasts, clear, strict=True)
        if spot
    ]


def find_spots(skin: SkinMap | None) -> SpotSummary:
    """The summary of ``detect_spots``: count, share of the analysed area, mean contrast, thresholds."""
    spots = detect_spots(skin)
    if skin is None or not spots:
        return SpotSummary(0, 0.0, None, MIN_SPOT_AREA_MM2, MIN_SPOT_CONTRAST_DE00)
    return SpotSummary(
        count=len(spots),
        area_share=float(sum(s.area_mm2 for s in spots) / skin.area_mm2),
        mean_contrast_dE00=float(np.mean([s.contrast_dE00 for s in spots])),
        min_area_mm2=MIN_SPOT_AREA_MM2,
        min_contrast_dE00=MIN_SPOT_CONTRAST_DE00,
    )
