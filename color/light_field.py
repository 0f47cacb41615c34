"""How the light changes across the photo, from the card's grey patches, and what that means for the cheeks.

The card's neutral patches spread over its face. Divided by its reference luminance Y, each one's linear
response (after the tone model) is the irradiance where it lies, up to the tone curve's own small residual
in log Y. A plane in log irradiance over the image, log E(p) = log E₀ + g·(p − p₀), fitted to them tells how
much brighter or darker the light is at each cheek than on the card, where the calibration was made; the
skin's response is divided by that ratio before it is corrected.

The fit is Bayesian linear regression (Bishop 2006, Pattern Recognition and Machine Learning, §3.3) with a
zero-mean normal prior on the gradient, ``GRADIENT_PRIOR_PER_IMAGE`` per image width. The neutrals alone cannot
see a gradient along the line their luminance falls on (the own card's grey ramp runs down the card, the
ColorChecker's greys along one row): there the gradient and the tone curve's shape are one and the same, and
the prior keeps the correction near zero. ``refine_on_all_patches`` then reads what they missed from every
patch: the coloured and skin patches spread their luminances over the card in other directions (measured on
bench/bench_conditions.py, seed 2031: the own card's gradient group median 1.01 → 0.73, p95 2.57 → 1.81 ΔE00; the
ColorChecker's median 2.22 → 0.77). The last fit's posterior spread, carried to each cheek's distance from the
card, is the correction's own uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from colour.characterisation import polynomial_expansion_Finlayson2015
from numpy.typing import NDArray

from color.card import PatchKind, ReferenceCard
from color.colorimetry import LUMA_WEIGHTS

GRADIENT_PRIOR_PER_IMAGE = 0.3  # prior standard deviation of the change of log irradiance across the image width
MIN_NEUTRAL_Y = 0.1  # darker neutrals are dominated by the tone curve's toe and by flare
MIN_NEUTRALS = 4
MIN_PATCHES_FOR_REFINEMENT = 16  # patches (neutral or not) above MIN_NEUTRAL_Y to refine the plane on
REFINE_PASSES = 8  # at most; measured: 1-3 settle (128 photos of tests/color/test_prepare_light.py's kinds)
REFINE_TOLERANCE = 0.01  # change of log irradiance across the image width at which the plane has settled
OUTLIER_SIGMAS = 3.5  # a patch this many robust standard deviations off the plane is in other light (or glare)
MIN_NOISE = 0.01  # log units: a neutral's response is never known better than 1 % (print and sampling)
DEFAULT_NOISE = 0.02  # when too few neutrals are left to measure their scatter


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


def refine_on_all_patches(
    card: ReferenceCard,
    linear: NDArray[np.float64],
    usable: NDArray[np.bool_],
    patch_centres_px: NDArray[np.float64],
    *,
    image_width: int,
    light: LightField,
) -> LightField:
    """``light`` (from the neutrals) refined on every usable patch: what the neutrals cannot see.

    The neutrals tell a gradient from the tone curve only where their luminance does not follow their place: on
    the own card it falls from top to bottom, so a gradient along that line is read as the curve's shape (the
    prior keeps it near zero), and on the ColorChecker every neutral is on one row. The coloured and skin patches
    spread their luminances over the card in other directions. Their Y is a second-degree root-polynomial of
    their responses (Finlayson et al. 2015; its terms from colour-science), the same at every place, and
    homogeneous, so dividing the responses by the light divides the terms by it: the correction's coefficients,
    the plane's step and a term in log Y (what the tone curve leaves by level) are one weighted least squares in
    the relative misfit of Y, repeated about the new plane until it settles (Gauss-Newton, ``REFINE_PASSES``).
    It keeps ``fit_light_field``'s zero-mean prior on the whole gradient and leaves out patches beyond
    ``OUTLIER_SIGMAS`` robust standard deviations (glare or a shadow on one or two patches); the last posterior
    is the light's uncertainty. A shadow over several coloured patches at one corner can still pass for a
    gradient (measured on the ColorChecker: three corner patches at 0.6 of the light, 16-19 % at the cheek).
    """
    Y = card.XYZ_D65[:, 1]
    chosen = usable & (Y > MIN_NEUTRAL_Y) & np.isfinite(linear).all(axis=1) & (linear > 0).all(axis=1)
    if chosen.sum() < MIN_PATCHES_FOR_REFINEMENT:
        return light
    offsets, reference = patch_centres_px[chosen] - light.origin, Y[chosen]
    log_Y = np.log(reference) - np.log(reference).mean()
    prior_precision = (GRADIENT_PRIOR_PER_IMAGE / image_width) ** -2
    gradient, covariance = light.gradient, light.covariance
    kept = np.ones(len(offsets), dtype=bool)
    for _ in range(REFINE_PASSES):
        # Relative misfit of Y, linear in (c, δg, s) near the current plane: Σₖ cₖ·tₖ / Y − δg·offset − s·log Y = 1.
        terms = polynomial_expansion_Finlayson2015(
            linear[chosen] / np.exp(offsets @ gradient)[:, None], degree=2, root_polynomial_expansion=True
        )
        design = np.column_stack([terms / reference[:, None], -offsets, -log_Y])
        full, *_ = np.linalg.lstsq(design[kept], np.ones(int(kept.sum())), rcond=None)
        residual = design @ full - 1.0
        spread = 1.4826 * float(np.median(np.abs(residual[kept] - np.median(residual[kept]))))
        kept &= np.abs(residual) <= OUTLIER_SIGMAS * max(spread, MIN_NOISE)
        if kept.sum() < MIN_PATCHES_FOR_REFINEMENT:  # much of the card in other light: no plane to refine
            return light
        noise = max(float(np.std(residual[kept], ddof=design.shape[1])), MIN_NOISE)
        # The prior on the whole gradient (mean zero): on the step δg it is centred on minus the current gradient.
        plane = slice(terms.shape[1], terms.shape[1] + 2)  # the step's two columns, after the correction's terms
        prior = np.zeros(design.shape[1])
        prior[plane] = prior_precision
        precision = design[kept].T @ design[kept] / noise**2 + np.diag(prior)
        right = design[kept].T @ np.ones(int(kept.sum())) / noise**2
        right[plane] -= prior_precision * gradient
        try:
            inverse = np.linalg.inv(precision)
        except np.linalg.LinAlgError:  # patches whose responses carry no colour: no plane can be read from them
            return light
        step = (inverse @ right)[plane]
        gradient, covariance = gradient + step, np.asarray(inverse[plane, plane], dtype=np.float64)
        if float(np.linalg.norm(step)) * image_width < REFINE_TOLERANCE:
            break
    return replace(light, gradient=gradient, covariance=covariance)
