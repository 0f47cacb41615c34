"""A photo in, a skin colour out: decode → find the card → sample → calibrate → skin → report.

Each step is a pure function of the previous one's result; a photo that cannot give a trustworthy
colour raises ``RetakeNeeded`` with a stable code and a hint. Nothing is stored: the caller keeps the
numbers of the returned ``Measurement`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import colour
import numpy as np
from numpy.typing import NDArray

from color.calibrate import DEFAULT_METHOD, POOR_FIT_LOO_DE00, Calibration, XYZ_to_Lab_D65, fit, prepare
from color.card import PatchKind, ReferenceCard
from color.chart_detect import locate_colorchecker
from color.decode import decode_photo
from color.detect import CardPose, locate_card
from color.errors import RetakeNeeded
from color.packaged_data import (
    available_cards,
    load_card,
    load_layout,
    load_virtual_skin,
    parse_card_reference,
)
from color.sampling import PatchSamples, sample_patches
from color.skin import Region, RegionColour, combine_regions, parse_regions, region_colour, region_pixels, rough_XYZ
from color.skin_tone import SkinToneDescription, describe_skin_tone

# The 95 % radius of the error, from its components as root-mean-square CIEDE2000 values. For an error
# spread evenly over the three CIELAB axes, |ΔE| follows a Maxwell distribution whose 95th percentile is
# 1.65 times its root mean square.
COVERAGE_FACTOR_95 = 1.65
# Skin is not made of the card's pigments: even a perfect fit on the card leaves a metameric error on
# skin that the card cannot see. Its size was measured with bench/bench_measurement.py (see README).
SKIN_METAMERISM_RMS_DE00 = 0.6
MAX_CHEEK_DIFFERENCE_DE00 = 4.0
# Large JPEGs are decoded at 1/2 or 1/4 scale while the long side stays at least this long: a card next to
# the cheek keeps well over 32 px per patch, and averaging needs no more. Smaller cards trigger a retry at
# full resolution. The effect on the result is measured in bench/bench_measurement.py.
WORKING_LONG_SIDE = 1800
NOT_FOUND_HINT = "Hold the card flat next to your cheek, fully in the picture, with its printed side to the camera."
MAX_NEUTRAL_EXPOSURE_SPREAD = 0.2  # spread (log units) of the neutrals' exposure across the card


@dataclass(frozen=True, slots=True)
class QualityCheck:
    name: str
    passed: bool
    value: float | None
    limit: float | None
    detail: str


@dataclass(frozen=True)
class Measurement:
    """The numbers kept from a photo. CIELAB is CIE 1976, D65 white, CIE 1931 2° observer."""

    Lab_D65: NDArray[np.float64]
    uncertainty_dE00_95: float
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

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the shape of the CLI and HTTP outputs)."""
        L, a, b = (round(float(v), 3) for v in self.Lab_D65)
        tone = self.skin_tone
        return {
            "lab": {"L": L, "a": a, "b": b},
            "colour_space": {"space": "CIE 1976 L*a*b*", "white_point": "D65", "observer": "CIE 1931 2°"},
            "uncertainty_dE00": round(self.uncertainty_dE00_95, 2),
            "skin_tone": {
                "ita_deg": round(tone.ita_deg, 2),
                "ita_class": tone.ita_class,
                "hue_deg": round(tone.hue_deg, 2),
                "chroma": round(tone.chroma, 2),
                "undertone": tone.undertone.value,
                "monk_tone": tone.monk_tone,
                "monk_delta_E00": round(tone.monk_delta_E00, 2),
            },
            "calibration": {
                "card_id": self.card_id,
                "card_batch": self.card_batch,
                "model": self.calibration_method,
                "residual_dE00_median": round(self.calibration_residual_dE00_median, 3),
                "loo_dE00_median": round(self.calibration_loo_dE00_median, 3),
                "loo_skin_dE00_rms": round(self.calibration_loo_skin_dE00_rms, 3),
                "models_loo_skin_dE00": self.candidates_loo_skin_dE00,
                "scene_white": {
                    "as_shot_xy": [round(float(v), 4) for v in self.as_shot_white_xy],
                    "as_shot_cct_K": None if self.as_shot_white_cct_K is None else round(self.as_shot_white_cct_K),
                },
                "mirrored_photo": self.mirrored,
            },
            "regions": [
                {
                    "name": r.name,
                    "lab": {
                        "L": round(float(r.Lab_D65[0]), 3),
                        "a": round(float(r.Lab_D65[1]), 3),
                        "b": round(float(r.Lab_D65[2]), 3),
                    },
                    "pixels": r.pixels,
                    "skin_pixels": r.kept,
                    "spread_dE00": round(r.spread_dE00, 2),
                }
                for r in self.regions
            ],
            "cheek_difference_dE00": round(self.cheek_difference_dE00, 2),
            "quality": [
                {"check": q.name, "passed": q.passed, "value": q.value, "limit": q.limit, "detail": q.detail}
                for q in self.quality
            ],
        }


def _candidate_cards(card_reference: str | None) -> list[ReferenceCard]:
    """The card named, or every packaged card (marker cards first: they are found faster and surer)."""
    if card_reference is None:
        ids = sorted(available_cards(), key=lambda card_id: load_layout(card_id).aruco_dictionary is None)
        return [load_card(card_id) for card_id in ids]
    card_id, batch = parse_card_reference(card_reference)
    return [load_card(card_id, batch)]


