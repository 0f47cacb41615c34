"""Each coordinate's 95 % half-width, from a measured colour's error covariance: Monte Carlo draws of the error the
model describes (a spread in CIEDE2000, mostly chromatic, plus a log-normal light on the skin) fall within them 95 % of
the time, on each axis, on ITA° and on the skin indices fitted to the colour; and the light's part goes to L*."""

from __future__ import annotations

import colour
import numpy as np
import pytest

from color.colorimetry import D65_xy, XYZ_to_Lab_D65
from color.lab_uncertainty import (
    SPREAD_LIGHTNESS_SHARE,
    ColourUncertainty,
    covariance_from_radius,
    delta_E00_metric,
    half_widths_95,
)
from color.skin_indices import model_Lab, sample_Lab_within, skin_indices_from_Lab
from color.skin_tone import ITA_from_Lab

SKINS = {"light": [70.0, 10.0, 18.0], "medium": [55.0, 14.0, 22.0], "very dark": [28.0, 9.0, 14.0]}
DRAWS = 40_000


def _draws(Lab: np.ndarray, uncertainty: ColourUncertainty, rng: np.random.Generator) -> np.ndarray:
    """The error ``uncertainty`` describes, drawn apart from its covariance: the light as a factor on the
    tristimulus values (not its linear step), then a normal spread of mean square S² in CIEDE2000's local metric G,
    its lightness share along L* and the rest evenly over a* and b* (G's blocks: δ = C⁻ᵀ·z has δᵀ·G·δ = zᵀ·z for
    G = C·Cᵀ). It shares the metric and the share with the code: it checks how the covariance is assembled and
    the light's linearisation, not the model's constants (the bench checks those against rendered photos)."""
    factors = np.exp(rng.normal(0.0, uncertainty.light_sigma, DRAWS))
    lit = XYZ_to_Lab_D65(colour.Lab_to_XYZ(Lab, D65_xy)[None, :] * factors[:, None])
    metric, spread = delta_E00_metric(Lab), uncertainty.spread_rms_dE00
    lightness = rng.normal(size=DRAWS) * spread * np.sqrt(SPREAD_LIGHTNESS_SHARE / metric[0, 0])
    cholesky = np.linalg.cholesky(metric[1:, 1:])
    chromatic = np.linalg.solve(cholesky.T, rng.normal(size=(2, DRAWS))).T * spread
    chromatic *= np.sqrt((1 - SPREAD_LIGHTNESS_SHARE) / 2)
    return np.asarray(lit + np.column_stack([lightness, chromatic]))


@pytest.mark.parametrize("skin", SKINS)
@pytest.mark.parametrize(("spread", "light"), [(1.2, 0.10), (0.6, 0.15), (2.0, 0.02)])
def test_each_half_width_covers_95_percent_of_the_modelled_error(skin: str, spread: float, light: float) -> None:
    Lab = np.array(SKINS[skin])
    uncertainty = ColourUncertainty(spread, light)
    draws = _draws(Lab, uncertainty, np.random.default_rng(1))
    widths = half_widths_95(Lab, uncertainty.covariance(Lab))
    for axis, width in enumerate((widths.L, widths.a, widths.b)):
        inside = float(np.mean(np.abs(draws[:, axis] - Lab[axis]) <= width))
        assert 0.935 <= inside <= 0.975, (axis, inside)
    ita_inside = float(np.mean(np.abs(ITA_from_Lab(draws) - ITA_from_Lab(Lab)) <= widths.ita_deg))
    assert 0.935 <= ita_inside <= 0.975


def test_the_radius_read_back_as_an_isotropic_error_covers_95_percent_per_axis() -> None:
    """A photo kept with its radius only: the isotropic error it describes is covered on each axis and ITA°."""
    Lab = np.array([58.0, 14.0, 18.0])
    widths = half_widths_95(Lab, covariance_from_radius(Lab, 2.0))
    draws = sample_Lab_within(np.tile(Lab, (20_000, 1)), np.full(20_000, 2.0), np.random.default_rng(3))
    for axis, width in enumerate((widths.L, widths.a, widths.b)):
        assert 0.94 <= float(np.mean(np.abs(draws[:, axis] - Lab[axis]) <= width)) <= 0.96
    assert 0.94 <= float(np.mean(np.abs(ITA_from_Lab(draws) - ITA_from_Lab(Lab)) <= widths.ita_deg)) <= 0.96


def test_the_light_on_the_skin_widens_lightness_not_hue() -> None:
    """The same 95 % radius, mostly from the light: L*'s half-width is wider than the isotropic reading of that
    radius gives, a*'s and b*'s narrower (the defect of reading the radius alone)."""
    Lab = np.array([58.0, 14.0, 18.0])
    uncertainty = ColourUncertainty(0.8, 0.10)
    stated = half_widths_95(Lab, uncertainty.covariance(Lab))
    isotropic = half_widths_95(Lab, covariance_from_radius(Lab, uncertainty.radius_95(Lab)))
    assert stated.L > 1.1 * isotropic.L
    assert stated.a < 0.7 * isotropic.a
    assert stated.b < 0.7 * isotropic.b


@pytest.mark.parametrize("skin", SKINS)
def test_without_light_the_spread_keeps_its_mean_square_mostly_off_lightness(skin: str) -> None:
    """E[ΔE00²] = trace(G·Cov) is the spread's S², of which lightness takes ``SPREAD_LIGHTNESS_SHARE``."""
    Lab = np.array(SKINS[skin])
    covariance, metric = ColourUncertainty(1.5, 0.0).covariance(Lab), delta_E00_metric(Lab)
    assert float(np.trace(metric @ covariance)) == pytest.approx(1.5**2, rel=0.02)
    assert metric[0, 0] * covariance[0, 0] == pytest.approx(SPREAD_LIGHTNESS_SHARE * 1.5**2, rel=0.02)


def test_covariance_is_evaluated_at_each_colour_of_a_stack() -> None:
    uncertainty = ColourUncertainty(1.0, 0.1)
    Labs = np.array(list(SKINS.values()))
    stacked = uncertainty.covariance(Labs)
    assert stacked.shape == (3, 3, 3)
    for k, Lab in enumerate(Labs):
        np.testing.assert_allclose(stacked[k], uncertainty.covariance(Lab), rtol=1e-12)


def test_skin_indices_half_widths_cover_the_modelled_error() -> None:
    """Melanin and erythema fitted to draws of the modelled error (light included) stay within the half-widths
    propagated from the covariance about 95 % of the time."""
    Lab = model_Lab(0.3, 1.0)
    uncertainty = ColourUncertainty(1.0, 0.10)
    draws = _draws(Lab, uncertainty, np.random.default_rng(9))[:4000]
    exact = skin_indices_from_Lab(Lab)
    stated = skin_indices_from_Lab(Lab, covariance_Lab=uncertainty.covariance(Lab))
    fitted = skin_indices_from_Lab(draws)
    for value, truth, width in (
        (fitted.melanin_od, exact.melanin_od, stated.melanin_od_95),
        (fitted.blood_uM_cm, exact.blood_uM_cm, stated.blood_uM_cm_95),
    ):
        assert 0.93 <= float(np.mean(np.abs(value - truth) <= width)) <= 0.98


def test_indices_refuse_a_radius_and_a_covariance_at_once() -> None:
    Lab = model_Lab(0.3, 1.0)
    with pytest.raises(ValueError, match="not both"):
        skin_indices_from_Lab(Lab, 1.5, covariance_Lab=ColourUncertainty(1.0, 0.1).covariance(Lab))
