"""Every photo check, threshold and retake hint in one place: when a photo cannot give a trustworthy colour.

The pipeline (``color.measure``) runs these checks as it goes, in this order:

1. the image's size, before it is decoded (``check_image_size``);
2. the card's pose once it is found: enough markers, big enough, flat, wholly inside the photo (``check_pose``);
3. the card's patches before calibration: glare, exposure, readable neutrals, the scene's colour cast
   (``check_photo``), then the white balance the tone model needed (``check_white_balance_gains``);
4. the calibration's self-consistency (``check_calibration_consistency``);
5. light across the card that one plane describes (``check_even_light``; the plane itself is corrected), and
   skin in each cheek region: off the card, skin-coloured, one surface (``check_region_*``, ``check_skin_pixels``).

A failed check raises ``RetakeNeeded`` whose ``code`` and ``hint`` come from ``Retake``, the table of every
reason to ask for a new photo. Codes are stable (the HTTP API's problem codes); hints are what a person
holding a phone can act on. The checks a measurement passed are reported by ``color.quality_report``.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import colour
import numpy as np
from numpy.typing import NDArray

from color.card import PatchKind, ReferenceCard
from color.colorimetry import XYZ_to_Lab_D65
from color.errors import CorruptImage, ImageTooLarge, ImageTooSmall, RetakeNeeded, UnsupportedImage

if TYPE_CHECKING:  # only for annotations: these modules import this one
    from color.detect import CardPose
    from color.sampling import PatchSamples


class Retake(Enum):
    """Every reason to ask for a new photo: its stable ``code`` and the ``hint`` that tells a person what to do.

    A code may come with more than one hint when the situations differ (a card not found at all, or found with
    markers that do not lie on a flat card).
    """

    CARD_NOT_FOUND = (
        "card_not_found",
        "Hold the card flat next to your cheek, fully in the picture, with its printed side to the camera.",
    )
    CARD_MARKERS_NOT_FLAT = ("card_not_found", "Hold the card flat, not bent.")
    CHART_NOT_FOUND = (
        "card_not_found",
        "Hold the whole colour chart flat in the picture, facing the camera, without glare.",
    )
    CARD_CORNERS_HIDDEN = (
        "card_partly_hidden",
        "Keep the whole card in the picture and do not cover its corners with your fingers.",
    )
    CARD_OUTSIDE_PHOTO = ("card_partly_hidden", "Keep the whole card in the picture.")
    CARD_MARKERS_HIDDEN = (
        "card_partly_hidden",
        "Keep the card's four black corner squares in view: do not cover them with your fingers.",
    )
    CHART_CHIPS_HIDDEN = (
        "card_partly_hidden",
        "Keep the whole colour chart in view: do not cover its colour squares with your fingers or hair.",
    )
    MORE_THAN_ONE_CARD = ("more_than_one_card", "Show only one reference card in the photo.")
    CARD_MARKERS_DISAGREE = (
        "card_markers_disagree",
        "Hold the card flat and still in good light so its four black corner squares are sharp. If this keeps "
        "happening, your card may be misprinted: contact us for a new one.",
    )
    WRONG_CARD = (
        "wrong_card",
        "Take the photo with the card you chose in the app, or choose the card that is in the photo.",
    )
    CARD_TOO_SMALL = (
        "card_too_small",
        "Hold the card closer to the camera, next to your cheek, so it fills more of the picture.",
    )
    CARD_NOT_FLAT = ("card_not_flat", "Hold the card flat, not bent, and keep it still.")
    GLARE_ON_CARD = (
        "glare_on_card",
        "Tilt the card slightly away from the light so it does not shine, and avoid direct flash.",
    )
    OVEREXPOSED = ("overexposed", "Move out of direct sunlight or away from the lamp; do not use the flash.")
    TOO_DARK = ("too_dark", "Take the photo in a brighter room, facing the light (a window is best).")
    CLIPPED_OR_DARK = ("clipped_or_dark", "Use even, moderate light: no direct sun, no flash, not in the dark.")
    STRONGLY_COLOURED_LIGHT = (
        "strongly_coloured_light",
        "Take the photo in daylight or under ordinary white room light, not coloured or party lights.",
    )
    POOR_CALIBRATION_FIT = (
        "poor_calibration_fit",
        "Use even white light on both the card and your face, and keep the card flat and in focus.",
    )
    UNEVEN_LIGHT = (
        "uneven_light",
        "Stand facing a window or lamp so that the card and your face are lit the same way, without shadows.",
    )
    NO_FACE = ("no_face", "Face the camera in good light, with your whole face in the picture next to the card.")
    TOO_LITTLE_SKIN = (
        "too_little_skin",
        "Face the camera with your cheek evenly lit, free of hair, and not in shadow.",
    )
    REGION_NOT_SKIN = (
        "region_not_skin",
        "Keep each cheek area on bare, evenly lit skin: not on the card, your hair, a shadow or the background.",
    )

    def __init__(self, code: str, hint: str) -> None:
        self.code = code
        self.hint = hint

    def error(self, detail: str) -> RetakeNeeded:
        """The ``RetakeNeeded`` to raise, with ``detail`` saying what was seen in this photo."""
        return RetakeNeeded(self.code, detail, hint=self.hint)


# Hints of the image errors raised on decoding (``color.decode``); their codes are the error classes'.
UNSUPPORTED_IMAGE_HINT = "Send the photo as JPEG, PNG or HEIC."
CORRUPT_IMAGE_HINT = "Take the photo again with the phone's camera app and send it as it was saved."
IMAGE_TOO_LARGE_HINT = "Send the photo at the camera's normal resolution."
IMAGE_TOO_SMALL_HINT = "Send the full-resolution photo, not a thumbnail."
NO_COLOUR_HINT = "Turn off black-and-white or mono filters and take the photo in colour."
GREY_CHECK_STRIDE = 8  # every 8th pixel each way: a colour photo's noise alone makes its channels differ there

# 1. The image.
MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo is the largest we accept; decoded RGB is 150 MB
MAX_SIDE = 12_000
MIN_SIDE = 480  # below this the card's patches are too few pixels to average
# 2. The card's pose.
MIN_READABLE_MARKER_PX = 18  # ArUco reads 4 × 4 markers (6 × 6 cells with the border) reliably from 3 px a cell
MIN_MARKERS = 3  # three markers (12 corners) pin the homography and show the card is not half hidden
# The smallest patch must span this many pixels (the own card a seventh of a 1,600 px photo's width). Its inner
# 60 % then holds about 90 of the photo's pixels, whose mean is far less noisy than the fit's own error (each
# patch is weighed by its noise, color.calibrate), and lies 3 pixels inside its edges, clear of lens blur and
# of JPEG's half-resolution chroma.
MIN_PATCH_PX = 16
MAX_REPROJECTION_PATCH_SHARE = 0.1  # reference points off the fitted pose by more than this share of a patch: bent
REPROJECTION_FLOOR_PX = 3.0  # ...but never stricter than this: a small marker's corners are found to 2-3 px
# 3. The card's patches.
MAX_GLARE_PATCHES = 2  # more patches with a highlight than this: the card shines
MAX_CLIPPED_NEUTRAL_SHARE = 0.5  # more of the greys saturated than this: the photo is overexposed
MIN_NEUTRALS_FOR_TONE = 4  # the tone model (``color.tone_curve``) needs this many readable neutrals
DARK_WHITE_CODE = 0.25  # the white patch's brightest mean code (0-1) below this: too dark to measure
MAX_AS_SHOT_WHITE_CHROMA = 30.0  # C*ab of the white patch as the phone rendered it
MAX_GAIN_RATIO = 6.0  # channel gains this far apart mean light of one strong colour (or a broken AWB)
# 4. The calibration. The photo's self-consistency: median leave-one-out ΔE00 of a card-only 3×3 fit. Noise,
# glare, a bent card or a local tone mapping raise it; beyond this the photo is not trusted.
POOR_FIT_LOO_DE00 = 3.0
# 5. Skin and light.
MIN_KEPT_SHARE = 0.3  # of a region's pixels that must be evenly lit skin
MIN_KEPT_PIXELS = 200
MAX_NEUTRAL_EXPOSURE_SPREAD = 0.2  # spread (log units) of the neutrals' light around one plane across the card
MAX_CHEEK_DIFFERENCE_DE00 = 4.0  # reported, not enforced: cheeks this far apart are worth a look
# Skin too bright for the phone (a channel clipped) is left out, which darkens a region's colour; with its clipped
# values (a floor) the colour moves at least so much (``color.skin_colour``). Beyond the accuracy goal's 95th
# percentile the region is refused as overexposed: its colour would be off by at least that.
MAX_OVEREXPOSURE_SHIFT_DE00 = 2.0
CARD_MARGIN_MM = 3.0  # the card's outline widened by this much: its edge, blur and the shadow it casts
MIN_OFF_CARD_SHARE = 0.5  # a region may graze the card (that part is left out), not lie mostly on it
MIN_SKIN_COLOUR_SHARE = 0.5  # of a region's unsaturated pixels with a skin hue (hair, fabric, walls have few)
# Two groups of pixels this far apart (CIEDE2000 between their means) are two surfaces, not one skin: within a
# lit cheek, skin varies by a few ΔE00. The smaller group is left out when the larger holds MIN_MAIN_SURFACE_SHARE.
TWO_SURFACES_DE00 = 10.0
MIN_MAIN_SURFACE_SHARE = 0.6


def check_has_colour(BGR: NDArray[np.uint8]) -> None:
    """Refuse a black-and-white photo (its three channels equal): it holds no colour to measure."""
    sample = BGR[::GREY_CHECK_STRIDE, ::GREY_CHECK_STRIDE]
    if np.array_equal(sample[..., 0], sample[..., 1]) and np.array_equal(sample[..., 1], sample[..., 2]):
        raise UnsupportedImage("The photo is black and white: it holds no colour to measure.", hint=NO_COLOUR_HINT)


def check_image_size(width: int, height: int) -> None:
    """Refuse a photo too large to decode safely or too small to measure, from its header's size alone."""
    if width <= 0 or height <= 0:
        raise CorruptImage("The photo's header gives no size.", hint=CORRUPT_IMAGE_HINT)
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageTooLarge(
            f"The photo is {width}×{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels "
            f"and {MAX_SIDE} pixels a side.",
            hint=IMAGE_TOO_LARGE_HINT,
        )
    if min(width, height) < MIN_SIDE:
        raise ImageTooSmall(
            f"The photo is {width}×{height} pixels; at least {MIN_SIDE} pixels a side are needed.",
            hint=IMAGE_TOO_SMALL_HINT,
        )


