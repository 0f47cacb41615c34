"""Which of a cheek region's pixels are diffuse skin in the light the rest of the region gets.

A region's pixels are read on a regular grid (``region_pixels``); the tests here tell specular shine (brighter
and whiter than the skin around it, dichromatic reflection), a second surface, and shadow from the skin, and
``censored_mean`` averages a channel the phone clipped at zero. ``color.skin_colour`` applies them to all of a
photo's regions at once; regions are placed and validated in ``color.face``.
"""

from __future__ import annotations

from dataclasses import dataclass

import colour
import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.cluster.vq import kmeans2
from scipy.stats import CensoredData, norm

from color.colorimetry import D65_xy, XYZ_to_Lab_D65, delta_E00
from color.face import MAX_REGIONS, Region, is_simple_polygon, parse_regions
from color.lab_arrays import XYZ_to_uv
from color.quality import MIN_KEPT_SHARE, TWO_SURFACES_DE00

__all__ = [  # regions are placed and validated in color.face, measured here; both are imported from here
    "MAX_REGIONS",
    "Region",
    "RegionColour",
    "censored_mean",
    "clipped_brightness_floor",
    "combine_regions",
    "is_simple_polygon",
    "main_surface",
    "overexposed_skin",
    "parse_regions",
    "region_pixels",
    "shaded_pixels",
    "specular_pixels",
    "surface_centres",
    "surface_members",
]

MAX_PIXELS_PER_REGION = 4_000  # a regular grid beyond this: the mean's standard error is already < 0.1 ΔE00
MIN_CENSORED_SHARE = 0.01  # below this share of zero codes in a channel, the plain mean is unbiased enough
SURFACE_SAMPLE = 600  # pixels clustered to tell one surface from two (enough for two groups and a valley)
MODE_BINS = 40  # histogram of the pixels along the line through the two groups' centres
VALLEY_SHARE = 0.3  # two surfaces leave a valley between them under this share of the smaller peak
# Chromaticity distance (CIE 1976 u'v') under which two groups of a region are one surface, lit and shaded:
# a shadow scales the light, not its colour, so the two share a chromaticity up to noise. Neighbouring tones of
# the Monk scale lie 0.003-0.035 apart (median 0.009, computed from its published swatches): a smaller step is
# the same skin.
SHADOW_DUV = 0.008
# Shine only adds light and shadow only takes it away, so each leaves one side of a distribution clean: its centre
# and spread are read from two quantiles of that side (a normal's), and pixels beyond a band on the other side go.
LOWER_QUANTILES = (0.05, 0.25)  # so the lower quarter must be clean: MAX_SHINE_SHARE refuses a region with less
LOWER_Z = (float(norm.ppf(LOWER_QUANTILES[0])), float(norm.ppf(LOWER_QUANTILES[1])))
SHINE_BAND = 3.0  # standard deviations past the clean side's centre: a normal's one-sided tail holds 0.13 %
SHADE_BAND = 3.0
MIN_SIDE_SHARE = 0.08  # clean cheeks' tail past a band: 95th percentile 2-5 % (1,008 benchmark cheeks); kept
MAX_SHINE_SHARE = 1.0 - MIN_KEPT_SHARE  # with less bare skin than quality's minimum left, the region is refused
SHINE_WINDOW = 9  # neighbours along a row of the region's grid: noise 3× lower, a highlight (tens of px) stays
WINDOW = np.full(SHINE_WINDOW, 1 / SHINE_WINDOW)
MAX_PASSES = 20  # the shine band reaches its fixed point within 14 passes in 1,256 of 1,258 benchmark cheeks
MIN_SHADOW_STEP = 0.22  # a shadow takes at least a fifth of the light (ln 1.25); 8-bit codes leave gaps of 0.04-0.06
SHADOW_VALLEY_SHARE = 0.5  # a soft edge fills a shadow's valley; none this deep in 1,008 clean benchmark cheeks
# A pixel clipped in one channel: skin too bright for the phone when its two other channels keep this share of
# the skin's log ratio between them; shine moves it towards white. Measured on benchmark cheeks (seed 2041,
# region medians): clipped highlights kept 20-52 % of it, over-exposed skin 80-98 %.
OVEREXPOSED_RATIO_SHARE = 0.7
# A clipped area under this share of a region may be a highlight on skin whose two unclipped channels are alike
# (a benchmark cheek: a highlight kept 0.71 of the log ratio, its green 2.1 times the skin's, the clip's onset at
# 1.5): there only pixels just past the onset are skin. A larger clipped area is the light on the skin (a lit half
# of a cheek clipped beside its shadow: 54 %).
OVEREXPOSED_AREA_SHARE = 0.25
OVEREXPOSED_ONSET_MARGIN = 0.25
MIN_TELLING_LOG_RATIO = 0.05  # below this the two channels' ratio cannot tell the skin from white
# Lit and shaded sides of one skin measured 0.000-0.014 apart in u'v' (noise and the tone curve's toe in deep
# shadow, on dark skin): a darker surface of another colour is main_surface's to tell apart, before this.
SHADE_DUV = 0.02


