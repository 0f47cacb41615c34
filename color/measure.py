"""A photo in, a skin colour out: decode → find the card → sample → calibrate → skin → report.

Each step is a pure function of the previous one's result; a photo that cannot give a trustworthy
colour raises ``RetakeNeeded`` with a stable code and a hint. Nothing is stored: the caller keeps the
numbers of the returned ``Measurement`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import colour
import cv2
import numpy as np
from numpy.typing import NDArray

from color.calibrate import DEFAULT_METHOD, Calibration, fit, prepare
from color.card import ReferenceCard
from color.card_identity import card_for_pose
from color.chart_detect import locate_colorchecker
from color.colorimetry import XYZ_to_Lab_D65
from color.decode import DecodedPhoto, decode_photo
from color.detect import CardPose, locate_card
from color.errors import RetakeNeeded
from color.lab_uncertainty import ColourUncertainty
from color.packaged_data import (
    available_cards,
    load_card,
    load_card_batches,
    load_layout,
    load_virtual_skin,
    parse_card_reference,
)
from color.patch_grid import find_patch_grids
from color.quality import (
    CARD_MARGIN_MM,
    MIN_PATCH_PX,
    Retake,
    check_even_light,
    check_has_colour,
    check_region_off_card,
)
from color.quality_report import QualityCheck, quality_report
from color.sampling import sample_patches
from color.skin import Region, RegionColour, combine_regions, parse_regions, region_pixels
from color.skin_analysis import analyse_regions
from color.skin_colour import RegionCodes, region_colours, rough_skin_XYZ
from color.skin_map import LeftRight, RegionAnalysis, in_skin_tone, skin_tone_regions
from color.skin_tone import SkinToneDescription, describe_skin_tone

DIAGNOSIS_LONG_SIDE = 1600  # the search for a card-like patch grid, when no card was found, runs at this size
MIN_CARD_LIKE_PATCHES = 12  # a grid of this many even-toned squares is a colour card, not a tiled wall

# Skin is not made of the card's pigments: even a perfect fit on the card leaves a metameric error on
# skin that the card cannot see. Its size was measured with bench/bench_measurement.py (see README).
SKIN_METAMERISM_RMS_DE00 = 0.6
# The light on the cheeks and on the card held beside them differ even when the card's greys show no gradient:
# the cheeks face the light at another angle than the card. No colour in the photo tells the difference (a
# uniform change scales the skin's tristimulus values, and skin's luminance given its chromaticity varies more),
# so it is carried as an uncertainty: the root mean square of log(E_cheeks / E_card) over the selfie geometries
# of bench/bench_card_face_light.py (Lambert's law, light from in front, cheeks turned 15-40° outwards, the card
# facing the camera): 0.055-0.120 by scenario, median 0.079. The top of that range is taken: the benchmark's
# light-mismatch group (the face lit 0.8-1.25 times as brightly, log-uniform: σ 0.13) is harsher still, and the
# stated radius must cover it too. (0.10 did while the light field, blind along the card's grey ramp, added its
# own prior uncertainty at every cheek; read from every patch, it no longer does: light-mismatch coverage 93 %
# on seed 2037.)
CARD_FACE_LIGHT_SIGMA = 0.12
# Reasons to leave one region out while another can still be measured.
# A region refused for these is left out and the others measured (a cheek too bright for the camera beside one
# that is not: the photo is still answered from the other).
REGION_RETAKE_CODES = frozenset({Retake.REGION_NOT_SKIN.code, Retake.TOO_LITTLE_SKIN.code, Retake.OVEREXPOSED.code})
# Large JPEGs are decoded at 1/2 or 1/4 scale while the long side stays at least this long: a card next to
# the cheek keeps well over 32 px per patch, and averaging needs no more. Smaller cards trigger a retry at
# full resolution. The effect on the result is measured in bench/bench_measurement.py.
WORKING_LONG_SIDE = 1800


@dataclass(frozen=True)
class Measurement:
    """The numbers kept from a photo. CIELAB is CIE 1976, D65 white, CIE 1931 2° observer."""

    Lab_D65: NDArray[np.float64]
    uncertainty_dE00_95: float  # the error's 95 % radius, CIEDE2000
    uncertainty: ColourUncertainty  # its parts, for each coordinate's half-width and the indices'
    skin_tone: SkinToneDescription
    card_id: str
    card_batch: str
    calibration_method: str
    calibration_residual_dE00_median: float
    calibration_loo_dE00_median: float
    calibration_loo_skin_dE00_rms: float
    candidates_loo_skin_dE00: dict[str, float]
    as_shot_white_xy: NDArray[np.float64]
    as_shot_white_cct_K: float | None
    mirrored: bool
    regions: list[RegionColour]
    cheek_difference_dE00: float
    quality: list[QualityCheck] = field(default_factory=list)
    region_analyses: list[RegionAnalysis] = field(default_factory=list)  # every measured region, forehead too
    left_right: LeftRight | None = None  # None unless both cheeks were measured


def candidate_cards(card_reference: str | None) -> list[ReferenceCard]:
    """The card named, or every packaged card (marker cards first: they are found faster and surer), with every
    print batch (the photo's markers tell which) unless ``card_id@batch`` names one."""
    if card_reference is None:
        ids = sorted(available_cards(), key=lambda card_id: load_layout(card_id).aruco_dictionary is None)
        return [card for card_id in ids for card in load_card_batches(card_id)]
    card_id, batch = parse_card_reference(card_reference)
    return [load_card(card_id, batch)] if batch else load_card_batches(card_id)


def find_card(
    BGR: NDArray[np.uint8], cards: list[ReferenceCard], *, diagnose: bool = True
) -> tuple[ReferenceCard, CardPose]:
    """The first card found: by its ArUco markers, else (for cards without markers) by its chip grid. When none
    is, ``diagnose`` says why as precisely as the photo allows (``diagnose_missing_card``)."""
    marker_cards = [c for c in cards if c.layout.aruco_dictionary is not None]
    plain_cards = [c for c in cards if c.layout.aruco_dictionary is None]
    not_found: RetakeNeeded | None = None
    if marker_cards:
        try:
            pose = locate_card(BGR, list({c.card_id: c.layout for c in marker_cards}.values()))
            return card_for_pose(marker_cards, pose), pose
        except RetakeNeeded as error:
            if error.code != Retake.CARD_NOT_FOUND.code:
                raise
            not_found = error.with_traceback(None)  # kept, its frames (and their images) not: no reference cycle
    for card in plain_cards:
        try:
            return card, locate_colorchecker(BGR, card.layout)
        except RetakeNeeded as error:
            if error.code != Retake.CARD_NOT_FOUND.code:
                raise
            not_found = not_found or error.with_traceback(None)
    diagnosed = diagnose_missing_card(BGR, cards) if diagnose else None
    refusal = diagnosed or not_found or Retake.CARD_NOT_FOUND.error("No reference card was found.")
    del diagnosed, not_found
    # No local may hold the error while it leaves this frame: the traceback keeps the frame, the frame the error,
    # and the cycle would keep the photo's arrays alive until the cyclic collector runs.
    try:
        raise refusal
    finally:
        del refusal


def first_refusal(refused: dict[str, RetakeNeeded]) -> RetakeNeeded:
    """The first region's refusal, the dict emptied: raised from a frame that holds the dict, it would otherwise
    make a reference cycle (traceback, frame, dict, error) that keeps the photo's arrays alive until collected."""
    error = next(iter(refused.values()))
    refused.clear()
    return error


def diagnose_missing_card(BGR: NDArray[np.uint8], cards: list[ReferenceCard]) -> RetakeNeeded | None:
    """Why no card was found, when the photo shows more than nothing: another known card than the one named
    (``wrong_card``), or a grid of colour patches whose markers could not be read, either because the card is
    too small (``card_too_small``) or because its markers are covered (``card_partly_hidden``)."""
    named = {card.card_id for card in cards}
    others = [card for card_id in available_cards() if card_id not in named for card in load_card_batches(card_id)]
    if others:
        try:
            other, _ = find_card(BGR, others, diagnose=False)
        except RetakeNeeded as error:
            if error.code != Retake.CARD_NOT_FOUND.code:  # another card, found but not usable, is still there
                return Retake.WRONG_CARD.error(f"The photo shows another card than {', '.join(sorted(named))}.")
        else:
            return Retake.WRONG_CARD.error(
                f"The photo shows the {other.card_id} card, not the {', '.join(sorted(named))} that was chosen."
            )
    height, width = BGR.shape[:2]
    scale = min(1.0, DIAGNOSIS_LONG_SIDE / max(height, width))
    small = cv2.resize(BGR, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else BGR
    grids = find_patch_grids(np.asarray(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), dtype=np.uint8))
    if not grids or len(grids[0]) < MIN_CARD_LIKE_PATCHES:
        return None
    patch_px = grids[0].side_px / scale
    if patch_px < MIN_PATCH_PX:
        return Retake.CARD_TOO_SMALL.error(
            f"A card seems to be in the photo, but its patches span only {patch_px:.0f} px; at least {MIN_PATCH_PX} "
            "are needed."
        )
    if any(card.layout.aruco_dictionary is not None for card in cards):
        return Retake.CARD_MARKERS_HIDDEN.error("The card's colour patches are visible but not its corner markers.")
    return None


def card_outline_px(pose: CardPose) -> NDArray[np.float64]:
    """The card's outline in the photo (4, 2), widened by ``CARD_MARGIN_MM`` on every side."""
    width, height = pose.layout.size_mm
    m = CARD_MARGIN_MM
    return pose.to_image(np.array([[-m, -m], [width + m, -m], [width + m, height + m], [-m, height + m]]))


def _cct(xy: NDArray[np.float64]) -> float | None:
    try:
        cct = float(colour.xy_to_CCT(xy, method="McCamy 1992"))
    except (ValueError, ArithmeticError):
        return None
    return cct if 1000 < cct < 25000 else None


def measure_photo(
    data: bytes,
    *,
    card: str | None = None,
    regions: Any = None,
    face_model: Path | None = None,
    working_long_side: int | None = WORKING_LONG_SIDE,
) -> Measurement:
    """Measure skin colour from a photo (bytes) of a face next to a reference card.

    ``card`` is a card id (optionally ``id@batch``); without it the card is recognised by its markers.
    ``regions`` is the list of ``{"name", "polygon"}`` from the app; without it the face is found here
    (with YuNet when ``face_model`` is the path of its ONNX file, else OpenCV's Haar cascade).
    ``working_long_side=None`` decodes at full resolution.
    """
    cards = candidate_cards(card)
    photo = decode_photo(data, min_long_side=working_long_side)
    return measure_image(
        photo, cards=cards, regions=regions, face_model=face_model, full_resolution=lambda: decode_photo(data)
    )


def _locate(
    photo: DecodedPhoto, cards: list[ReferenceCard], full_resolution: Callable[[], DecodedPhoto] | None
) -> tuple[DecodedPhoto, ReferenceCard, CardPose]:
    """The card in the photo, looked for again at full resolution when a reduced decoding shows it too small."""
    try:
        reference, pose = find_card(photo.BGR, cards)
    except RetakeNeeded as error:
        small = error.code in {Retake.CARD_TOO_SMALL.code, Retake.CARD_NOT_FOUND.code}
        if photo.scale == 1.0 or full_resolution is None or not small:
            raise
        photo = full_resolution()  # a small card: look again at full resolution
        reference, pose = find_card(photo.BGR, cards)
    return photo, reference, pose


@dataclass(frozen=True)
class _RegionPixels:
    region: Region
    codes: NDArray[np.uint8]
    off_card_share: float


def _regions_off_card(
    BGR: NDArray[np.uint8], parsed: list[Region], pose: CardPose, refused: dict[str, RetakeNeeded]
) -> list[_RegionPixels]:
    """Each region's pixels clear of the card; a region mostly on the card goes to ``refused``."""
    outline = card_outline_px(pose)
    usable = []
    for region in parsed:
        codes, off_card = region_pixels(BGR, region, exclude=outline)
        try:
            check_region_off_card(region.name, off_card)
        except RetakeNeeded as error:
            refused[region.name] = error.with_traceback(None)  # no cycle through this frame's images
            continue
        usable.append(_RegionPixels(region, codes, off_card))
    return usable


def _region_colours(
    items: list[RegionCodes], calibration: Calibration, refused: dict[str, RetakeNeeded]
) -> list[RegionColour]:
    """The colour of every region that is skin; the others go to ``refused`` (none left: the first reason)."""
    colours = []
    for item, result in zip(items, region_colours(items, calibration), strict=True):  # all regions in one batch
        if isinstance(result, RegionColour):
            colours.append(result)
        elif result.code in REGION_RETAKE_CODES:
            refused[item.region.name] = result
        else:
            try:
                raise result
            finally:
                del result  # no local may hold the error as it leaves: the frame would keep the photo's arrays
    if not colours:
        raise first_refusal(refused)
    return colours


def measure_image(
    photo: DecodedPhoto,
    *,
    cards: list[ReferenceCard],
    regions: Any = None,
    face_model: Path | None = None,
    full_resolution: Callable[[], DecodedPhoto] | None = None,
) -> Measurement:
    """Measure skin colour from decoded pixels; ``measure_photo`` without the decoding.

    ``full_resolution`` gives the same photo decoded at full size, for a second look when ``photo`` was
    decoded at a reduced scale and the card is too small in it. A region that is not skin (on the card, hair,
    background, in deep shadow) is left out and the result says why; the photo is refused only when no
    region is left.
    """
    check_has_colour(photo.BGR)
    photo, reference, pose = _locate(photo, cards, full_resolution)
    samples = sample_patches(photo.BGR, pose)
    if regions is None:
        from color.face import face_regions

        parsed = face_regions(photo.BGR, face_model)
    else:  # regions come in the full-size upright photo's pixels
        parsed = [Region(r.name, r.polygon * photo.scale) for r in parse_regions(regions, photo.size)]
    refused: dict[str, RetakeNeeded] = {}
    usable = _regions_off_card(photo.BGR, parsed, pose, refused)
    if not usable:
        raise first_refusal(refused)
    centres = pose.to_image(np.array([patch.centre_mm for patch in reference.layout.patches]))
    prepared = prepare(reference, samples, load_virtual_skin(), centres, photo.BGR.shape[1])
    light = prepared.light
    check_even_light(light.residual_spread)
    region_centres = {item.region.name: item.region.polygon.mean(axis=0) for item in usable}
    ratios = {name: light.ratio_at(centre) for name, centre in region_centres.items()}
    items = [RegionCodes(item.region, item.codes, item.off_card_share, ratios[item.region.name]) for item in usable]
    first = fit(prepared, methods=(DEFAULT_METHOD,), leave_one_out=False, scored=False)  # only locates the skin
    tone_items = [item for item in items if in_skin_tone(item.region.name)] or items  # forehead, chin: analysed only
    calibration: Calibration = fit(prepared, focus_Lab=XYZ_to_Lab_D65(rough_skin_XYZ(tone_items, first)))
    analysed = _region_colours(items, calibration, refused)
    colours = skin_tone_regions(analysed, [r.name for r in parsed], refused)
    Lab, cheek_difference = combine_regions(colours)
    measured = [colour.name for colour in colours]

    loo_skin = calibration.card_skin_loo_dE00()
    # Skin left out as clipped biases the colour darker by at least this (log) factor: an error of lightness like
    # the light's, so it widens the light term (along the line it moves the colour), not the isotropic spread.
    clipped = max(float(np.log(colour.clipped_brightness)) for colour in colours)
    light_on_face = max(light.relative_sigma_at(region_centres[n]) for n in measured)
    light_sigma = float(np.sqrt(light_on_face**2 + CARD_FACE_LIGHT_SIGMA**2 + clipped**2))
    components = [loo_skin, calibration.skin_model_dE00(), SKIN_METAMERISM_RMS_DE00, cheek_difference / 2]
    uncertainty = ColourUncertainty(float(np.sqrt(np.sum(np.square(components)))), light_sigma)
    quality = quality_report(
        pose,
        samples,
        calibration,
        light.residual_spread,
        cheek_difference,
        left_out_share=max(colour.left_out_share for colour in colours),
        regions_refused={name: f"{error.code}: {error.detail}" for name, error in refused.items()},
        regions_total=sum(in_skin_tone(r.name) for r in parsed) or len(parsed),
        light_on_regions=max(abs(ratios[n] - 1.0) for n in measured),
        clipped_shift_dE00=max(colour.clipped_shift_dE00 for colour in colours),
    )
    measurement = Measurement(
        Lab_D65=Lab,
        uncertainty_dE00_95=uncertainty.radius_95(Lab),
        uncertainty=uncertainty,
        skin_tone=describe_skin_tone(Lab),
        card_id=reference.card_id,
        card_batch=reference.batch,
        calibration_method=calibration.method,
        calibration_residual_dE00_median=float(np.median(calibration.residual_dE00[calibration.used])),
        calibration_loo_dE00_median=float(np.median(calibration.loo_dE00[calibration.used])),
        calibration_loo_skin_dE00_rms=loo_skin,
        candidates_loo_skin_dE00=calibration.candidates_loo_skin_dE00,
        as_shot_white_xy=calibration.as_shot_white_xy,
        as_shot_white_cct_K=_cct(calibration.as_shot_white_xy),
        mirrored=pose.mirrored,
        regions=colours,
        cheek_difference_dE00=cheek_difference,
        quality=quality,
    )
    analyses, left_right = analyse_regions(
        photo.BGR, items, analysed, pose, calibration, uncertainty=uncertainty, exclude=card_outline_px(pose)
    )
    return replace(measurement, region_analyses=analyses, left_right=left_right)
