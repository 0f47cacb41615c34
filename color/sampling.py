"""Sample the card's patches: each patch's inner area as the card rectified square-on shows it, clipping and glare.

Only the samples are interpolated from the photo (``sample_codes``), at the pixel centres the rectified card
(``rectify_card``) has there: a fifth of its pixels, at a fifth of the cost.

Pixel codes are turned into linear light through the sRGB decoding (IEC 61966-2-1) as a first guess of
the phone's tone curve (``color.tone_curve`` then corrects that guess from the neutrals), and averaged in
linear float with trimming: a median of 8-bit codes is quantised and can cost up to 1 ΔE00 by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import colour
import cv2
import numpy as np
from numpy.typing import NDArray

from color.card import CardLayout
from color.colorimetry import LUMA_WEIGHTS
from color.detect import CardPose

RECTIFY_PX_PER_MM = 4.0  # about 370 samples in the inner area of an 8 mm patch
INNER_FRACTION = 0.6  # sample the central 60 % of each patch: away from edges, print misregistration, blur
TRIM_FRACTION = 0.1  # drop the darkest and brightest 10 % of samples by luminance before averaging
CLIP_LEVEL = 250  # 8-bit codes at or above this are (nearly) saturated
CRUSH_LEVEL = 3
CLIP_CODE = CLIP_LEVEL / 255  # the same, as a code value 0-1
GLARE_MARGIN = 0.08  # a sample this much brighter (code units) than its patch's median is a highlight
GLARE_MAX_FRACTION = 0.05


@cache
def sRGB_decoding_LUT() -> NDArray[np.float64]:
    """Linear value of each 8-bit code under the sRGB decoding function (IEC 61966-2-1)."""
    lut: NDArray[np.float64] = np.asarray(colour.cctf_decoding(np.arange(256) / 255.0, "sRGB"), dtype=np.float64)
    lut.flags.writeable = False
    return lut


@dataclass(frozen=True, slots=True)
class PatchSamples:
    """Per patch (rows follow the layout): trimmed linear means and quality flags."""

    RGB_linear: NDArray[np.float64]  # (n, 3) sRGB-decoded, trimmed mean of the inner area
    RGB_code: NDArray[np.float64]  # (n, 3) mean code value, 0-1
    spread: NDArray[np.float64]  # (n,) robust standard deviation of linear luminance
    clipped: NDArray[np.bool_]  # (n,) any channel saturated in more than the allowed share of samples
    crushed: NDArray[np.bool_]  # (n,) any channel at black in more than the allowed share
    glare: NDArray[np.bool_]  # (n,) a highlight covers part of the patch
    n_samples: int
    photo_pixels: NDArray[np.float64]  # (n,) pixels of the photo inside each patch's sampled area

    @property
    def relative_noise(self) -> NDArray[np.float64]:
        """Standard error of each patch's mean luminance relative to it: the spread of the photo's own pixels
        over the square root of their number (the rectified samples interpolate between them)."""
        luminance = np.maximum(self.RGB_linear @ LUMA_WEIGHTS, 1e-4)
        standard_error = self.spread / np.sqrt(np.maximum(self.photo_pixels, 1.0))
        return np.asarray(standard_error / luminance, dtype=np.float64)


def rectify_card(BGR: NDArray[np.uint8], pose: CardPose, px_per_mm: float = RECTIFY_PX_PER_MM) -> NDArray[np.uint8]:
    """The card face seen square-on at ``px_per_mm`` (B G R), from the photo and the card's pose."""
    width_mm, height_mm = pose.layout.size_mm
    size = (round(width_mm * px_per_mm), round(height_mm * px_per_mm))
    to_card_px = np.diag([1.0 / px_per_mm, 1.0 / px_per_mm, 1.0])
    rectified = cv2.warpPerspective(
        BGR, pose.homography @ to_card_px, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    )
    return np.asarray(rectified, dtype=np.uint8)