@dataclass(frozen=True, slots=True)
class RegionColour:
    name: str
    XYZ_D65: NDArray[np.float64]
    Lab_D65: NDArray[np.float64]
    pixels: int
    kept: int
    spread_dE00: float  # robust spread of the kept pixels around the region's colour
    left_out_share: float = 0.0  # of the region, left out as the card, a second surface, shine or shadow
    clipped_shift_dE00: float = 0.0  # the least its colour moves with its skin too bright for the phone (clipped)
    clipped_brightness: float = 1.0  # the least factor that skin brightens its colour by (a floor of the bias)


def _mask(
    polygon: NDArray[np.float64], origin: tuple[int, int], stride: int, shape: tuple[int, int]
) -> NDArray[np.bool_]:
    mask = np.zeros(shape, dtype=np.uint8)
    cv2.fillPoly(mask, [np.round((polygon - origin) / stride).astype(np.int32)], 1)
    return mask.astype(bool)


def region_pixels(
    BGR: NDArray[np.uint8], region: Region, *, exclude: NDArray[np.float64] | None = None
) -> tuple[NDArray[np.uint8], float]:
    """The region's pixel codes (n, 3) as R G B in raster order, on a regular grid of at most about
    MAX_PIXELS_PER_REGION, and the share of the region left after removing what lies inside the ``exclude``
    polygon (the card). Neighbours along a row stay neighbours in the list (``specular_pixels`` relies on it)."""
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


