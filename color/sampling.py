"""Sample the card's patches: rectify the card, take each patch's inner area, reject clipping and glare.

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

from color.colorimetry import LUMA_WEIGHTS
from color.detect import CardPose

RECTIFY_PX_PER_MM = 4.0  # about 370 samples in the inner area of an 8 mm patch
INNER_FRACTION = 0.6  # sample the central 60 % of each patch: away from edges, print misregistration, blur
TRIM_FRACTION = 0.1  # drop the darkest and brightest 10 % of samples by luminance before averaging
CLIP_CODE = 250 / 255  # codes at or above this are (nearly) saturated
CRUSH_CODE = 3 / 255
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


def sample_patches(BGR: NDArray[np.uint8], pose: CardPose) -> PatchSamples:
    """Robust colour of every patch of the card at ``pose`` in the photo."""
    card = rectify_card(BGR, pose)
    lut = sRGB_decoding_LUT()
    patches = pose.layout.patches
    inset = (1.0 - INNER_FRACTION) / 2.0
    blocks = []
    inner_mm2 = np.array([(INNER_FRACTION * p.rect_mm[2]) * (INNER_FRACTION * p.rect_mm[3]) for p in patches])
    for patch in patches:
        x, y, w, h = patch.rect_mm
        x0 = round((x + inset * w) * RECTIFY_PX_PER_MM)
        y0 = round((y + inset * h) * RECTIFY_PX_PER_MM)
        x1 = round((x + (1 - inset) * w) * RECTIFY_PX_PER_MM)
        y1 = round((y + (1 - inset) * h) * RECTIFY_PX_PER_MM)
        blocks.append(card[y0:y1, x0:x1, ::-1].reshape(-1, 3))
    n_samples = min(len(block) for block in blocks)
    codes = np.stack([block[:n_samples] for block in blocks])  # (n, k, 3) uint8, R G B
    linear = lut[codes]  # (n, k, 3)
    luminance = linear @ LUMA_WEIGHTS
    order = np.argsort(luminance, axis=1)
    ranked = np.take_along_axis(luminance, order, axis=1)
    trim = int(TRIM_FRACTION * n_samples)
    kept = np.take_along_axis(linear, order[:, trim : n_samples - trim, None], axis=1)
    code_values = codes.astype(np.float64) / 255.0
    # Luminance from codes ranks samples like linear luminance does: reuse the order for the median code.
    code_luminance = code_values @ LUMA_WEIGHTS
    median_code = np.take_along_axis(code_luminance, order[:, [n_samples // 2]], axis=1)
    glare_share = np.mean(code_luminance > median_code + GLARE_MARGIN, axis=1)
    q25, q75 = ranked[:, n_samples // 4], ranked[:, (3 * n_samples) // 4]
    return PatchSamples(
        RGB_linear=kept.mean(axis=1),
        RGB_code=code_values.mean(axis=1),
        spread=(q75 - q25) / 1.349,
        clipped=np.mean(np.any(code_values >= CLIP_CODE, axis=2), axis=1) > GLARE_MAX_FRACTION,
        crushed=np.mean(np.any(code_values <= CRUSH_CODE, axis=2), axis=1) > GLARE_MAX_FRACTION,
        glare=glare_share > GLARE_MAX_FRACTION,
        n_samples=n_samples,
        photo_pixels=inner_mm2 * pose.px_per_mm**2,
    )
