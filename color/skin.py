"""Skin colour from cheek regions of a calibrated photo.

Each region's pixels are calibrated to CIE XYZ (D65), then kept only if they look like lit skin: not
saturated, a skin-like hue, and within a robust band of the region's own lightness and chroma (which
drops hair, brows, shadows and specular shine). The kept pixels are averaged in XYZ, that is in linear
light, and only then turned into CIELAB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from color.calibrate import Calibration, XYZ_to_Lab_D65, delta_E00
from color.errors import InvalidRegions, RetakeNeeded
from color.sampling import CLIP_CODE, sRGB_decoding_LUT

MAX_REGIONS = 8
MAX_POLYGON_POINTS = 500
MAX_REGION_NAME = 40
MIN_REGION_PIXELS = 400
MAX_PIXELS_PER_REGION = 60_000  # a regular subsample beyond this: the mean does not need more
SKIN_HUE_RANGE_DEG = (15.0, 95.0)
ROBUST_BAND = 2.5  # kept pixels lie within this many robust standard deviations of the region's median
MIN_KEPT_SHARE = 0.3
MIN_KEPT_PIXELS = 200


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


def _segments_cross(
    p1: NDArray[np.float64], p2: NDArray[np.float64], q1: NDArray[np.float64], q2: NDArray[np.float64]
) -> bool:
    def orient(a: NDArray[np.float64], b: NDArray[np.float64], c: NDArray[np.float64]) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    return (d1 * d2 < 0) and (d3 * d4 < 0)


def is_simple_polygon(polygon: NDArray[np.float64]) -> bool:
    """True when no two non-adjacent edges cross (O(k²), k is small)."""
    k = len(polygon)
    edges = [(polygon[i], polygon[(i + 1) % k]) for i in range(k)]
    for i in range(k):
        for j in range(i + 2, k):
            if i == 0 and j == k - 1:
                continue  # adjacent through the closing edge
            if _segments_cross(*edges[i], *edges[j]):
                return False
    return True


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


def region_pixels(BGR: NDArray[np.uint8], region: Region) -> NDArray[np.uint8]:
    """The region's pixel codes (n, 3) as R G B, regularly subsampled to at most MAX_PIXELS_PER_REGION."""
    x0, y0 = np.floor(region.polygon.min(axis=0)).astype(int)
    x1, y1 = np.ceil(region.polygon.max(axis=0)).astype(int) + 1
    crop = BGR[y0:y1, x0:x1]
    mask = np.zeros(crop.shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(region.polygon - [x0, y0]).astype(np.int32)], 1)
    pixels = crop[mask.astype(bool)][:, ::-1]
    step = max(1, len(pixels) // MAX_PIXELS_PER_REGION)
    return np.ascontiguousarray(pixels[::step])


def region_colour(BGR: NDArray[np.uint8], region: Region, calibration: Calibration) -> RegionColour:
    """Calibrated skin colour of one region; ``RetakeNeeded("too_little_skin")`` when too few pixels are skin."""
    codes = region_pixels(BGR, region)
    unclipped = np.all(codes < round(CLIP_CODE * 255), axis=1)
    XYZ = calibration.decoded_to_XYZ(sRGB_decoding_LUT()[codes[unclipped]])
    Lab = XYZ_to_Lab_D65(XYZ)
    chroma = np.hypot(Lab[:, 1], Lab[:, 2])
    hue = np.degrees(np.arctan2(Lab[:, 2], Lab[:, 1])) % 360
    plausible = (hue >= SKIN_HUE_RANGE_DEG[0]) & (hue <= SKIN_HUE_RANGE_DEG[1]) & (Lab[:, 0] > 3) & (chroma > 1)
    keep = plausible.copy()
    for values in (Lab[:, 0], chroma):
        centre = np.median(values[plausible]) if plausible.any() else 0.0
        mad = 1.4826 * np.median(np.abs(values[plausible] - centre)) if plausible.any() else 0.0
        keep &= np.abs(values - centre) <= ROBUST_BAND * max(mad, 0.5)
    kept = int(keep.sum())
    if kept < MIN_KEPT_PIXELS or kept < MIN_KEPT_SHARE * len(codes):
        raise RetakeNeeded(
            "too_little_skin",
            f"Region {region.name!r} shows too little evenly lit skin ({kept} of {len(codes)} pixels).",
            hint="Face the camera with your cheek evenly lit, free of hair, and not in shadow.",
        )
    mean_XYZ = XYZ[keep].mean(axis=0)
    mean_Lab = XYZ_to_Lab_D65(mean_XYZ)
    spread = delta_E00(Lab[keep], np.broadcast_to(mean_Lab, Lab[keep].shape))
    return RegionColour(
        name=region.name,
        XYZ_D65=mean_XYZ,
        Lab_D65=mean_Lab,
        pixels=len(codes),
        kept=kept,
        spread_dE00=float(np.median(spread)),
    )


def combine_regions(colours: list[RegionColour]) -> tuple[NDArray[np.float64], float]:
    """Pixel-weighted mean in XYZ → CIELAB, and the largest ΔE00 between any two regions."""
    weights = np.array([c.kept for c in colours], dtype=np.float64)
    XYZ = np.sum([c.XYZ_D65 * w for c, w in zip(colours, weights, strict=True)], axis=0) / weights.sum()
    difference = 0.0
    for i in range(len(colours)):
        for j in range(i + 1, len(colours)):
            difference = max(difference, float(delta_E00(colours[i].Lab_D65, colours[j].Lab_D65)))
    return XYZ_to_Lab_D65(XYZ), difference
