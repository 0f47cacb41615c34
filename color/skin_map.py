"""Skin metrics of each region from one calibrated photo: colour indices, evenness and pigmented spots.

A region's pixels are read on their 2-D grid, at a fixed physical resolution, so that the figures do not depend
on the photo's size: the face lies about as far from the camera as the card held beside it, so the card's pose
gives the scale (pixels per millimetre, ``face_px_per_mm``). The steps (``skin_map``):

1. the region's box is cut from the photo, its codes turned into the camera's linear response (the card's tone
   model), divided by the light on the region (``color.light_field``), and resampled to ``SAMPLE_MM`` per sample
   in linear light (``cv2.INTER_AREA``: an area average, as a coarser sensor would see it);
2. samples are calibrated to CIE XYZ (D65) and CIELAB, and left out when outside the polygon, on the card,
   clipped, not of a skin hue, shine (``color.skin.specular_pixels``), shadow (``color.skin.shaded_pixels``) or
   hair (dark and grey against the region's skin); what is left out is widened by ``MASK_MARGIN_MM``;
3. the slow change of the light across the region (a plane in log luminance, fitted robustly) is divided out:
   a cheek turning from the light is geometry, not skin;
4. the samples are smoothed by a masked (normalised) Gaussian of ``SMOOTH_SIGMA_MM`` in linear light (Knutsson
   and Westin 1993's normalised convolution), so that each phone's own noise and the skin's pores do not
   become unevenness.

Evenness (``evenness_dE00``) is the ``EVENNESS_PERCENTILE``-th percentile of the CIEDE2000 difference of the
smoothed samples from the region's median colour: the median ignores anything covering less than half the
region, and blotches or spots on a tenth of the skin are what makes a tone look uneven. Spots are found on the
same map (``color.skin_spots``). Melanin and erythema indices are ``color.skin_indices``' of the region's
colour with the measurement's stated uncertainty.

References:
    Knutsson, H., Westin, C.-F. (1993). Normalized and differential convolution. CVPR 1993, 515-523.
    doi:10.1109/CVPR.1993.341081
    CIE 142-2001 Improvement to industrial colour-difference evaluation (CIEDE2000).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from color.calibrate import Calibration
from color.colorimetry import XYZ_to_Lab_D65, delta_E00
from color.detect import CardPose
from color.errors import RetakeNeeded
from color.face import ANALYSIS_ONLY_REGIONS
from color.lab_arrays import XYZ_to_uv
from color.sampling import CLIP_CODE
from color.skin import SHADE_DUV, RegionColour, _shadow_edge, specular_pixels
from color.skin_colour import _median, _skin_hue

SAMPLE_MM = 0.25  # the map's grid: finer than the smallest spot counted (about 1.6 mm across), coarser than noise
# Smoothing before anything is measured: a Gaussian of 0.5 mm keeps a spot of 1.6 mm at 85 % of its contrast
# (its width is a third of the spot's) while it averages about 30 photo pixels of a 12 MP selfie (0.1 mm a pixel),
# so sensor noise (σ 1-2 ΔE00 a pixel, which differs by phone) falls to about 0.2 ΔE00.
SMOOTH_SIGMA_MM = 0.5
MIN_SUPPORT = 0.5  # a smoothed sample needs half its Gaussian's weight on kept skin, else it is left out
MASK_MARGIN_MM = 0.5  # shine, hair and clipped samples are left out with this margin: their edges blend in
SHADOW_MARGIN_MM = 2.5  # a cast shadow's soft edge (a few mm on a face) goes with it: darker skin in a line
# Hair against skin: much darker (ΔL* beyond 15, several times a spot's contrast) and at most half the skin's
# chroma (hair is dark brown to black; a melanin spot keeps or raises the skin's chroma, color.skin_indices).
HAIR_DARKER_L = 15.0
HAIR_CHROMA_SHARE = 0.5
LIGHT_PLANE_SAMPLES = 2_000  # kept samples on a regular stride the plane (3 numbers) is fitted to
LIGHT_PLANE_BAND = 2.5  # robust standard deviations: samples beyond it do not pull the plane of light
EVENNESS_PERCENTILE = 90.0
EVENNESS_SAMPLE = 4_000  # samples on a regular stride read for the percentile: its sampling error is < 0.01 ΔE00
# Evenness is read at 1 mm (Gaussian σ, the map's 0.5 mm included): blotches of uneven tone span millimetres to
# centimetres, and the colour noise the camera's matrices amplify (σ a*, b* 0.3-0.6 at 0.5 mm on a 1,000 px
# render, measured) halves again.
EVENNESS_SIGMA_MM = 1.0
# One photo's 95 % half-widths: 1.96 × the pooled standard deviation of a region's figure over photos of the same
# face with 6 cameras × 4 lights (bench/bench_skin_maps.py, "repeatability", which prints them beside these).
EVENNESS_95_DE00 = 0.2  # measured ±0.14 and ±0.16 on two draws of 4 faces with 2-8 spots, 96 photos at 5.4 px/mm
SPOT_AREA_SHARE_95 = 0.01  # measured ±0.61 % and ±0.86 % of the region; 98 % of region photos within ±1 % in both
MIN_ANALYSED_MM2 = 10.0  # less kept skin than a 3.5 mm disc: nothing is analysed (evenness nan, no spots)
LEFT, RIGHT = "left_cheek", "right_cheek"


@dataclass(frozen=True)
class SpotSummary:
    count: int
    area_share: float  # spots' area / analysed skin area, 0-1
    mean_contrast_dE00: float | None  # None when no spot
    min_area_mm2: float  # the thresholds used, stated with every result
    min_contrast_dE00: float
    area_share_95: float = SPOT_AREA_SHARE_95  # one photo's 95 % half-width of ``area_share``


@dataclass(frozen=True)
class RegionAnalysis:
    name: str
    Lab_D65: NDArray[np.float64]  # the region's colour (same as the RegionColour's)
    melanin_od: float
    melanin_od_95: float
    erythema_uM_cm: float
    erythema_uM_cm_95: float
    evenness_dE00: float  # robust spread at the stated physical scale; nan when nothing could be analysed
    spots: SpotSummary
    analysed_area_mm2: float
    in_skin_tone: bool  # False for forehead/chin: analysed, not averaged into the foundation tone
    evenness_dE00_95: float = EVENNESS_95_DE00  # one photo's 95 % half-width of ``evenness_dE00``


@dataclass(frozen=True)
class LeftRight:
    difference_dE00: float
    melanin_od: float  # right minus left
    erythema_uM_cm: float
    evenness_dE00: float


@dataclass(frozen=True)
class SkinMap:
    """A region on a grid of ``SAMPLE_MM``: smoothed CIE XYZ (D65, the light's plane divided out) and CIELAB,
    nan where ``kept`` is False."""

    XYZ: NDArray[np.float64]  # (rows, columns, 3)
    Lab: NDArray[np.float64]
    kept: NDArray[np.bool_]  # (rows, columns)
    origin_px: tuple[float, float] = (0.0, 0.0)  # photo pixel (x, y) of the grid's first sample's corner
    px_per_sample: float = 1.0
    sample_mm: float = SAMPLE_MM

    def to_photo(self, rows: NDArray[np.float64], columns: NDArray[np.float64]) -> NDArray[np.float64]:
        """Grid positions (sample centres) to photo pixels (x, y), (n, 2)."""
        x = self.origin_px[0] + (np.asarray(columns) + 0.5) * self.px_per_sample - 0.5
        y = self.origin_px[1] + (np.asarray(rows) + 0.5) * self.px_per_sample - 0.5
        return np.stack([x, y], axis=-1)

    @property
    def area_mm2(self) -> float:
        return float(self.kept.sum()) * self.sample_mm**2


def in_skin_tone(name: str) -> bool:
    """Whether a region's colour enters the foundation tone (forehead and chin are analysed only)."""
    return name not in ANALYSIS_ONLY_REGIONS


def skin_tone_regions(
    colours: list[RegionColour], requested: Sequence[str], refused: dict[str, RetakeNeeded]
) -> list[RegionColour]:
    """The measured regions whose colour makes the skin tone: not forehead or chin (analysed only; their
    refusals are dropped from ``refused``), unless only those were ``requested``. When every tone region was
    refused, the first refusal is raised (``refused`` emptied: no reference cycle keeps the photo alive)."""
    if not any(in_skin_tone(name) for name in requested):
        return colours
    for name in [n for n in refused if not in_skin_tone(n)]:
        del refused[name]
    tone = [c for c in colours if in_skin_tone(c.name)]
    if not tone:
        error = next(iter(refused.values()))
        refused.clear()
        raise error
    return tone


def face_px_per_mm(pose: CardPose) -> float:
    """Photo pixels per millimetre on the card's plane, as a mean over the card: √(its area in px² / in mm²)."""
    width, height = pose.layout.size_mm
    corners = pose.to_image(np.array([[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]]))
    return float(np.sqrt(abs(cv2.contourArea(corners.astype(np.float32))) / (width * height)))


def masked_blur(
    XYZ: NDArray[np.float64], mask: NDArray[np.bool_], sigma_samples: float, min_support: float = MIN_SUPPORT
) -> NDArray[np.float64]:
    """Normalised convolution (Knutsson and Westin 1993): the Gaussian mean of the masked samples around each
    sample, nan where under ``min_support`` of the Gaussian's weight is masked in.

    The masked values and the mask go through one four-channel Gaussian in single precision (OpenCV blurs it
    several times faster than four planes in double; 7 digits are plenty for a mean of light).
    """
    stacked = np.empty((*mask.shape, 4), dtype=np.float32)
    np.multiply(XYZ, mask[..., None], out=stacked[..., :3], casting="unsafe")
    stacked[..., 3] = mask
    cv2.patchNaNs(stacked, 0.0)  # a nan counts as nothing: off the mask (nan × 0) and on it
    blurred = cv2.GaussianBlur(stacked, (0, 0), sigma_samples, borderType=cv2.BORDER_CONSTANT)
    support = blurred[..., 3:]
    mean = np.empty((*mask.shape, 3))
    np.divide(blurred[..., :3], np.maximum(support, 1e-12), out=mean)  # in single precision, stored as double
    mean[support[..., 0] < min_support] = np.nan
    return mean


def _resampled(
    BGR: NDArray[np.uint8], polygon: NDArray[np.float64], exclude: NDArray[np.float64] | None, px_per_mm: float
) -> tuple[NDArray[np.uint8], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]] | None:
    """The region's box (codes R G B), and on the map's grid: its area-weighted coverage by the polygon off the
    card, the share of clipped pixels, and the photo pixels' positions (box corner, pixels per sample)."""
    height, width = BGR.shape[:2]
    x0, y0 = np.clip(np.floor(polygon.min(axis=0)).astype(int), 0, [width - 1, height - 1])
    x1, y1 = np.clip(np.ceil(polygon.max(axis=0)).astype(int) + 1, 1, [width, height])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    codes = np.ascontiguousarray(BGR[y0:y1, x0:x1, ::-1])
    inside = np.zeros(codes.shape[:2], dtype=np.uint8)
    cv2.fillPoly(inside, [np.round(polygon - [x0, y0]).astype(np.int32)], 1)
    if exclude is not None:
        cv2.fillPoly(inside, [np.round(exclude - [x0, y0]).astype(np.int32)], 0)
    brightest = np.maximum(np.maximum(codes[..., 0], codes[..., 1]), codes[..., 2])
    clipped = np.asarray(brightest >= round(CLIP_CODE * 255), dtype=np.float64)
    place = np.array([px_per_mm * SAMPLE_MM, x0, y0], dtype=np.float64)
    return codes, np.asarray(inside, dtype=np.float64), clipped, place


