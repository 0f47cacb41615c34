"""The calibrated skin colour of a photo's cheek regions, all regions measured in one batch.

Each region's pixels are calibrated to CIE XYZ (D65), then kept only if they are diffuse skin in the light the
rest of the region gets (the tests are ``color.skin``'s): not saturated, a skin-like hue, no specular shine, one
surface, out of shadow, and within a robust band of the region's own lightness and chroma. The kept pixels are
averaged in XYZ, that is in linear light, and only then turned into CIELAB.

The regions of a photo go through each colour conversion together: a call costs a fixed overhead whatever the
number of colours (NumPy's, on arrays this small), so one call for all regions instead of one per region and
step saves most of a region's time. Every result is the one a region measured alone would give.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from color.calibrate import Calibration
from color.colorimetry import XYZ_to_Lab_D65, delta_E00
from color.errors import RetakeNeeded
from color.face import Region
from color.quality import (
    MAX_OVEREXPOSURE_SHIFT_DE00,
    Retake,
    check_region_main_surface,
    check_region_skin_colours,
    check_skin_pixels,
)
from color.sampling import CLIP_CODE
from color.skin import (
    MAX_SHINE_SHARE,
    RegionColour,
    censored_mean,
    clipped_brightness_floor,
    overexposed_skin,
    shaded_pixels,
    specular_pixels,
    surface_centres,
    surface_members,
)

ROUGH_STRIDE = 4  # the first, rough pass looks at every fourth pixel
SPREAD_SAMPLE = 500  # pixels used to describe the spread of a region's colours (a median: 500 are plenty)
SKIN_HUE_RANGE_DEG = (15.0, 95.0)
ROBUST_BAND = 2.5  # kept pixels lie within this many robust standard deviations of the region's median
# A pixel's hue is read through the photo's noise. A skin region's pixel leaves the skin-hue wedge only when it lies
# outside by more than this many standard deviations of the pixel noise in a* and b* (read from neighbouring
# pixels' differences, so the region's real variation, lit and shaded parts or spots, does not count). With a
# strict wedge, a noisy photo (a stacked-layer sensor, whose colour matrix amplifies noise 3-5 times more than a
# colour-filter sensor's) loses one side of its pixel cloud at the wedge's edge and the mean moves away from it.
HUE_NOISE_SIGMAS = 2.5


@dataclass(frozen=True, slots=True)
class RegionCodes:
    """One region's pixel codes (from ``color.skin.region_pixels``) and what measuring them needs.

    ``off_card_share`` is the share of the region clear of the card; ``light_ratio`` the irradiance on the
    region relative to the card's (``color.light_field``).
    """

    region: Region
    codes: NDArray[np.uint8]
    off_card_share: float = 1.0
    light_ratio: float = 1.0


@dataclass
class _Work:
    """One region's pixels between the batched steps of ``region_colours``."""

    item: RegionCodes
    usable: NDArray[np.uint8]
    linear: NDArray[np.float64]
    XYZ: NDArray[np.float64]
    Lab: NDArray[np.float64]
    chroma: NDArray[np.float64]
    plausible: NDArray[np.bool_]
    clipped: int
    overexposed: NDArray[np.float64]  # linear responses of the skin's clipped pixels (a floor: clipped values)
    sample: NDArray[np.float64] | None = None
    centres: NDArray[np.float64] | None = None
    separation: float = 0.0  # CIEDE2000 between the two centres
    keep: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    kept: int = 0
    clean_share: float = 0.0
    clipped_shift: float = 0.0  # CIEDE2000 the region's colour moves at least with its clipped skin
    clipped_brightness: float = 1.0  # the least factor its clipped skin brightens the region's colour by


def _skin_hue(Lab: NDArray[np.float64], tolerance: float = 0.0) -> NDArray[np.bool_]:
    """Hue angle h_ab within ``SKIN_HUE_RANGE_DEG`` (under 180° wide): (a*, b*) between the two bounding rays, or
    within ``tolerance`` (in a*, b* units) of them."""
    low, high = np.radians(SKIN_HUE_RANGE_DEG)
    a, b = Lab[:, 1], Lab[:, 2]
    inside: NDArray[np.bool_] = (b * np.cos(low) - a * np.sin(low) >= -tolerance) & (
        a * np.sin(high) - b * np.cos(high) >= -tolerance
    )
    return inside


