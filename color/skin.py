"""Skin colour from cheek regions of a calibrated photo.

Each region's pixels are calibrated to CIE XYZ (D65), then kept only if they look like lit skin: not
saturated, a skin-like hue, and within a robust band of the region's own lightness and chroma (which
drops hair, brows, shadows and specular shine). The kept pixels are averaged in XYZ, that is in linear
light, and only then turned into CIELAB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import colour
import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.cluster.vq import kmeans2
from scipy.stats import CensoredData, norm

from color.calibrate import Calibration
from color.colorimetry import D65_xy, XYZ_to_Lab_D65, delta_E00, hue_angle_deg
from color.errors import InvalidRegions
from color.quality import (
    TWO_SURFACES_DE00,
    check_region_main_surface,
    check_region_skin_colours,
    check_skin_pixels,
)
from color.sampling import CLIP_CODE

MAX_REGIONS = 8
MAX_POLYGON_POINTS = 500
MAX_REGION_NAME = 40
MIN_REGION_PIXELS = 400
MAX_PIXELS_PER_REGION = 4_000  # a regular grid beyond this: the mean's standard error is already < 0.1 ΔE00
ROUGH_STRIDE = 4  # the first, rough pass looks at every fourth pixel
SPREAD_SAMPLE = 500  # pixels used to describe the spread of a region's colours (a median: 500 are plenty)
SKIN_HUE_RANGE_DEG = (15.0, 95.0)
ROBUST_BAND = 2.5  # kept pixels lie within this many robust standard deviations of the region's median
MIN_CENSORED_SHARE = 0.01  # below this share of zero codes in a channel, the plain mean is unbiased enough
SURFACE_SAMPLE = 600  # pixels clustered to tell one surface from two (enough for two groups and a valley)
MODE_BINS = 40  # histogram of the pixels along the line through the two groups' centres
VALLEY_SHARE = 0.3  # two surfaces leave a valley between them under this share of the smaller peak
# Chromaticity distance (CIE 1976 u'v') under which two groups of a region are one surface, lit and shaded:
# a shadow scales the light, not its colour, so the two share a chromaticity up to noise. Neighbouring tones of
# the Monk scale lie 0.003-0.035 apart (median 0.009, computed from its published swatches): a smaller step is
# the same skin.
SHADOW_DUV = 0.008


@dataclass(frozen=True, slots=True)
class Region:
    name: str
    polygon: NDArray[np.float64]  # (k, 2) x, y in pixels of the upright image


@dataclass(frozen=True, slots=True)
class RegionColour:
    name: str
    XYZ_D65: NDArray[np.float64]
    Lab_D65: NDArray[np.float64]
    pixels: int
    kept: int
    spread_dE00: float  # robust spread of the kept pixels around the region's colour
    left_out_share: float = 0.0  # of the region, left out as the card or as a second surface


def is_simple_polygon(polygon: NDArray[np.float64]) -> bool:
    """True when no two non-adjacent edges properly cross (all edge pairs tested at once)."""
    start = polygon
    end = np.roll(polygon, -1, axis=0)
    k = len(polygon)

    def orient(a: NDArray[np.float64], b: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
        cross: NDArray[np.float64] = (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (
            c[..., 0] - a[..., 0]
        )
        return cross

    p1, p2 = start[:, None, :], end[:, None, :]
    q1, q2 = start[None, :, :], end[None, :, :]
    crossing = (orient(q1, q2, p1) * orient(q1, q2, p2) < 0) & (orient(p1, p2, q1) * orient(p1, p2, q2) < 0)
    i, j = np.indices((k, k))
    adjacent = (np.abs(i - j) <= 1) | (np.abs(i - j) == k - 1)
    return not bool(np.any(crossing & ~adjacent))


def parse_regions(document: Any, image_size: tuple[int, int]) -> list[Region]:
    """Validate ``[{"name": ..., "polygon": [[x, y], ...]}, ...]`` against the upright image size."""
    if not isinstance(document, list) or not document:
        raise InvalidRegions("Regions must be a non-empty list of {name, polygon}.")
    if len(document) > MAX_REGIONS:
        raise InvalidRegions(f"At most {MAX_REGIONS} regions are accepted.")
    width, height = image_size
    regions: list[Region] = []
    for index, item in enumerate(document):
        if not isinstance(item, dict) or set(item) != {"name", "polygon"}:
            raise InvalidRegions(f"Region {index} must have exactly the keys 'name' and 'polygon'.")
        name, points = item["name"], item["polygon"]
        if not isinstance(name, str) or not 0 < len(name) <= MAX_REGION_NAME:
            raise InvalidRegions(f"Region {index} needs a name of 1-{MAX_REGION_NAME} characters.")
        if not isinstance(points, list) or not 3 <= len(points) <= MAX_POLYGON_POINTS:
            raise InvalidRegions(f"Region {name!r} needs a polygon of 3-{MAX_POLYGON_POINTS} points.")
        try:
            polygon = np.array(points, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidRegions(f"Region {name!r}: every point must be [x, y] numbers.") from exc
        if polygon.shape != (len(points), 2) or not np.all(np.isfinite(polygon)):
            raise InvalidRegions(f"Region {name!r}: every point must be [x, y] finite numbers.")
        if np.any(polygon < 0) or np.any(polygon[:, 0] > width - 1) or np.any(polygon[:, 1] > height - 1):
            raise InvalidRegions(
                f"Region {name!r} reaches outside the {width}×{height} image (coordinates are pixels of the "
                "upright image, after EXIF orientation)."
            )
        if not is_simple_polygon(polygon):
            raise InvalidRegions(f"Region {name!r} is a self-intersecting polygon.")
        if abs(cv2.contourArea(polygon.astype(np.float32))) < MIN_REGION_PIXELS:
            raise InvalidRegions(f"Region {name!r} covers fewer than {MIN_REGION_PIXELS} pixels.")
        regions.append(Region(name=name, polygon=polygon))
    if len({r.name for r in regions}) != len(regions):
        raise InvalidRegions("Region names must be unique.")
    return regions


def _mask(
    polygon: NDArray[np.float64], origin: tuple[int, int], stride: int, shape: tuple[int, int]
) -> NDArray[np.bool_]:
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(mask, [np.round((polygon - origin) / stride).astype(np.int32)], 1)
    return mask.astype(bool)


def region_pixels(
    BGR: NDArray[np.uint8], region: Region, *, exclude: NDArray[np.float64] | None = None
) -> tuple[NDArray[np.uint8], float]:
    """The region's pixel codes (n, 3) as R G B, on a regular grid of at most about MAX_PIXELS_PER_REGION, and
    the share of the region left after removing what lies inside the ``exclude`` polygon (the card)."""
    x0, y0 = np.floor(region.polygon.min(axis=0)).astype(int)
    x1, y1 = np.ceil(region.polygon.max(axis=0)).astype(int) + 1
    stride = max(1, int(np.sqrt((x1 - x0) * (y1 - y0) / MAX_PIXELS_PER_REGION)))
    crop = BGR[y0:y1:stride, x0:x1:stride]
    inside = _mask(region.polygon, (x0, y0), stride, crop.shape[:2])
    kept_share = 1.0
    if exclude is not None:
        clear = inside & ~_mask(exclude, (x0, y0), stride, crop.shape[:2])
        kept_share = float(clear.sum() / max(int(inside.sum()), 1))
        inside = clear
    return np.ascontiguousarray(crop[inside][:, ::-1]), kept_share


def _bin(position: float) -> int:
    """The histogram bin of a position along the line between two centres (``_two_modes``)."""
    return int((position + 0.5) / 2.0 * MODE_BINS)


def _two_modes(Lab: NDArray[np.float64], centres: NDArray[np.float64]) -> bool:
    """True when the pixels gather around the two centres with a gap between them, not along a slope.

    A cheek that darkens smoothly toward the face's edge also splits into two groups, but its pixels fill the
    space between them; skin beside hair, a shadow's edge or a scarf leaves a valley there. The pixels are
    projected onto the line through the centres (0 at one, 1 at the other) and the density in the middle is
    compared with the density at the centres (the dip test's idea, Hartigan and Hartigan 1985, Ann. Stat.
    13(1), 70-84, doi:10.1214/aos/1176346577, in its simplest form).
    """
    axis = centres[1] - centres[0]
    position = (Lab - centres[0]) @ axis / float(axis @ axis)
    counts, _ = np.histogram(position, bins=MODE_BINS, range=(-0.5, 1.5))
    smooth = np.convolve(counts, np.ones(3) / 3, mode="same")
    peaks = min(smooth[_bin(-0.1) : _bin(0.1) + 1].max(), smooth[_bin(0.9) : _bin(1.1) + 1].max())
    valley = float(smooth[_bin(0.35) : _bin(0.65) + 1].min())
    return bool(valley < VALLEY_SHARE * peaks)


def main_surface(Lab: NDArray[np.float64]) -> tuple[NDArray[np.bool_], float, float, bool]:
    """Which pixels belong to the region's main surface, its share, how far apart two surfaces are, and whether
    the other one is the same skin in shadow.

    Two means (k-means on CIELAB, seeded for repeatability) split the pixels; if the means are closer than
    ``TWO_SURFACES_DE00``, or the pixels fill the space between them (a smooth slope of light, ``_two_modes``),
    it is one surface and every pixel belongs to it. Two groups of one chromaticity
    (within ``SHADOW_DUV`` in CIE 1976 u'v') are the same skin in light and in shadow: the lit one is the main
    surface, whatever its share. Otherwise the larger group is.
    """
    everything = np.ones(len(Lab), dtype=bool)
    if len(Lab) < 20:
        return everything, 1.0, 0.0, False
    sample = Lab[:: max(1, len(Lab) // SURFACE_SAMPLE)]
    centres, _ = kmeans2(sample, 2, minit="++", seed=np.random.default_rng(0))
    separation = float(delta_E00(centres[0], centres[1]))
    if not np.isfinite(separation) or separation < TWO_SURFACES_DE00 or not _two_modes(sample, centres):
        return everything, 1.0, separation, False
    labels = np.argmin(np.linalg.norm(Lab[:, None, :] - centres[None], axis=2), axis=1)
    uv = colour.xy_to_Luv_uv(colour.XYZ_to_xy(colour.Lab_to_XYZ(centres, D65_xy)))
    if float(np.linalg.norm(uv[0] - uv[1])) < SHADOW_DUV:
        members = labels == int(np.argmax(centres[:, 0]))  # the lit side of a shadow's edge
        return members, float(members.mean()), separation, True
    members = labels == int(np.argmax(np.bincount(labels, minlength=2)))
    return members, float(members.mean()), separation, False


def rough_XYZ(codes: NDArray[np.uint8], calibration: Calibration, *, light_ratio: float = 1.0) -> NDArray[np.float64]:
    """Mean XYZ of a region's unsaturated pixels: a first, unfiltered estimate that locates the skin."""
    sample = codes[::ROUGH_STRIDE]
    unclipped = np.all(sample < round(CLIP_CODE * 255), axis=1)
    selected = sample[unclipped] if unclipped.any() else sample
    return calibration.linear_to_XYZ(calibration.codes_to_linear(selected).mean(axis=0) / light_ratio)


