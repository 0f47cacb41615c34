"""The stated 95 % radius: how its parts combine, and that a face lit unlike the card stays inside it."""

from __future__ import annotations

import numpy as np
import pytest

from color.lab_uncertainty import lightness_error_dE00, uncertainty_95
from color.measure import CARD_FACE_LIGHT_SIGMA


@pytest.mark.parametrize(
    ("spread_rms", "lightness_sigma"), [(1.0, 0.0), (1.0, 0.5), (1.0, 1.0), (1.0, 2.0), (0.3, 2.0), (0.0, 1.0)]
)
def test_uncertainty_95_is_the_95th_percentile_of_the_combined_error(spread_rms: float, lightness_sigma: float) -> None:
    """Monte Carlo: an isotropic normal error of the given root mean square plus a normal error along one axis. The
    stated radius covers 95-97 % of them: at the percentile or just above, never below."""
    rng = np.random.default_rng(7)
    errors = rng.normal(size=(200_000, 3)) * spread_rms / np.sqrt(3)
    errors[:, 0] += rng.normal(size=200_000) * lightness_sigma
    radius = uncertainty_95([spread_rms], lightness_sigma)
    covered = float(np.mean(np.linalg.norm(errors, axis=1) <= radius))
    assert 0.949 <= covered <= 0.975


def test_parts_add_in_quadrature() -> None:
    assert uncertainty_95([0.6, 0.8], 0.0) == pytest.approx(1.65 * 1.0)
    assert uncertainty_95([], 1.0) == pytest.approx(1.96)


@pytest.mark.parametrize("Lab", [[70.0, 10.0, 18.0], [45.0, 14.0, 25.0], [25.0, 10.0, 14.0]])
def test_a_face_lit_unlike_the_card_stays_inside_the_radius(Lab: list[float]) -> None:
    """Monte Carlo: the light on the face off the card's by a log-normal factor of σ = ``CARD_FACE_LIGHT_SIGMA``
    (nothing else wrong) moves the colour by at most the radius this σ contributes in 95-97.5 % of photos."""
    import colour

    from color.colorimetry import D65_xy, XYZ_to_Lab_D65, delta_E00

    Lab_array = np.array(Lab)
    factors = np.exp(np.random.default_rng(11).normal(0.0, CARD_FACE_LIGHT_SIGMA, 20_000))
    lit = XYZ_to_Lab_D65(colour.Lab_to_XYZ(Lab_array, D65_xy)[None, :] * factors[:, None])
    shifts = delta_E00(np.broadcast_to(Lab_array, lit.shape), lit)
    radius = uncertainty_95([], lightness_error_dE00(Lab_array, CARD_FACE_LIGHT_SIGMA))
    assert 0.95 <= float(np.mean(shifts <= radius)) <= 0.975