def _hue_tolerance(Lab: NDArray[np.float64]) -> float:
    """How far (a*, b* units) a region's pixel (``Lab`` in raster order) may lie outside the skin-hue wedge:
    ``HUE_NOISE_SIGMAS`` times the pixel noise of a* and b*, the robust standard deviation of neighbouring
    pixels' differences over √2. Only when the region's median colour has a skin hue itself: a region on hair, a
    wall or fabric keeps the strict wedge, and is refused as before."""
    if len(Lab) < 20:
        return 0.0
    a, b = Lab[:, 1], Lab[:, 2]
    centre = np.array([[0.0, _median(a), _median(b)]])
    if not _skin_hue(centre)[0] or np.hypot(centre[0, 1], centre[0, 2]) <= 1:
        return 0.0
    noise = [1.4826 * _median(np.abs(d - _median(d))) / np.sqrt(2) for d in (np.diff(a), np.diff(b))]
    return float(HUE_NOISE_SIGMAS * max(noise))


def _median(values: NDArray[np.float64]) -> float:
    """``np.median`` of a 1-d array (0 when empty) without its generic machinery, which costs more than the work."""
    n = len(values)
    if n == 0:
        return 0.0
    middle = np.partition(values, [(n - 1) // 2, n // 2])
    return 0.5 * float(middle[(n - 1) // 2] + middle[n // 2])


def _unclipped(codes: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Pixels (n, 3) with no channel at or above the clipping code (column by column: faster than ``np.all``)."""
    limit = round(CLIP_CODE * 255)
    below: NDArray[np.bool_] = (codes[:, 0] < limit) & (codes[:, 1] < limit) & (codes[:, 2] < limit)
    return below


def rough_skin_XYZ(items: Sequence[RegionCodes], calibration: Calibration) -> NDArray[np.float64]:
    """Mean XYZ over the regions of each one's unsaturated pixels (every ``ROUGH_STRIDE``-th), its response divided
    by its light ratio: a first, unfiltered estimate that locates the skin (one correction for all regions)."""
    linear = []
    for item in items:
        sample = item.codes[::ROUGH_STRIDE]
        unclipped = _unclipped(sample)
        selected = sample[unclipped] if unclipped.any() else sample
        linear.append(calibration.codes_to_linear(selected).mean(axis=0) / item.light_ratio)
    XYZ: NDArray[np.float64] = calibration.linear_to_XYZ(np.stack(linear)).mean(axis=0)
    return XYZ


def _calibrated(items: Sequence[RegionCodes], calibration: Calibration) -> list[_Work]:
    """Every region's unclipped pixels in linear light, XYZ and CIELAB: one conversion for all regions."""
    unclipped = [_unclipped(item.codes) for item in items]
    usable = [item.codes[u] for item, u in zip(items, unclipped, strict=True)]
    linear = [calibration.codes_to_linear(u) / item.light_ratio for item, u in zip(items, usable, strict=True)]
    XYZ_all = calibration.linear_to_XYZ(np.concatenate(linear))  # per pixel, only to tell skin from the rest
    Lab_all = XYZ_to_Lab_D65(XYZ_all)
    bounds = np.cumsum([0] + [len(u) for u in usable])
    work = []
    for index, item in enumerate(items):
        XYZ, Lab = XYZ_all[bounds[index] : bounds[index + 1]], Lab_all[bounds[index] : bounds[index + 1]]
        chroma = np.sqrt(Lab[:, 1] ** 2 + Lab[:, 2] ** 2)
        plausible = _skin_hue(Lab, _hue_tolerance(Lab)) & (Lab[:, 0] > 3) & (chroma > 1)
        clipped = int((~unclipped[index]).sum())
        overexposed = _overexposed(item, ~unclipped[index], linear[index][plausible], calibration)
        work.append(_Work(item, usable[index], linear[index], XYZ, Lab, chroma, plausible, clipped, overexposed))
    return work


def _overexposed(
    item: RegionCodes, clipped: NDArray[np.bool_], skin_linear: NDArray[np.float64], calibration: Calibration
) -> NDArray[np.float64]:
    """The linear responses (clipped channels at their clipped value) of ``item``'s clipped pixels that are its
    skin too bright for the phone, not shine (``overexposed_skin``)."""
    if not clipped.any():
        return np.zeros((0, 3))
    codes = item.codes[clipped]
    linear = calibration.codes_to_linear(codes) / item.light_ratio
    skin = overexposed_skin(codes >= round(CLIP_CODE * 255), linear, skin_linear, region_pixels=len(item.codes))
    return linear[skin]


def _skin_without_shine(work: _Work) -> None:
    """Refuse a region that is overexposed, not skin or mostly shine; leave its shine out and split its pixels in
    two groups."""
    name, pixels = work.item.region.name, len(work.item.codes)
    plausible = work.plausible
    clipped_share, overexposed_share = work.clipped / max(pixels, 1), len(work.overexposed) / max(pixels, 1)
    if clipped_share > MAX_SHINE_SHARE and 2 * overexposed_share >= clipped_share:
        raise Retake.OVEREXPOSED.error(
            f"Region {name!r} is too bright for the camera: {100 * clipped_share:.0f} % of it is clipped, most of "
            "that the skin itself; too little is left to measure."
        )
    check_region_skin_colours(name, float(plausible.mean()) if len(plausible) else 0.0)
    shine = np.zeros(len(work.linear), dtype=bool)
    shine[plausible] = specular_pixels(work.linear[plausible])
    shine_share = (int(shine.sum()) + work.clipped - len(work.overexposed)) / max(pixels, 1)  # clipped shine too
    if shine_share + overexposed_share > MAX_SHINE_SHARE and overexposed_share >= shine_share:
        raise Retake.OVEREXPOSED.error(
            f"Region {name!r} is too bright for the camera: its skin is clipped in {100 * overexposed_share:.0f} % "
            "of it, too little is left to measure."
        )
    if shine_share + overexposed_share > MAX_SHINE_SHARE:
        raise Retake.REGION_NOT_SKIN.error(
            f"Region {name!r} is mostly shine ({100 * shine_share:.0f} % of it): too little bare skin is left."
        )
    plausible &= ~shine
    split = surface_centres(work.Lab[plausible])
    work.sample, work.centres = split if split is not None else (None, None)


def _evenly_lit_skin(work: _Work) -> None:
    """Keep the main surface's evenly lit pixels within the robust band; refuse a region with too few."""
    name, pixels, plausible = work.item.region.name, len(work.item.codes), work.plausible
    surface, main_share, separation, shadow = surface_members(
        work.Lab[plausible], work.sample, work.centres, work.separation
    )
    if not shadow:
        check_region_main_surface(name, main_share, separation)
    _check_skin_pixels(work, int(surface.sum()))
    plausible[np.flatnonzero(plausible)[~surface]] = False
    plausible[np.flatnonzero(plausible)[shaded_pixels(work.linear[plausible], work.XYZ[plausible])]] = False
    work.clean_share = int(plausible.sum()) / max(pixels, 1)
    keep = plausible.copy()
    for values in (work.Lab[:, 0], work.chroma):
        centre = _median(values[plausible])
        mad = 1.4826 * _median(np.abs(values[plausible] - centre))
        keep &= np.abs(values - centre) <= ROBUST_BAND * max(mad, 0.5)
    work.keep, work.kept = keep, int(keep.sum())
    _check_skin_pixels(work, work.kept)


def _check_skin_pixels(work: _Work, kept: int) -> None:
    """``check_skin_pixels``; when more of the region's skin is clipped than is left, the reason is the clipping."""
    try:
        check_skin_pixels(work.item.region.name, kept, len(work.item.codes))
    except RetakeNeeded as error:
        if len(work.overexposed) <= kept:
            raise
        share = len(work.overexposed) / max(len(work.item.codes), 1)
        raise Retake.OVEREXPOSED.error(
            f"Region {work.item.region.name!r} is too bright for the camera: its skin is clipped in {100 * share:.0f} "
            "% of it, and too little evenly lit skin is left."
        ) from error


def _mean_linear(work: _Work, calibration: Calibration) -> NDArray[np.float64]:
    """The kept pixels' mean linear response, each channel's zero codes taken as censored (``censored_mean``)."""
    kept_linear, kept_codes = work.linear[work.keep], work.usable[work.keep]
    floor = calibration.code_to_linear[:2].mean(axis=0) / work.item.light_ratio  # between codes 0 and 1
    return np.array([censored_mean(kept_linear[:, c], kept_codes[:, c] == 0, float(floor[c])) for c in range(3)])


def _without_overexposed(
    work: list[_Work],
    mean_linear: NDArray[np.float64],
    mean_Lab: NDArray[np.float64],
    calibration: Calibration,
    refused: dict[str, RetakeNeeded],
) -> NDArray[np.bool_]:
    """Which regions' clipped skin moves their colour by at most ``MAX_OVEREXPOSURE_SHIFT_DE00`` (each one's shift
    goes to its ``clipped_shift``, its brightness floor to ``clipped_brightness``); the others go to ``refused`` as
    overexposed.

    A clipped skin pixel is the region's skin colour K (its kept pixels' mean) times a brightness, of which
    ``clipped_brightness_floor`` gives a floor: with every clipped pixel at it, the region's colour is K scaled by a
    factor ≥ 1, which only brightens it, so the shift so computed is at most the true one, whatever the clipping
    did to the pixels' hue.
    """
    counts = np.array([[w.kept, len(w.overexposed)] for w in work], dtype=np.float64)
    if not counts[:, 1].any():
        return np.ones(len(work), dtype=bool)
    brightness = np.array(
        [clipped_brightness_floor(w.kept, mean, w.overexposed) for w, mean in zip(work, mean_linear, strict=True)]
    )
    shift = np.atleast_1d(
        delta_E00(XYZ_to_Lab_D65(calibration.linear_to_XYZ(mean_linear * brightness[:, None])), mean_Lab)
    )
    for w, moved, factor in zip(work, shift, brightness, strict=True):
        w.clipped_shift, w.clipped_brightness = float(moved), float(factor)
        if moved > MAX_OVEREXPOSURE_SHIFT_DE00:
            share = len(w.overexposed) / max(len(w.item.codes), 1)
            refused[w.item.region.name] = Retake.OVEREXPOSED.error(
                f"Region {w.item.region.name!r} is too bright for the camera in {100 * share:.0f} % of it (a colour "
                f"channel clipped): without that skin its colour is at least {moved:.1f} ΔE00 off."
            )
    keep: NDArray[np.bool_] = shift <= MAX_OVEREXPOSURE_SHIFT_DE00
    return keep


def _step(work: _Work, refused: dict[str, RetakeNeeded], step: Callable[[_Work], None]) -> bool:
    """``step(work)``; a refusal goes to ``refused`` under the region's name. True when it passed."""
    try:
        step(work)
    except RetakeNeeded as error:
        refused[work.item.region.name] = error.with_traceback(None)  # no cycle through this frame's arrays
        return False
    return True


def region_colours(items: Sequence[RegionCodes], calibration: Calibration) -> list[RegionColour | RetakeNeeded]:
    """Calibrated skin colour of each region, or why it was refused, in the order given.

    Regions are checked, not trusted: pixels without a skin hue, with specular shine (``specular_pixels``), on a
    second surface (``main_surface``) or in shadow (``shaded_pixels``) are left out, so that the colour is the
    diffuse skin in the light the rest of the region gets; ``left_out_share`` says how much went. A region on
    something that is not skin, split between skin and something else without a clear majority, or with too
    little bare skin between its shine, is refused (``region_not_skin``); ``too_little_skin`` when too few
    pixels are evenly lit skin. The response is divided by the region's ``light_ratio`` before it is corrected.
    Region names must be unique (``parse_regions`` makes sure).
    """
    if not items:
        return []
    refused: dict[str, RetakeNeeded] = {}
    work = [w for w in _calibrated(items, calibration) if _step(w, refused, _skin_without_shine)]
    split = [w for w in work if w.centres is not None]
    if split:  # the two groups' separation, one CIEDE2000 call for all regions
        centres = np.stack([np.asarray(w.centres) for w in split])
        for w, separation in zip(split, np.atleast_1d(delta_E00(centres[:, 0], centres[:, 1])), strict=True):
            w.separation = float(separation)
    work = [w for w in work if _step(w, refused, _evenly_lit_skin)]
    if work:
        # Light adds up in the camera's linear response: average there, then correct once. Correcting each
        # noisy pixel first would bias the mean through the correction's non-linear terms (Jensen's inequality),
        # most for dark skin, whose blue response is small (measured: b* about −2 on ITA < −30° skin).
        mean_linear = np.stack([_mean_linear(w, calibration) for w in work])
        mean_XYZ = calibration.linear_to_XYZ(mean_linear)
        mean_Lab = XYZ_to_Lab_D65(mean_XYZ)
        measurable = _without_overexposed(work, mean_linear, mean_Lab, calibration, refused)
        work = [w for w, k in zip(work, measurable, strict=True) if k]
        mean_XYZ, mean_Lab = mean_XYZ[measurable], mean_Lab[measurable]
    colours: dict[str, RegionColour | RetakeNeeded] = dict(refused)
    if work:
        samples = [w.Lab[w.keep] for w in work]
        samples = [s[:: max(1, len(s) // SPREAD_SAMPLE)] for s in samples]
        sizes = [len(s) for s in samples]
        spread = np.split(delta_E00(np.concatenate(samples), np.repeat(mean_Lab, sizes, axis=0)), np.cumsum(sizes)[:-1])
        for k, w in enumerate(work):
            colours[w.item.region.name] = RegionColour(
                name=w.item.region.name,
                XYZ_D65=mean_XYZ[k],
                Lab_D65=mean_Lab[k],
                pixels=len(w.item.codes),
                kept=w.kept,
                spread_dE00=_median(spread[k]),
                left_out_share=1.0 - w.item.off_card_share * w.clean_share,
                clipped_shift_dE00=w.clipped_shift,
                clipped_brightness=w.clipped_brightness,
            )
    return [colours.pop(item.region.name) for item in items]


def region_colour(
    codes: NDArray[np.uint8],
    region: Region,
    calibration: Calibration,
    *,
    off_card_share: float = 1.0,
    light_ratio: float = 1.0,
) -> RegionColour:
    """Calibrated skin colour of one region's pixel codes (``region_colours`` for one region); the refusal is raised."""
    (result,) = region_colours([RegionCodes(region, codes, off_card_share, light_ratio)], calibration)
    if isinstance(result, RetakeNeeded):
        try:
            raise result
        finally:
            del result
    return result
