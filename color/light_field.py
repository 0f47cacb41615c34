"""How the light changes across the photo, from the card's grey patches, and what that means for the cheeks.

The card's neutral patches spread over its face. Divided by its reference luminance Y, each one's linear
response (after the tone model) is the irradiance where it lies, up to the tone curve's own small residual
in log Y. A plane in log irradiance over the image, log E(p) = log E₀ + g·(p − p₀), fitted to them tells how
much brighter or darker the light is at each cheek than on the card, where the calibration was made; the
skin's response is divided by that ratio before it is corrected.

The fit is Bayesian linear regression (Bishop 2006, Pattern Recognition and Machine Learning, §3.3) with a
zero-mean normal prior on the gradient, ``GRADIENT_PRIOR_PER_IMAGE`` per image width: a card whose neutrals
lie on one line (the ColorChecker's bottom row) cannot see a gradient across that line, and the prior then
keeps the correction at zero and its uncertainty bounded. The posterior spread, carried to each cheek's
distance from the card, is the correction's own uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from color.card import PatchKind, ReferenceCard
from color.colorimetry import LUMA_WEIGHTS

GRADIENT_PRIOR_PER_IMAGE = 0.3  # prior standard deviation of the change of log irradiance across the image width
MIN_NEUTRAL_Y = 0.1  # darker neutrals are dominated by the tone curve's toe and by flare
MIN_NEUTRALS = 4
MIN_NOISE = 0.01  # log units: a neutral's response is never known better than 1 % (print and sampling)
DEFAULT_NOISE = 0.02  # when too few neutrals are left to measure their scatter
# The neutrals tell a gradient from the tone curve when the smaller axis of their spread over the card is at
# least this share of the larger (the own card: 0.5; the ColorChecker's one row: 0).
MIN_NEUTRAL_SPAN = 0.3


@dataclass(frozen=True)
class LightField:
    """A plane of log irradiance over the image: ``gradient`` (2,) per pixel with covariance ``covariance``
    (2, 2), about ``origin`` (2,) in pixels, and the spread (log units, peak to peak) of the neutrals around it."""

    gradient: NDArray[np.float64]
    covariance: NDArray[np.float64]
    origin: NDArray[np.float64]
    residual_spread: float

    def ratio_at(self, point: NDArray[np.float64]) -> float:
        """Irradiance at ``point`` (pixels) relative to the card's."""
        return float(np.exp(self.gradient @ (np.asarray(point, dtype=np.float64) - self.origin)))

    def relative_sigma_at(self, point: NDArray[np.float64]) -> float:
        """Standard uncertainty of ``ratio_at(point)``, relative."""
        offset = np.asarray(point, dtype=np.float64) - self.origin
        return float(np.sqrt(max(float(offset @ self.covariance @ offset), 0.0)))


def even_light(origin: NDArray[np.float64]) -> LightField:
    return LightField(np.zeros(2), np.zeros((2, 2)), np.asarray(origin, dtype=np.float64), 0.0)


def fit_light_field(
    card: ReferenceCard,
    linear: NDArray[np.float64],
    usable: NDArray[np.bool_],
    patch_centres_px: NDArray[np.float64],
    image_width: int,
) -> LightField:
    """The light field from the neutrals' linear responses ``linear`` (n, 3, tone model applied), their
    ``usable`` flags and their centres in the photo (n, 2 pixels)."""
    neutral = card.layout.patch_index(PatchKind.NEUTRAL)
    Y = card.XYZ_D65[neutral, 1]
    chosen = neutral[usable[neutral] & (Y > MIN_NEUTRAL_Y)]
    origin = patch_centres_px[neutral].mean(axis=0)
    if len(chosen) < MIN_NEUTRALS:
        return even_light(origin)
    Y = card.XYZ_D65[chosen, 1]
    response = np.maximum(linear[chosen] @ LUMA_WEIGHTS, 1e-6)
    log_ratio = np.log(response / Y)
    positions = patch_centres_px[chosen] - origin
    # Columns: offset, the tone curve's residual slope in log Y, and the gradient in x and y.
    design = np.column_stack([np.ones(len(chosen)), np.log(Y) - np.log(Y).mean(), positions])
    prior_sigma = GRADIENT_PRIOR_PER_IMAGE / image_width
    # The neutrals' own scatter (print, noise, glare) from an unregularised fit of all four terms, when there are
    # enough of them to tell; never below ``MIN_NOISE``.
    full, *_ = np.linalg.lstsq(design, log_ratio, rcond=None)
    scatter = float(np.std(log_ratio - design @ full, ddof=4)) if len(chosen) > 5 else DEFAULT_NOISE
    noise = max(scatter, MIN_NOISE)
    precision_prior = np.diag([1e-6, 1e-6, prior_sigma**-2, prior_sigma**-2])
    precision = design.T @ design / noise**2 + precision_prior
    covariance = np.linalg.inv(precision)
    mean = covariance @ design.T @ log_ratio / noise**2
    residual = log_ratio - design @ mean
    return LightField(
        gradient=mean[2:],
        covariance=covariance[2:, 2:],
        origin=origin,
        residual_spread=float(np.ptp(residual)),
    )


def spans_two_directions(points: NDArray[np.float64]) -> bool:
    """Whether points (n, 2) spread in two directions: the smaller axis of their spread at least
    ``MIN_NEUTRAL_SPAN`` of the larger."""
    if len(points) < 3:
        return False
    spread = np.linalg.svd(points - points.mean(axis=0), compute_uv=False)
    return bool(spread[1] >= MIN_NEUTRAL_SPAN * spread[0])