def check_markers_found(count: int, marker_px: float) -> None:
    """Enough of the card's corner markers are visible to trust its pose; ``marker_px`` is the side of those found.
    Markers too small to read reliably mean a card too small, not a hidden one."""
    if count < MIN_MARKERS and marker_px < MIN_READABLE_MARKER_PX:
        raise Retake.CARD_TOO_SMALL.error(
            f"Only {count} of the card's 4 corner markers could be read: they span {marker_px:.0f} px; at least "
            f"{MIN_READABLE_MARKER_PX} are needed."
        )
    if count < MIN_MARKERS:
        raise Retake.CARD_CORNERS_HIDDEN.error(f"Only {count} of the card's 4 corner markers are visible.")


def check_pose(pose: CardPose, image_size: tuple[int, int]) -> CardPose:
    """The pose, once it is checked: big enough, flat, and wholly inside the photo (``RetakeNeeded`` if not)."""
    width, height = image_size
    layout, px_per_mm = pose.layout, pose.px_per_mm
    smallest_patch_mm = min(min(p.rect_mm[2], p.rect_mm[3]) for p in layout.patches)
    patch_px = px_per_mm * smallest_patch_mm
    if patch_px < MIN_PATCH_PX:
        raise Retake.CARD_TOO_SMALL.error(
            f"The card is too small in the photo (its patches span {patch_px:.0f} px; at least {MIN_PATCH_PX} needed)."
        )
    error_mm = pose.reprojection_error_mm
    if error_mm > max(MAX_REPROJECTION_PATCH_SHARE * smallest_patch_mm, REPROJECTION_FLOOR_PX / px_per_mm):
        raise Retake.CARD_NOT_FLAT.error(f"The card's reference points are {error_mm:.1f} mm off a flat card.")
    corners = pose.to_image(
        np.array([[0, 0], [layout.size_mm[0], 0], [layout.size_mm[0], layout.size_mm[1]], [0, layout.size_mm[1]]])
    )
    if np.any(corners < -0.5) or np.any(corners[:, 0] > width - 0.5) or np.any(corners[:, 1] > height - 0.5):
        raise Retake.CARD_OUTSIDE_PHOTO.error("Part of the card is outside the photo.")
    return pose


