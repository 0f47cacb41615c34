"""The tone curves of the rendered phone photos (``color.simulate``): linear light, white at about 0.8, to
display code values in [0, 1], and their 8-bit encoding by table.

Three curves are the ones the measurement was developed on (``TUNED_TONE_CURVES``). Three more are published
curves of other shapes, kept out of any tuning so that benchmarks can show how the tone model
(``color.tone_curve``) does on a curve it has never met (``NOVEL_TONE_CURVES``): phones' curves are not
published, and each maker's differs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import colour
import numpy as np
from numpy.typing import NDArray

# The tone curve is applied through a table on a square-root grid of linear values in [0, TONE_LUT_MAX]:
# the step is finest in the shadows, and no output code is off by more than 0.05 (checked in the tests).
TONE_LUT_SIZE = 16384
TONE_LUT_MAX = 8.0
# Hable's curve: its constants, the linear white it maps to 1, and the exposure it is driven at.
HABLE_ABCDEF = (0.15, 0.50, 0.10, 0.20, 0.02, 0.30)
HABLE_WHITE = 11.2
HABLE_EXPOSURE = 4.0
# The log-contrast S: slope per stop (of the logistic) around 18 % grey, and the linear range mapped to [0, 1].
LOG_CONTRAST_SLOPE = 0.7
LOG_CONTRAST_RANGE = (1e-3, 1.2)

ToneCurve = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def _sRGB_encode(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(colour.cctf_encoding(np.clip(x, 0.0, 1.0), "sRGB"), dtype=np.float64)


def _filmic(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """An S-shaped phone look: extra contrast in the mid-tones and a soft shoulder, then sRGB encoding."""
    x = np.clip(x, 0.0, None)
    shoulder = x * (1.0 + x / 1.6**2) / (1.0 + x)
    encoded = _sRGB_encode(shoulder * 1.25)
    return np.clip(encoded + 0.12 * encoded * (1 - encoded) * (encoded - 0.5) * 4, 0.0, 1.0)


def _gamma_22(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.clip(x, 0.0, 1.0) ** (1 / 2.2), dtype=np.float64)


def _aces_fitted(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The rational fit of the ACES reference rendering (Narkowicz 2016, "ACES Filmic Tone Mapping Curve"):
    a long toe and a gentle shoulder, then sRGB encoding."""
    x = np.clip(x, 0.0, None)
    return _sRGB_encode(x * (2.51 * x + 0.03) / (x * (2.43 * x + 0.59) + 0.14))


def _hable(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Hable's filmic curve (GDC 2010, "Uncharted 2: HDR Lighting"): a strong toe, then sRGB encoding."""
    A, B, C, D, E, F = HABLE_ABCDEF

    def curve(v: NDArray[np.float64] | float) -> NDArray[np.float64]:
        return np.asarray(((v * (A * v + C * B) + D * E) / (v * (A * v + B) + D * F)) - E / F, dtype=np.float64)

    return _sRGB_encode(curve(np.clip(x, 0.0, None) * HABLE_EXPOSURE) / curve(HABLE_WHITE))


def _log_contrast(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """A logistic S in stops around 18 % grey, straight to display codes: bright mid-tones, deep shadows."""

    def logistic(v: NDArray[np.float64] | float) -> NDArray[np.float64]:
        return np.asarray(1.0 / (1.0 + np.exp(-LOG_CONTRAST_SLOPE * np.log2(v / 0.18))), dtype=np.float64)

    low, high = logistic(LOG_CONTRAST_RANGE[0]), logistic(LOG_CONTRAST_RANGE[1])
    return np.clip((logistic(np.clip(x, LOG_CONTRAST_RANGE[0], None)) - low) / (high - low), 0.0, 1.0)


TUNED_TONE_CURVES: dict[str, ToneCurve] = {"sRGB": _sRGB_encode, "filmic": _filmic, "gamma_2.2": _gamma_22}
NOVEL_TONE_CURVES: dict[str, ToneCurve] = {
    "aces_fitted": _aces_fitted,
    "hable": _hable,
    "log_contrast": _log_contrast,
}
TONE_CURVES: dict[str, ToneCurve] = TUNED_TONE_CURVES | NOVEL_TONE_CURVES


@cache
def _tone_lut(tone_curve: str) -> NDArray[np.uint8]:
    """8-bit codes of the tone curve on a square-root grid of linear values in [0, TONE_LUT_MAX]."""
    linear = (np.linspace(0.0, 1.0, TONE_LUT_SIZE) ** 2) * TONE_LUT_MAX
    codes = np.clip(np.round(TONE_CURVES[tone_curve](linear) * 255), 0, 255).astype(np.uint8)
    codes.flags.writeable = False
    return codes


def encode_tone(linear: NDArray[np.float32], tone_curve: str) -> NDArray[np.uint8]:
    """8-bit codes of linear values through a tone curve (``TONE_CURVES``), by table; ``linear`` is consumed."""
    np.clip(linear, 0.0, TONE_LUT_MAX, out=linear)
    linear *= np.float32(1.0 / TONE_LUT_MAX)
    np.sqrt(linear, out=linear)
    linear *= np.float32(TONE_LUT_SIZE - 1)
    linear += np.float32(0.5)
    index = linear.astype(np.uint16)
    codes: NDArray[np.uint8] = _tone_lut(tone_curve)[index]
    return codes
