"""The checks a measured photo passed, as rows reported beside its colour: each with its value and limit.

The thresholds are ``color.quality``'s, where the checks that refuse a photo live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from color.quality import (
    MAX_CHEEK_DIFFERENCE_DE00,
    MAX_NEUTRAL_EXPOSURE_SPREAD,
    MAX_OVEREXPOSURE_SHIFT_DE00,
    POOR_FIT_LOO_DE00,
)

if TYPE_CHECKING:
    from color.calibrate import Calibration
    from color.detect import CardPose
    from color.sampling import PatchSamples


@dataclass(frozen=True, slots=True)
class QualityCheck:
    name: str
    passed: bool
    value: float | None
    limit: float | None
    detail: str


def quality_report(
    pose: CardPose,
    samples: PatchSamples,
    calibration: Calibration,
    exposure_spread: float,
    cheek_difference_dE00: float,
    *,
    left_out_share: float = 0.0,
    regions_refused: dict[str, str] | None = None,
    regions_total: int = 0,
    light_on_regions: float = 0.0,
    clipped_shift_dE00: float = 0.0,
) -> list[QualityCheck]:
    """The checks of a measured photo, with their values and limits, as reported beside its colour."""
    return [
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
            exposure_spread <= MAX_NEUTRAL_EXPOSURE_SPREAD,
            round(exposure_spread, 3),
            MAX_NEUTRAL_EXPOSURE_SPREAD,
            "spread of the card's greys around one plane of light (log units)",
        ),
        QualityCheck(
            "regions_on_skin",
            left_out_share == 0.0,
            round(left_out_share, 3),
            None,
            "largest share of a region left out as the card or a second surface (hair, shadow, background)",
        ),
        QualityCheck(
            "regions_used",
            not regions_refused,
            float(regions_total - len(regions_refused or {})),
            float(regions_total),
            "; ".join(f"{name} left out ({reason})" for name, reason in (regions_refused or {}).items())
            or "every region is skin",
        ),
        QualityCheck(
            "light_on_cheeks",
            True,
            round(light_on_regions, 3),
            None,
            "largest relative difference of the light on a cheek from the card's, corrected (the card's greys)",
        ),
        QualityCheck(
            "skin_clipped",
            clipped_shift_dE00 == 0.0,
            round(clipped_shift_dE00, 2),
            MAX_OVEREXPOSURE_SHIFT_DE00,
            "least ΔE00 the colour moves with a region's skin too bright for the camera (in the uncertainty)",
        ),
        QualityCheck(
            "cheeks_agree",
            cheek_difference_dE00 <= MAX_CHEEK_DIFFERENCE_DE00,
            round(cheek_difference_dE00, 2),
            MAX_CHEEK_DIFFERENCE_DE00,
            "largest ΔE00 between regions",
        ),
    ]