def _usable_patches(samples: PatchSamples) -> tuple[NDArray[np.bool_], dict[str, str]]:
    rejected: dict[str, str] = {}
    usable = np.ones(len(samples.RGB_linear), dtype=bool)
    for reason, flags in (("clipped", samples.clipped), ("crushed", samples.crushed), ("glare", samples.glare)):
        usable &= ~flags
        for index in np.flatnonzero(flags):
            rejected.setdefault(str(index), reason)
    return usable, rejected


def as_shot_white_xy(card: ReferenceCard, samples: PatchSamples) -> NDArray[np.float64]:
    """Chromaticity of the whitest patch as the phone rendered it, read as sRGB (its D65 white = no cast)."""
    white = int(np.argmax(card.XYZ_D65[:, 1]))
    XYZ = colour.RGB_to_XYZ(samples.RGB_linear[white], colour.RGB_COLOURSPACES["sRGB"], apply_cctf_decoding=False)
    return np.asarray(colour.XYZ_to_xy(XYZ), dtype=np.float64)


def check_photo(
    card: ReferenceCard, samples: PatchSamples, white_xy: NDArray[np.float64] | None = None
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], dict[str, str]]:
    """Usable patches, usable neutrals, and why others were left out; ``RetakeNeeded`` for a bad photo.
    ``white_xy`` is ``as_shot_white_xy(card, samples)`` when the caller has it already."""
    usable, rejected_by_index = _usable_patches(samples)
    names = [p.name for p in card.layout.patches]
    rejected = {names[int(i)]: reason for i, reason in rejected_by_index.items()}
    neutral = card.layout.patch_index(PatchKind.NEUTRAL)
    neutral_usable = np.zeros(len(usable), dtype=bool)
    neutral_usable[neutral] = True
    neutral_usable &= usable
    glare_count = int(np.sum(samples.glare))
    if glare_count > MAX_GLARE_PATCHES or (
        np.any(samples.glare[neutral]) and neutral_usable.sum() < MIN_NEUTRALS_FOR_TONE
    ):
        raise Retake.GLARE_ON_CARD.error(f"Light reflects off the card ({glare_count} patches show a highlight).")
    white = int(np.argmax(card.XYZ_D65[:, 1]))
    # A clipped white patch (or two light greys) is left out like any clipped patch: the other greys still give
    # the tone curve. Only when most of the greys are saturated is the photo overexposed.
    if samples.clipped[white] and np.sum(samples.clipped[neutral]) > MAX_CLIPPED_NEUTRAL_SHARE * len(neutral):
        raise Retake.OVEREXPOSED.error("The card's light patches are saturated (pure white in the photo).")
    if samples.RGB_code[white].max() < DARK_WHITE_CODE:
        raise Retake.TOO_DARK.error("The photo is too dark to measure colour.")
    if neutral_usable.sum() < MIN_NEUTRALS_FOR_TONE:
        raise Retake.CLIPPED_OR_DARK.error("Too few of the card's grey patches are readable (clipped or crushed).")
    white_xy = as_shot_white_xy(card, samples) if white_xy is None else white_xy
    white_Lab = XYZ_to_Lab_D65(colour.xy_to_XYZ(white_xy))
    if float(np.hypot(white_Lab[1], white_Lab[2])) > MAX_AS_SHOT_WHITE_CHROMA:
        raise Retake.STRONGLY_COLOURED_LIGHT.error("The photo has a strong colour cast that the phone did not correct.")
    return usable, neutral_usable, rejected