def _to_grid(image: NDArray[np.float64], per_sample: float) -> NDArray[np.float64]:
    rows, columns = image.shape[:2]
    size = (max(1, round(columns / per_sample)), max(1, round(rows / per_sample)))
    interpolation = cv2.INTER_AREA if per_sample > 1 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.float64)


def _least_squares(design: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Least squares by the normal equations (3 unknowns: a tenth of ``lstsq``'s time), ``lstsq`` when singular."""
    try:
        return np.asarray(np.linalg.solve(design.T @ design, design.T @ values), dtype=np.float64)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.lstsq(design, values, rcond=None)[0], dtype=np.float64)


def _flatten_light(XYZ: NDArray[np.float64], kept: NDArray[np.bool_]) -> NDArray[np.float64]:
    """XYZ divided by a plane in log luminance over the grid, fitted robustly to the kept samples (its level
    kept): the slow change of the light across the region. Two re-fits without the samples beyond
    ``LIGHT_PLANE_BAND`` robust standard deviations (spots, blotches). Not a quadratic: a cheek's curvature is
    small over a region, and a quadratic would absorb a blotch in the region's middle (measured: a blotch of
    8 mm on a 17 mm cheek left the evenness at the spotless figure)."""
    scale = 1.0 / max(kept.shape)
    rows, columns = np.nonzero(kept)  # raster order, as the kept samples
    stride = max(1, len(rows) // LIGHT_PLANE_SAMPLES)
    rows, columns = rows[::stride], columns[::stride]
    design = np.stack([np.ones(len(rows)), columns * scale, rows * scale], axis=-1)
    log_Y = np.log(np.maximum(XYZ[rows, columns, 1], 1e-6))
    use = np.ones(len(log_Y), dtype=bool)
    for _ in range(3):
        solution = _least_squares(design[use], log_Y[use])
        residual = log_Y - design @ solution
        spread = 1.4826 * _median(np.abs(residual - _median(residual)))
        use = np.abs(residual) <= LIGHT_PLANE_BAND * max(spread, 1e-3)
    # The plane over the grid, its mean over the kept samples taken out (from the sums of rows and columns).
    row_term = np.arange(kept.shape[0]) * (scale * solution[2])
    column_term = np.arange(kept.shape[1]) * (scale * solution[1])
    kept_rows, kept_columns = kept.sum(axis=1), kept.sum(axis=0)
    level = float(row_term @ kept_rows + column_term @ kept_columns) / max(int(kept_rows.sum()), 1)
    gain = np.exp(-(row_term[:, None] + (column_term - level)[None, :]))
    flat: NDArray[np.float64] = XYZ * gain[..., None]
    return flat


def _left_out(
    Lab: NDArray[np.float64], linear: NDArray[np.float64], XYZ: NDArray[np.float64]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Samples (n, 3, in raster order) that are not diffuse skin in the region's light: no skin hue, shine or hair
    (first), and a cast shadow (second).

    A shadow is ``color.skin``'s lit and shaded modes of one chromaticity (``_shadow_edge``, ``SHADE_DUV``);
    ``shaded_pixels``' other test, the dark tail beyond a band of the lit skin, is not used here: a blotch of
    pigment is such a tail, and it is what the map is for. The shadow's soft edge is left out by a wider margin.
    """
    chroma = np.hypot(Lab[:, 1], Lab[:, 2])
    skin = _skin_hue(Lab) & (Lab[:, 0] > 3) & (chroma > 1)
    shadow = np.zeros(len(Lab), dtype=bool)
    if skin.sum() < 20:
        return np.ones(len(Lab), dtype=bool), shadow
    out = ~skin
    out[np.flatnonzero(skin)[specular_pixels(linear[skin])]] = True
    brightness = linear @ np.full(3, 1 / 3)
    edge_at = _shadow_edge(np.log(np.maximum(brightness[~out], 1e-12)))
    if edge_at is not None:
        dark = ~out & (brightness < np.exp(edge_at))
        lit = ~out & ~dark
        if float(np.linalg.norm(XYZ_to_uv(XYZ[dark].mean(axis=0)) - XYZ_to_uv(XYZ[lit].mean(axis=0)))) < SHADE_DUV:
            shadow = dark
    skin_left = ~out & ~shadow
    lightness, typical_chroma = _median(Lab[skin_left, 0]), _median(chroma[skin_left])
    out |= (Lab[:, 0] < lightness - HAIR_DARKER_L) & (chroma < HAIR_CHROMA_SHARE * typical_chroma)
    return out, shadow


def _grow(mask: NDArray[np.bool_], margin_mm: float) -> NDArray[np.bool_]:
    margin = max(1, round(margin_mm / SAMPLE_MM))
    kernel = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
    grown: NDArray[np.bool_] = cv2.dilate(mask.astype(np.uint8), kernel) > 0
    return grown


def skin_map(
    BGR: NDArray[np.uint8],
    polygon: NDArray[np.float64],
    calibration: Calibration,
    px_per_mm: float,
    *,
    light_ratio: float = 1.0,
    exclude: NDArray[np.float64] | None = None,
) -> SkinMap | None:
    """The region ``polygon`` (photo pixels) of ``BGR`` as a smoothed, calibrated map at ``SAMPLE_MM`` (see the
    module's steps), or None when the region holds no pixel; ``exclude`` is the card's outline."""
    cut = _resampled(BGR, polygon, exclude, px_per_mm)
    if cut is None or px_per_mm <= 0:
        return None
    codes, inside, clipped, place = cut
    per_sample, x0, y0 = (float(v) for v in place)
    # The tone model's table applied by OpenCV (``Calibration.codes_to_linear``, a channel a column), then the
    # region's coverage beside the light it masks: one resampling of the four planes.
    planes = np.empty((*codes.shape[:2], 4))
    table = (calibration.code_to_linear / light_ratio).reshape(256, 1, 3)
    np.multiply(cv2.LUT(codes, table), inside[..., None], out=planes[..., :3])
    planes[..., 3] = inside
    resampled = _to_grid(planes, per_sample)
    coverage = resampled[..., 3]
    linear = resampled[..., :3] / np.maximum(coverage, 1e-12)[..., None]
    valid = (coverage > 0.99) & (_to_grid(clipped, per_sample) == 0)
    XYZ = np.full(linear.shape, np.nan)
    Lab = np.full(linear.shape, np.nan)
    nothing = SkinMap(XYZ, Lab, np.zeros(valid.shape, dtype=bool), (x0, y0), per_sample)
    if valid.sum() < 20:
        return nothing
    linear_valid = linear[valid]
    XYZ_valid = calibration.linear_to_XYZ(linear_valid)
    Lab_valid = XYZ_to_Lab_D65(XYZ_valid)
    XYZ[valid], Lab[valid] = XYZ_valid, Lab_valid
    out, shadow = np.zeros(valid.shape, dtype=bool), np.zeros(valid.shape, dtype=bool)
    out[valid], shadow[valid] = _left_out(Lab_valid, linear_valid, XYZ_valid)
    kept = valid & ~_grow(out, MASK_MARGIN_MM) & ~_grow(shadow, SHADOW_MARGIN_MM)
    if kept.sum() < 20:
        return nothing
    smooth = masked_blur(_flatten_light(XYZ, kept), kept, SMOOTH_SIGMA_MM / SAMPLE_MM)
    kept &= np.isfinite(smooth[..., 1])
    smooth[~kept] = np.nan
    smooth_Lab = np.full(smooth.shape, np.nan)
    smooth_Lab[kept] = XYZ_to_Lab_D65(smooth[kept])
    return SkinMap(smooth, smooth_Lab, kept, (x0, y0), per_sample)


def evenness_dE00(skin: SkinMap) -> float:
    """The ``EVENNESS_PERCENTILE``-th percentile of CIEDE2000 from the map's median colour, the map smoothed
    further to ``EVENNESS_SIGMA_MM`` in all (nan when empty)."""
    if not skin.kept.any():
        return float("nan")
    extra = np.sqrt(EVENNESS_SIGMA_MM**2 - SMOOTH_SIGMA_MM**2) / skin.sample_mm
    XYZ = masked_blur(skin.XYZ, skin.kept, extra)[skin.kept]
    XYZ = XYZ[np.isfinite(XYZ[:, 1])]
    Lab = XYZ_to_Lab_D65(XYZ[:: max(1, -(-len(XYZ) // EVENNESS_SAMPLE))])  # at most EVENNESS_SAMPLE of them
    if len(Lab) == 0:
        return float("nan")
    return float(np.percentile(delta_E00(Lab, np.median(Lab, axis=0)), EVENNESS_PERCENTILE))


def left_right(analyses: Sequence[RegionAnalysis]) -> LeftRight | None:
    """Right cheek minus left cheek ("left" is the image's left, as the regions are named), or None without both."""
    by_name = {a.name: a for a in analyses}
    if LEFT not in by_name or RIGHT not in by_name:
        return None
    left, right = by_name[LEFT], by_name[RIGHT]
    return LeftRight(
        difference_dE00=float(delta_E00(left.Lab_D65, right.Lab_D65)),
        melanin_od=right.melanin_od - left.melanin_od,
        erythema_uM_cm=right.erythema_uM_cm - left.erythema_uM_cm,
        evenness_dE00=right.evenness_dE00 - left.evenness_dE00,
    )
