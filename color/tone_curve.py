"""The phone's tone curve, recovered from the card's neutral patches: camera codes back to linear light.

Phones apply one tone curve to all channels after white balance and their colour matrix. We take the sRGB
decoding (IEC 61966-2-1) as a first guess and correct it with a curve shared by the three channels,
ln v = p(ln s) + r(ln s) − ln g_c, fitted on the neutral patches against their reference Y; the per-channel
gains g_c absorb the residual white balance. p is a polynomial without constant term. A quadratic describes
power laws and sRGB-like curves, but phones' S-shaped curves (a toe, extra mid-tone contrast, a soft
shoulder) leave it 1-4 L* off between the neutrals. r is the shape-preserving (monotone) piecewise cubic
through what the quadratic leaves at each neutral (Fritsch & Carlson 1980, SIAM J. Numer. Anal. 17(2);
``scipy.interpolate.PchipInterpolator``); the gains are then fitted again to the whole curve. Beyond the darkest
and the lightest neutral the curve goes on straight in ln-ln, with the slope it has there: on the three tuned
curves this extrapolates a channel two to eight times darker than the darkest neutral (dark skin's blue) within
0.04-0.10 ln units per ln unit (rms over three exposures; at most 0.19), against 0.04-0.20 when the quadratic went
on alone (0.04-0.16 against 0.28-0.73 on the three curves never tuned on).

A curve that passes through every neutral also takes in a gradient of light over the card. So the light over
the card (``color.light_field``) is first estimated on a smooth curve, a cubic p without r (``shaped=False``),
and the shaped curve is then fitted to the neutrals with that light taken out (``log_light``). Measured on
six tone curves, three of them never tuned on: ``bench.bench_conditions``'s "novel tone curve" group.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import PchipInterpolator

# Neutrals closer than this in log code (0.2 %) are one point of the residual curve.
KNOT_MERGE_LOG = 2e-3
SHAPED_DEGREE = 2  # the polynomial under the residual curve: gentle where it goes on alone, beyond the neutrals
SMOOTH_DEGREE = 3  # the smooth curve the light over the card is first estimated on


@dataclass(frozen=True, slots=True)
class ToneModel:
    """Linear light from sRGB-decoded values: exp(p(ln s) + r(ln s)) / g_c, p = Σ coefficients[k]·(ln s)^(k+1).
    With r (the shaped curve), beyond the knots (the neutrals' codes averaged over the channels) the curve goes on
    straight in ln-ln with the slope it has at the last knot; without r, p goes on alone."""

    coefficients: tuple[float, ...]
    gains: NDArray[np.float64]  # (3,)
    residual: PchipInterpolator | None = None  # r over [knots[0], knots[-1]], in natural-log units
    knots: tuple[float, float] = (0.0, 0.0)
    ends: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (0.0, 0.0))  # (value, slope) at each knot

    def polynomial_part(self, log_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """p(ln s), without the residual curve."""
        curve = np.asarray(np.polynomial.polynomial.polyval(log_s, (0.0, *self.coefficients)), dtype=np.float64)
        return curve

    def log_curve(self, log_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """The shared curve, ln of linear light before the gains, at ln s."""
        curve = self.polynomial_part(log_s)
        if self.residual is None:
            return curve
        (low, high), ((low_value, low_slope), (high_value, high_slope)) = self.knots, self.ends
        inside = curve + self.residual(np.clip(log_s, low, high))
        below = low_value + low_slope * (log_s - low)
        above = high_value + high_slope * (log_s - high)
        shaped: NDArray[np.float64] = np.where(log_s < low, below, np.where(log_s > high, above, inside))
        return shaped

    def apply(self, RGB_decoded: NDArray[np.float64]) -> NDArray[np.float64]:
        log_s = np.log(np.clip(RGB_decoded, 1e-6, None))
        linear: NDArray[np.float64] = np.exp(self.log_curve(log_s)) / self.gains
        return linear


def _rises(model: ToneModel, log_s: NDArray[np.float64]) -> bool:
    """Whether the curve rises from one ln unit below the darkest neutral up to code 1."""
    grid = np.linspace(float(log_s.min()) - 1.0, 0.0, 256)
    return bool(np.all(np.diff(model.log_curve(grid)) > 0))


def _polynomial(log_s: NDArray[np.float64], target: NDArray[np.float64], degree: int) -> ToneModel:
    """Least squares for p's coefficients and (ln g_R, ln g_G, ln g_B) against ``target`` at each neutral; a
    lower degree when the curve would fold back (an over-fit), linear at the least."""
    n = len(log_s)
    y = np.tile(target, 3)
    for kept in range(degree, 0, -1):
        rows = []
        for channel in range(3):
            gains = np.zeros((n, 3))
            gains[:, channel] = -1.0
            powers = log_s[:, [channel]] ** np.arange(1, kept + 1)
            rows.append(np.hstack([powers, gains]))
        solution, *_ = np.linalg.lstsq(np.vstack(rows), y, rcond=None)
        model = ToneModel(tuple(float(c) for c in solution[:kept]), np.exp(np.asarray(solution[kept:], np.float64)))
        if kept == 1 or _rises(model, log_s):
            return model
    raise AssertionError("unreachable")  # pragma: no cover


def _with_residual(model: ToneModel, log_s: NDArray[np.float64], target: NDArray[np.float64]) -> ToneModel:
    """``model`` with the monotone cubic through its residuals at the neutrals and gains fitted again; the model
    unchanged where fewer than three distinct neutrals are left or the curve would stop rising."""
    residual = target[:, None] - (model.log_curve(log_s) - np.log(model.gains))
    order = np.argsort(log_s.mean(axis=1))
    x, r = log_s.mean(axis=1)[order], residual.mean(axis=1)[order]
    keep = np.concatenate([[True], np.diff(x) > KNOT_MERGE_LOG])
    groups = np.cumsum(keep) - 1
    x = np.bincount(groups, x) / np.bincount(groups)
    r = np.bincount(groups, r) / np.bincount(groups)
    if len(x) < 3:
        return model
    residual_curve = PchipInterpolator(x, r)
    residual_slope = residual_curve.derivative()
    polynomial_slope = np.polynomial.polynomial.polyder((0.0, *model.coefficients))

    def end(knot: float) -> tuple[float, float]:
        value = model.polynomial_part(np.array([knot]))[0] + residual_curve(knot)
        return float(value), float(np.polynomial.polynomial.polyval(knot, polynomial_slope) + residual_slope(knot))

    knots = (float(x[0]), float(x[-1]))
    shaped = ToneModel(model.coefficients, model.gains, residual_curve, knots, (end(knots[0]), end(knots[1])))
    if not _rises(shaped, log_s):
        return model
    log_gains = (shaped.log_curve(log_s) - target[:, None]).mean(axis=0)
    return replace(shaped, gains=np.exp(log_gains))


def fit_tone_model(
    RGB_decoded: NDArray[np.float64],
    Y: NDArray[np.float64],
    usable: NDArray[np.bool_],
    *,
    log_light: NDArray[np.float64] | None = None,
    shaped: bool = True,
) -> ToneModel:
    """The tone model from the patches' sRGB-decoded values (n, 3), reference Y and the usable neutrals' flags
    (see module doc). ``log_light``: the light at each patch (ln, relative to the card's), when it is known;
    the curve then carries the tone and not a gradient over the card. ``shaped=False``: the smooth cubic."""
    log_s = np.log(np.clip(RGB_decoded[usable], 1e-6, None))  # (n, 3)
    target = np.log(Y[usable]) + (0.0 if log_light is None else log_light[usable])
    if not shaped:
        return _polynomial(log_s, target, SMOOTH_DEGREE)
    return _with_residual(_polynomial(log_s, target, SHAPED_DEGREE), log_s, target)
