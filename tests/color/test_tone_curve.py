"""The tone model: the phone's curve and white balance recovered from neutral patches."""

from __future__ import annotations

from dataclasses import replace

import colour
import numpy as np
import pytest

from color.card import PatchKind
from color.card_design import NEUTRAL_L
from color.packaged_data import load_card
from color.simulate_tone import TONE_CURVES
from color.tone_curve import ToneModel, fit_tone_model


def test_tone_model_recovers_a_gamma_and_gains() -> None:
    Y = np.array([0.9, 0.6, 0.4, 0.2, 0.1, 0.05, 0.02])
    gains = np.array([0.8, 1.0, 1.25])
    observed = (Y[:, None] * gains) ** (1 / 1.3)  # a phone with a different curve and a colour cast
    model = fit_tone_model(observed, Y, np.ones(len(Y), dtype=bool))
    assert model.apply(observed) == pytest.approx(np.repeat(Y[:, None], 3, axis=1), rel=1e-6)


LIGHTNESS = np.linspace(20.0, 85.0, 14)  # skin's range of CIE L*
WHITE_BALANCE_ERROR = np.array([1.1, 1.0, 0.85])


def _decoded_codes(curve_name: str, Y: np.ndarray, exposure: float = 0.85) -> np.ndarray:
    """sRGB-decoded 8-bit codes (n, 3) of greys of luminance ``Y`` through a rendered phone's tone curve."""
    encoded = TONE_CURVES[curve_name](Y[:, None] * exposure * WHITE_BALANCE_ERROR)
    return np.asarray(colour.cctf_decoding(np.round(encoded * 255) / 255, "sRGB"))


def _worst_lightness_error(model: ToneModel, curve_name: str) -> float:
    Y = np.asarray(colour.Lab_to_XYZ(np.column_stack([LIGHTNESS, 0 * LIGHTNESS, 0 * LIGHTNESS]))[:, 1])
    linear = model.apply(_decoded_codes(curve_name, Y))
    return float(np.abs(116 * np.cbrt(linear) - 16 - LIGHTNESS[:, None]).max())


@pytest.mark.parametrize("curve_name", list(TONE_CURVES))
def test_the_shaped_curve_follows_every_tone_curve_between_the_neutrals(curve_name: str) -> None:
    """Eight neutrals of the own card are enough for S-shaped curves never tuned on, white balance off by 15 %."""
    Y = np.array([colour.Lab_to_XYZ([L, 0.0, 0.0])[1] for L in NEUTRAL_L])
    model = fit_tone_model(_decoded_codes(curve_name, Y), Y, np.ones(len(Y), dtype=bool))
    assert _worst_lightness_error(model, curve_name) <= 1.0


@pytest.mark.parametrize("curve_name", ["aces_fitted", "log_contrast"])
def test_a_smooth_polynomial_alone_misses_strong_s_curves(curve_name: str) -> None:
    """Why the residual curve is there: the cubic alone is off by more than 1.4 L* on these two."""
    Y = np.array([colour.Lab_to_XYZ([L, 0.0, 0.0])[1] for L in NEUTRAL_L])
    model = fit_tone_model(_decoded_codes(curve_name, Y), Y, np.ones(len(Y), dtype=bool), shaped=False)
    assert _worst_lightness_error(model, curve_name) > 1.4


def test_a_known_gradient_over_the_card_stays_out_of_the_curve() -> None:
    """Brighter light on one side of the card: told, the fit recovers the tone; not told, the curve bends."""
    card = load_card("tm-skin-v1")
    neutral = card.layout.patch_index(PatchKind.NEUTRAL)
    Y = card.XYZ_D65[neutral, 1]
    x, y = np.array([card.layout.patches[i].centre_mm for i in neutral]).T
    log_light = 0.3 * (y - y.mean()) / np.ptp(y) + 0.05 * (x - x.mean()) / np.ptp(x)
    observed = _decoded_codes("filmic", Y * np.exp(log_light))
    usable = np.ones(len(Y), dtype=bool)
    told = fit_tone_model(observed, Y, usable, log_light=log_light)
    not_told = fit_tone_model(observed, Y, usable)

    def error(model: ToneModel) -> float:  # the light's mean level is the gains': compare at one grey
        level = model.apply(_decoded_codes("filmic", Y[[3]]))[0, 1] / Y[3]
        return _worst_lightness_error(replace(model, gains=model.gains * level), "filmic")

    assert error(told) <= 0.6
    assert error(not_told) > 2.0


@pytest.mark.parametrize("curve_name", list(TONE_CURVES))
def test_greys_darker_than_the_darkest_neutral_follow_the_curve(curve_name: str) -> None:
    """Dark skin's blue falls below the card's darkest neutral: the curve goes on straight (ln-ln) with its end
    slope, within 0.3 ln units per ln unit of extrapolation (the quadratic going on alone: up to 0.73)."""
    Y = np.array([colour.Lab_to_XYZ([L, 0.0, 0.0])[1] for L in NEUTRAL_L])
    model = fit_tone_model(_decoded_codes(curve_name, Y), Y, np.ones(len(Y), dtype=bool))
    for fraction in (0.5, 0.25, 0.125):
        darker = np.array([Y.min() * fraction])
        linear = model.apply(_decoded_codes(curve_name, darker))[0]
        assert np.abs(np.log(linear / darker)).max() <= 0.3 * np.log(1 / fraction), fraction