def region_colour(
    codes: NDArray[np.uint8],
    region: Region,
    calibration: Calibration,
    *,
    off_card_share: float = 1.0,
    light_ratio: float = 1.0,
) -> RegionColour:
    """Calibrated skin colour of one region's pixel codes (from ``region_pixels``).

    A region on something that is not skin, or split between skin and something else without
    a clear majority, is refused (``region_not_skin``); ``too_little_skin`` when too few pixels are evenly lit
    skin. ``off_card_share`` is the share of the region clear of the card (from ``region_pixels``; the caller
    refuses a region mostly on the card before calibrating). ``light_ratio`` is the irradiance on the region
    relative to the card's (``color.light_field``): the response is divided by it before it is corrected.
    """
    unclipped = np.all(codes < round(CLIP_CODE * 255), axis=1)
    linear = calibration.codes_to_linear(codes[unclipped]) / light_ratio
    XYZ = calibration.linear_to_XYZ(linear)  # per pixel, only to tell skin from the rest
    Lab = XYZ_to_Lab_D65(XYZ)
    chroma = np.hypot(Lab[:, 1], Lab[:, 2])
    hue = hue_angle_deg(Lab[:, 1], Lab[:, 2])
    plausible = (hue >= SKIN_HUE_RANGE_DEG[0]) & (hue <= SKIN_HUE_RANGE_DEG[1]) & (Lab[:, 0] > 3) & (chroma > 1)
    skin_colour_share = float(plausible.mean()) if len(plausible) else 0.0
    check_region_skin_colours(region.name, skin_colour_share)
    surface, main_share, separation, shadow = main_surface(Lab[plausible])
    if not shadow:
        check_region_main_surface(region.name, main_share, separation)
    check_skin_pixels(region.name, int(surface.sum()), len(codes))
    plausible[np.flatnonzero(plausible)[~surface]] = False
    keep = plausible.copy()
    for values in (Lab[:, 0], chroma):
        centre = np.median(values[plausible]) if plausible.any() else 0.0
        mad = 1.4826 * np.median(np.abs(values[plausible] - centre)) if plausible.any() else 0.0
        keep &= np.abs(values - centre) <= ROBUST_BAND * max(mad, 0.5)
    kept = int(keep.sum())
    check_skin_pixels(region.name, kept, len(codes))
    # Light adds up in the camera's linear response: average there, then correct once. Correcting each
    # noisy pixel first would bias the mean through the correction's non-linear terms (Jensen's inequality),
    # most for dark skin, whose blue response is small (measured: b* about −2 on ITA < −30° skin).
    kept_linear, kept_codes = linear[keep], codes[unclipped][keep]
    floor = calibration.code_to_linear[:2].mean(axis=0) / light_ratio  # halfway between codes 0 and 1, per channel
    mean_linear = np.array([censored_mean(kept_linear[:, c], kept_codes[:, c] == 0, float(floor[c])) for c in range(3)])
    mean_XYZ = calibration.linear_to_XYZ(mean_linear)
    mean_Lab = XYZ_to_Lab_D65(mean_XYZ)
    kept_Lab = Lab[keep]
    sample = kept_Lab[:: max(1, len(kept_Lab) // SPREAD_SAMPLE)]
    spread = delta_E00(sample, np.broadcast_to(mean_Lab, sample.shape))
    return RegionColour(
        name=region.name,
        XYZ_D65=mean_XYZ,
        Lab_D65=mean_Lab,
        pixels=len(codes),
        kept=kept,
        spread_dE00=float(np.median(spread)),
        left_out_share=1.0 - off_card_share * main_share * skin_colour_share,
    )


def censored_mean(values: NDArray[np.float64], censored: NDArray[np.bool_], floor: float) -> float:
    """Mean of normally distributed values of which the ``censored`` ones are only known to be ≤ ``floor``.

    Maximum likelihood for a left-censored normal sample (Tobin 1958, Econometrica 26(1), 24-36,
    doi:10.2307/1907382), fitted by SciPy: a dark, saturated colour near the edge of the photo's gamut has
    a channel whose noisy values the phone clips at zero, and a plain mean of what is left is biased upward.
    """
    if float(np.mean(censored)) < MIN_CENSORED_SHARE:
        return float(values.mean())
    observed = values[~censored]
    if len(observed) < 2:
        return float(floor)
    sample = CensoredData(uncensored=observed, left=np.full(int(censored.sum()), floor))
    mean, _ = norm.fit(sample)
    return float(mean)


def combine_regions(colours: list[RegionColour]) -> tuple[NDArray[np.float64], float]:
    """Pixel-weighted mean in XYZ → CIELAB, and the largest ΔE00 between any two regions."""
    weights = np.array([c.kept for c in colours], dtype=np.float64)
    XYZ = np.sum([c.XYZ_D65 * w for c, w in zip(colours, weights, strict=True)], axis=0) / weights.sum()
    difference = 0.0
    for i in range(len(colours)):
        for j in range(i + 1, len(colours)):
            difference = max(difference, float(delta_E00(colours[i].Lab_D65, colours[j].Lab_D65)))
    return XYZ_to_Lab_D65(XYZ), difference