@cache
def _sample_points_mm(layout: CardLayout) -> NDArray[np.float64]:
    """Card points (n_patches, n_samples, 2; mm) sampled in each patch's inner area: the pixel centres of the card
    rectified at ``RECTIFY_PX_PER_MM`` (``rectify_card``), row by row; every patch keeps as many samples as the
    smallest (a layout's constant, computed once)."""
    inset = (1.0 - INNER_FRACTION) / 2.0
    blocks = []
    for patch in layout.patches:
        x, y, w, h = patch.rect_mm
        x0 = round((x + inset * w) * RECTIFY_PX_PER_MM)
        y0 = round((y + inset * h) * RECTIFY_PX_PER_MM)
        x1 = round((x + (1 - inset) * w) * RECTIFY_PX_PER_MM)
        y1 = round((y + (1 - inset) * h) * RECTIFY_PX_PER_MM)
        rows, columns = np.mgrid[y0:y1, x0:x1]
        blocks.append(np.stack([columns.ravel(), rows.ravel()], axis=-1) / RECTIFY_PX_PER_MM)
    n_samples = min(len(block) for block in blocks)
    points = np.stack([block[:n_samples] for block in blocks])
    points.flags.writeable = False
    return points


def sample_codes(BGR: NDArray[np.uint8], pose: CardPose) -> NDArray[np.uint8]:
    """The photo's codes (n_patches, n_samples, 3; B G R) at ``_sample_points_mm``, interpolated bilinearly: what
    ``rectify_card`` holds there, without rectifying the rest of the card (a fifth of the pixels)."""
    points = _sample_points_mm(pose.layout)
    mapped = cv2.perspectiveTransform(points.reshape(-1, 1, 2), pose.homography).reshape(points.shape)
    maps = np.asarray(mapped, dtype=np.float32)
    return np.asarray(cv2.remap(BGR, maps[..., 0], maps[..., 1], cv2.INTER_LINEAR), dtype=np.uint8)


def sample_patches(BGR: NDArray[np.uint8], pose: CardPose) -> PatchSamples:
    """Robust colour of every patch of the card at ``pose`` in the photo.

    Sums over a patch's samples are products with a vector of ones: NumPy's reductions along the middle axis of
    a (patch, sample, channel) array take ten times as long.
    """
    codes = sample_codes(BGR, pose)  # (n, k, 3) uint8, B G R
    n_samples = codes.shape[1]
    linear = sRGB_decoding_LUT()[codes]  # (n, k, 3) B G R
    luminance = linear @ LUMA_WEIGHTS[::-1]
    order = np.argsort(luminance, axis=1)
    ranked = np.take_along_axis(luminance, order, axis=1)
    trim = int(TRIM_FRACTION * n_samples)
    # The trimmed mean: the sum of every sample less the darkest and the brightest ``trim`` ones.
    trimmed = np.take_along_axis(
        linear, np.concatenate([order[:, :trim], order[:, n_samples - trim :]], axis=1)[..., None], axis=1
    )
    kept_mean = (np.ones(n_samples) @ linear - np.ones(2 * trim) @ trimmed) / (n_samples - 2 * trim)
    code_values = codes.astype(np.float64) / 255.0
    # Luminance from codes ranks samples like linear luminance does: reuse the order for the median code.
    code_luminance = code_values @ LUMA_WEIGHTS[::-1]
    median_code = np.take_along_axis(code_luminance, order[:, [n_samples // 2]], axis=1)
    glare_share = np.mean(code_luminance > median_code + GLARE_MARGIN, axis=1)
    q25, q75 = ranked[:, n_samples // 4], ranked[:, (3 * n_samples) // 4]
    brightest = np.maximum(np.maximum(codes[..., 0], codes[..., 1]), codes[..., 2])
    darkest = np.minimum(np.minimum(codes[..., 0], codes[..., 1]), codes[..., 2])
    inner_mm2 = np.array(
        [(INNER_FRACTION * p.rect_mm[2]) * (INNER_FRACTION * p.rect_mm[3]) for p in pose.layout.patches]
    )
    return PatchSamples(
        RGB_linear=np.ascontiguousarray(kept_mean[:, ::-1]),
        RGB_code=np.ascontiguousarray((np.ones(n_samples) @ code_values)[:, ::-1] / n_samples),
        spread=(q75 - q25) / 1.349,
        clipped=np.mean(brightest >= CLIP_LEVEL, axis=1) > GLARE_MAX_FRACTION,
        crushed=np.mean(darkest <= CRUSH_LEVEL, axis=1) > GLARE_MAX_FRACTION,
        glare=glare_share > GLARE_MAX_FRACTION,
        n_samples=n_samples,
        photo_pixels=inner_mm2 * pose.px_per_mm**2,
    )