def check_white_balance_gains(gains: NDArray[np.float64]) -> None:
    """The tone model's per-channel gains (3,) must not be so far apart that one colour of light dominates."""
    if gains.max() / gains.min() > MAX_GAIN_RATIO:
        raise Retake.STRONGLY_COLOURED_LIGHT.error(
            "The light is of one strong colour, so skin colour cannot be recovered reliably."
        )


def check_calibration_consistency(consistency_dE00: float) -> None:
    """The photo's self-consistency (``Calibration.photo_consistency_dE00``) must be within ``POOR_FIT_LOO_DE00``."""
    if consistency_dE00 > POOR_FIT_LOO_DE00:
        raise Retake.POOR_CALIBRATION_FIT.error(
            f"The card's colours cannot be reproduced well in this photo (leave-one-out ΔE00 {consistency_dE00:.1f})."
        )


def check_region_off_card(region_name: str, off_card_share: float) -> None:
    """A region must lie mostly off the card: ``off_card_share`` is the share of its area clear of the card."""
    if off_card_share < MIN_OFF_CARD_SHARE:
        raise Retake.REGION_NOT_SKIN.error(
            f"Region {region_name!r} lies on the reference card ({100 * (1 - off_card_share):.0f} % of it), "
            "not on skin."
        )


def check_region_skin_colours(region_name: str, skin_colour_share: float) -> None:
    """Most of a region's pixels must have a skin colour; else it shows hair, fabric or background."""
    if skin_colour_share < MIN_SKIN_COLOUR_SHARE:
        raise Retake.REGION_NOT_SKIN.error(
            f"Region {region_name!r} does not look like skin: {100 * skin_colour_share:.0f} % of its pixels have "
            "a skin colour (hair, background or a deep shadow?)."
        )