def find_card(BGR: NDArray[np.uint8], cards: list[ReferenceCard]) -> tuple[ReferenceCard, CardPose]:
    """The first card found: by its ArUco markers, else (for cards without markers) by its chip grid."""
    marker_cards = [c for c in cards if c.layout.aruco_dictionary is not None]
    plain_cards = [c for c in cards if c.layout.aruco_dictionary is None]
    not_found: RetakeNeeded | None = None
    if marker_cards:
        try:
            pose = locate_card(BGR, [c.layout for c in marker_cards])
            return next(c for c in marker_cards if c.card_id == pose.layout.card_id), pose
        except RetakeNeeded as error:
            if error.code != "card_not_found" or not plain_cards:
                raise
            not_found = error
    for card in plain_cards:
        try:
            return card, locate_colorchecker(BGR, card.layout)
        except RetakeNeeded as error:
            if error.code != "card_not_found":
                raise
            not_found = not_found or error
    raise not_found or RetakeNeeded("card_not_found", "No reference card was found.", hint=NOT_FOUND_HINT)


def _neutral_exposure_spread(samples: PatchSamples, card: ReferenceCard) -> float:
    """Relative spread of the neutral patches' linear response after dividing by their reference Y.

    Under even light every neutral's ratio of camera luminance to reference Y is the same (up to the tone
    curve, which the ratio of neighbours in lightness barely sees); a light gradient across the card
    spreads them.
    """
    neutral = card.layout.patch_index(PatchKind.NEUTRAL)
    usable = neutral[~(samples.clipped[neutral] | samples.crushed[neutral] | samples.glare[neutral])]
    Y = card.XYZ_D65[usable, 1]
    light = samples.RGB_linear[usable] @ np.array([0.2126, 0.7152, 0.0722])
    bright = Y > 0.1  # dark patches are dominated by the tone curve's toe
    if bright.sum() < 3:
        return 0.0
    ratio = np.log(light[bright] / Y[bright])
    slope = np.polyfit(np.log(Y[bright]), ratio, 1)
    residual = ratio - np.polyval(slope, np.log(Y[bright]))
    return float(np.ptp(residual))


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
    cards = _candidate_cards(card)
    photo = decode_photo(data, min_long_side=working_long_side)
    try:
        reference, pose = find_card(photo.BGR, cards)
    except RetakeNeeded as error:
        if photo.scale == 1.0 or error.code not in {"card_too_small", "card_not_found"}:
            raise
        photo = decode_photo(data)  # a small card: look again at full resolution
        reference, pose = find_card(photo.BGR, cards)
    samples = sample_patches(photo.BGR, pose)
    if regions is None:
        from color.face import cheek_regions

        parsed = cheek_regions(photo.BGR, face_model)
    else:  # regions come in the full-size upright photo's pixels
        parsed = [Region(r.name, r.polygon * photo.scale) for r in parse_regions(regions, photo.size)]
    prior = load_virtual_skin()
    codes = [region_pixels(photo.BGR, region) for region in parsed]
    prepared = prepare(reference, samples, prior)
    first = fit(prepared, methods=(DEFAULT_METHOD,), leave_one_out=False)
    first_Lab = XYZ_to_Lab_D65(np.mean([rough_XYZ(c, first) for c in codes], axis=0))
    calibration: Calibration = fit(prepared, focus_Lab=first_Lab)
    colours = [region_colour(c, region, calibration) for c, region in zip(codes, parsed, strict=True)]
    Lab, cheek_difference = combine_regions(colours)

    loo_skin = calibration.card_skin_loo_dE00()
    skin_model = calibration.skin_model_dE00()
    uncertainty = COVERAGE_FACTOR_95 * float(
        np.sqrt(loo_skin**2 + skin_model**2 + SKIN_METAMERISM_RMS_DE00**2 + (cheek_difference / 2) ** 2)
    )
    unevenness = _neutral_exposure_spread(samples, reference)
    quality = [
        QualityCheck("card_found", True, float(len(pose.markers_found)), 4.0, f"markers {list(pose.markers_found)}"),
        QualityCheck("card_size", True, round(pose.px_per_mm, 2), None, "pixels per millimetre on the card"),
        QualityCheck(
            "glare", not bool(samples.glare.any()), float(samples.glare.sum()), 0.0, "patches with a highlight"
        ),
        QualityCheck(
            "calibration_fit",
            True,
            round(calibration.photo_consistency_dE00(), 3),
            POOR_FIT_LOO_DE00,
            "median leave-one-out ΔE00 of a card-only fit (the photo's consistency)",
        ),
        QualityCheck(
            "even_light_on_card",
            unevenness <= MAX_NEUTRAL_EXPOSURE_SPREAD,
            round(unevenness, 3),
            MAX_NEUTRAL_EXPOSURE_SPREAD,
            "spread of the neutrals' exposure (log units)",
        ),
        QualityCheck(
            "cheeks_agree",
            cheek_difference <= MAX_CHEEK_DIFFERENCE_DE00,
            round(cheek_difference, 2),
            MAX_CHEEK_DIFFERENCE_DE00,
            "largest ΔE00 between regions",
        ),
    ]
    if unevenness > MAX_NEUTRAL_EXPOSURE_SPREAD:
        raise RetakeNeeded(
            "uneven_light",
            "The light falls unevenly across the card, so the face may be lit differently too.",
            hint="Stand facing a window or lamp so that the card and your face are lit the same way, without shadows.",
        )
    return Measurement(
        Lab_D65=Lab,
        uncertainty_dE00_95=uncertainty,
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