def surface_centres(Lab: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """The sample of a region's pixels (CIELAB) that ``main_surface`` clusters and its two means (k-means, seeded
    for repeatability), or None when the region has too few pixels to split."""
    if len(Lab) < 20:
        return None
    sample = Lab[:: max(1, len(Lab) // SURFACE_SAMPLE)]
    centres, _ = kmeans2(sample, 2, minit="++", seed=np.random.default_rng(0), check_finite=False)
    return sample, np.asarray(centres, dtype=np.float64)


def surface_members(
    Lab: NDArray[np.float64],
    sample: NDArray[np.float64] | None,
    centres: NDArray[np.float64] | None,
    separation: float,
) -> tuple[NDArray[np.bool_], float, float, bool]:
    """``main_surface`` given ``surface_centres`` and the CIEDE2000 ``separation`` of the two centres (so that
    the regions of a photo share one CIEDE2000 call)."""
    everything = np.ones(len(Lab), dtype=bool)
    if sample is None or centres is None:
        return everything, 1.0, 0.0, False
    if not np.isfinite(separation) or separation < TWO_SURFACES_DE00 or not _two_modes(sample, centres):
        return everything, 1.0, separation, False
    labels = np.argmin(np.linalg.norm(Lab[:, None, :] - centres[None], axis=2), axis=1)
    uv = XYZ_to_uv(np.asarray(colour.Lab_to_XYZ(centres, D65_xy), dtype=np.float64))
    if float(np.linalg.norm(uv[0] - uv[1])) < SHADOW_DUV:
        members = labels == int(np.argmax(centres[:, 0]))  # the lit side of a shadow's edge
        return members, float(members.mean()), separation, True
    members = labels == int(np.argmax(np.bincount(labels, minlength=2)))
    return members, float(members.mean()), separation, False


def main_surface(Lab: NDArray[np.float64]) -> tuple[NDArray[np.bool_], float, float, bool]:
    """Which pixels belong to the region's main surface, its share, how far apart two surfaces are, and whether
    the other one is the same skin in shadow.

    Two means (k-means on CIELAB, seeded for repeatability) split the pixels; if the means are closer than
    ``TWO_SURFACES_DE00``, or the pixels fill the space between them (a smooth slope of light, ``_two_modes``),
    it is one surface and every pixel belongs to it. Two groups of one chromaticity
    (within ``SHADOW_DUV`` in CIE 1976 u'v') are the same skin in light and in shadow: the lit one is the main
    surface, whatever its share. Otherwise the larger group is.
    """
    split = surface_centres(Lab)
    if split is None:
        return surface_members(Lab, None, None, 0.0)
    sample, centres = split
    return surface_members(Lab, sample, centres, float(delta_E00(centres[0], centres[1])))


def _lower_side(values: NDArray[np.float64]) -> tuple[float, float]:
    """Centre and standard deviation of a normal sample whose upper side may be contaminated, read from its
    ``LOWER_QUANTILES`` (the contamination must leave the lower of them clean): linear interpolation between
    order statistics, as ``np.quantile``, found by a partial sort (a few times faster than sorting)."""
    position = np.multiply(LOWER_QUANTILES, len(values) - 1)
    index = np.minimum(position.astype(int), len(values) - 2)
    ordered = np.partition(values, np.concatenate([index, index + 1]))
    low, high = ordered[index] + (position - index) * (ordered[index + 1] - ordered[index])
    sigma = max(float(high - low) / (LOWER_Z[1] - LOWER_Z[0]), 1e-12)
    return float(high) - LOWER_Z[1] * sigma, sigma


def specular_pixels(linear: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which of a region's skin pixels (linear, white-balanced, (n, 3)) carry a specular highlight.

    Dichromatic reflection (Shafer 1985, Color Res. Appl. 10(4), 210-218, doi:10.1002/col.5080100409): a pixel
    is s·D + m·W, the skin's diffuse colour D times its shading s plus light reflected at the surface in the
    light's own colour W, which the card's neutrals make (1, 1, 1) here. On that basis m/s does not change with
    shading and only grows with shine: clean skin is its lower side, and a pixel beyond ``SHINE_BAND`` of it is
    brighter and less saturated than the skin around it. Fewer than ``MIN_SIDE_SHARE`` such pixels are noise.
    """
    none = np.zeros(len(linear), dtype=bool)
    if len(linear) < 20:
        return none
    diffuse = np.ones(len(linear)) @ linear  # any colour in the plane of D and W will do: it only shifts m/s
    basis = np.stack([diffuse / np.linalg.norm(diffuse), np.full(3, 1 / np.sqrt(3))], axis=1)
    s, m = (linear @ np.linalg.pinv(basis).T).T
    ratio = np.convolve(np.pad(m / np.maximum(s, 1e-12), SHINE_WINDOW // 2, mode="edge"), WINDOW, mode="valid")
    clean = ratio
    for _ in range(MAX_PASSES):  # to the fixed point: the band read from the pixels it keeps
        centre, sigma = _lower_side(clean)
        limit = centre + SHINE_BAND * sigma
        kept = ratio[ratio <= limit]
        if len(kept) >= len(clean):
            break
        clean = kept
    shine = ratio > limit
    return shine if np.count_nonzero(shine) >= MIN_SIDE_SHARE * len(shine) else none


def overexposed_skin(
    clipped: NDArray[np.bool_], linear: NDArray[np.float64], skin: NDArray[np.float64], *, region_pixels: int
) -> NDArray[np.bool_]:
    """Which pixels, of those with channels at the clipping code (``clipped`` (n, 3), their ``linear`` (n, 3)), are
    the diffuse skin too bright for the phone rather than shine; ``skin`` are the region's unclipped skin pixels.

    A highlight adds light of the light's colour, white once the card's neutrals balance it (Shafer 1985, see
    ``specular_pixels``), and takes the ratio of a pixel's two unclipped channels towards 1; the skin itself, only
    brighter, keeps its proportion. A pixel clipped in one channel whose other two keep at least
    ``OVEREXPOSED_RATIO_SHARE`` of the skin's log ratio may be skin. Where the skin's two channels are alike that
    test is weak, so a few such pixels (under ``OVEREXPOSED_AREA_SHARE`` of the region) are skin only when just
    past the clip: their unclipped channels no more than ``OVEREXPOSED_ONSET_MARGIN`` brighter, relative to the
    skin, than the clipped one's clipped value (a highlight's added light lifts them well beyond it). With too few
    unclipped skin pixels to tell, every pixel clipped in one channel is taken as skin.
    """
    one: NDArray[np.bool_] = clipped.sum(axis=1) == 1
    result = np.zeros(len(clipped), dtype=bool)
    if not one.any():
        return result
    if len(skin) < 20:
        return one
    for channel in range(3):
        these = one & clipped[:, channel]
        if not these.any():
            continue
        high, low = [c for c in range(3) if c != channel]
        skin_log_ratio = np.median(np.log(np.maximum(skin[:, high], 1e-12) / np.maximum(skin[:, low], 1e-12)))
        pixel_log_ratio = np.log(np.maximum(linear[these, high], 1e-12) / np.maximum(linear[these, low], 1e-12))
        if abs(skin_log_ratio) < MIN_TELLING_LOG_RATIO:  # white and the skin look alike in these channels
            result[these] = True
            continue
        result[these] = pixel_log_ratio / skin_log_ratio >= OVEREXPOSED_RATIO_SHARE
    if result.sum() < OVEREXPOSED_AREA_SHARE * region_pixels:
        relative = linear / np.maximum(np.median(skin, axis=0), 1e-12)  # each channel's brightness over the skin's
        onset = np.where(clipped, relative, np.inf).min(axis=1)  # where the clipped channel clips
        unclipped = np.where(clipped, np.inf, relative).min(axis=1)
        result &= unclipped <= (1.0 + OVEREXPOSED_ONSET_MARGIN) * onset
    return result


def clipped_brightness_floor(kept: int, skin: NDArray[np.float64], clipped: NDArray[np.float64]) -> float:
    """The least factor by which a region's clipped skin pixels (``clipped``, (n, 3) linear, clipped channels at
    their clipped values) brighten the mean ``skin`` colour of its ``kept`` pixels, had they been measured.

    Each is the skin's colour times a brightness s, and each channel, the clipped one too (its true value lies
    above its clipped one), says s ≥ observed / skin: the largest of those ratios is a floor of s.
    """
    if kept + len(clipped) == 0:
        return 1.0
    floors = (clipped / np.maximum(skin, 1e-12)).max(axis=1) if len(clipped) else np.zeros(0)
    return float((kept + floors.sum()) / (kept + len(clipped)))


def _shadow_edge(log_brightness: NDArray[np.float64]) -> float | None:
    """The log brightness at the valley between a lit and a shaded mode of ``log_brightness`` (any order), or
    None when there is one mode.

    The histogram (bins a quarter of ``MIN_SHADOW_STEP``, wider than the gaps between 8-bit codes, smoothed
    over three) has a second mode where a bin at least ``MIN_SHADOW_STEP`` from the highest one holds at least
    ``MIN_SIDE_SHARE`` of the pixels beyond a valley under ``SHADOW_VALLEY_SHARE`` of it (the dip test's idea,
    Hartigan and Hartigan 1985, as in ``_two_modes``); the highest such bin is the other mode.
    """
    n = len(log_brightness)
    ends = [int(0.005 * n), int(0.995 * n)]
    low, high = np.partition(log_brightness, ends)[ends]  # the 0.5 and 99.5 % order statistics
    width = MIN_SHADOW_STEP / 4
    if high - low < MIN_SHADOW_STEP + width:
        return None
    edges = np.linspace(low, high, int(np.ceil((high - low) / width)) + 1)
    bins = np.searchsorted(edges, log_brightness, side="right") - 1  # bin i holds edges[i] <= x < edges[i + 1]
    counts = np.bincount(bins[(bins >= 0) & (bins < len(edges) - 1)], minlength=len(edges) - 1)
    smooth = np.convolve(counts, np.ones(3) / 3, mode="same")
    top = int(np.argmax(smooth))
    best: tuple[float, int, int] | None = None
    for side in (1, -1):  # the bins above the highest one, then those below it, walking away from it
        path = smooth[top::side]
        beyond = counts[top::side][::-1].cumsum()[::-1]  # pixels from each bin outward
        mode = (np.minimum.accumulate(path) < SHADOW_VALLEY_SHARE * path) & (beyond >= MIN_SIDE_SHARE * n)
        mode &= np.arange(len(path)) * (edges[1] - edges[0]) >= MIN_SHADOW_STEP
        if mode.any():
            j = int(np.argmax(np.where(mode, path, -1.0)))
            if best is None or path[j] > best[0]:
                best = (float(path[j]), side, int(np.argmin(path[: j + 1])))
    if best is None:
        return None
    _, side, valley = best
    return float(0.5 * (edges[top + side * valley] + edges[top + side * valley + 1]))


def shaded_pixels(linear: NDArray[np.float64], XYZ: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which pixels of one skin surface (linear (n, 3) and XYZ) lie in a shadow or on its soft edge.

    A shadow scales the light, not its colour: a lit and a shaded mode of the log brightness (``_shadow_edge``)
    of one chromaticity (``SHADE_DUV``) are the same skin lit and shaded, and the darker goes. A shadow only
    takes light away, so the lit skin is the upper side of the brightness: pixels beyond ``SHADE_BAND`` below
    it are a shadow's soft edge (fewer than ``MIN_SIDE_SHARE`` of them are noise, and stay).
    """
    shade = np.zeros(len(linear), dtype=bool)
    if len(linear) < 20:
        return shade
    brightness = linear @ np.full(3, 1 / 3)  # (a matrix product: numpy's mean over 3 columns is slow)
    edge_at = _shadow_edge(np.log(np.maximum(brightness, 1e-12)))
    if edge_at is not None:
        dark = brightness < np.exp(edge_at)
        if float(np.linalg.norm(XYZ_to_uv(XYZ[dark].mean(axis=0)) - XYZ_to_uv(XYZ[~dark].mean(axis=0)))) < SHADE_DUV:
            shade = dark
    centre, sigma = _lower_side(-brightness[~shade])  # linear light: in the dark, the log's noise is skewed
    edge = ~shade & (brightness < -(centre + SHADE_BAND * sigma))
    return shade | edge if shade.any() or edge.mean() >= MIN_SIDE_SHARE else shade


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