def check_region_main_surface(region_name: str, main_share: float, separation_dE00: float) -> None:
    """A region that straddles two surfaces is measured on the larger one only if that one clearly dominates."""
    if main_share < MIN_MAIN_SURFACE_SHARE:
        raise Retake.REGION_NOT_SKIN.error(
            f"Region {region_name!r} straddles two different colours ({100 * main_share:.0f} % and "
            f"{100 * (1 - main_share):.0f} % of it, ΔE00 {separation_dE00:.0f} apart): skin and something else."
        )


def check_skin_pixels(region_name: str, kept: int, pixels: int) -> None:
    """Enough of a region's ``pixels`` were ``kept`` as evenly lit skin to measure its colour."""
    if kept < MIN_KEPT_PIXELS or kept < MIN_KEPT_SHARE * pixels:
        raise Retake.TOO_LITTLE_SKIN.error(
            f"Region {region_name!r} shows too little evenly lit skin ({kept} of {pixels} pixels)."
        )


def check_even_light(spread: float) -> None:
    """The neutrals' spread around the plane of light fitted to them (``color.light_field``, log units, peak to
    peak) must be within ``MAX_NEUTRAL_EXPOSURE_SPREAD``: a gradient is corrected, a patchy light is not."""
    if spread > MAX_NEUTRAL_EXPOSURE_SPREAD:
        raise Retake.UNEVEN_LIGHT.error(
            "The light falls unevenly across the card, so the face may be lit differently too."
        )
