"""The phone's tone curve, recovered from the card's neutral patches: camera codes back to linear light.

Phones apply one tone curve to all channels after white balance and their colour matrix. We take the sRGB
decoding (IEC 61966-2-1) as a first guess and correct it with a curve shared by the three channels,
log v = a·log s + b·(log s)² − log g_c, fitted on the neutral patches against their reference Y; the
per-channel gains g_c absorb the residual white balance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class ToneModel:
    """Linear light from sRGB-decoded values: exp(a·ln s + b·(ln s)²) / g_c."""

    a: float
    b: float
    gains: NDArray[np.float64]  # (3,)

    def apply(self, RGB_decoded: NDArray[np.float64]) -> NDArray[np.float64]:
        log_s = np.log(np.clip(RGB_decoded, 1e-6, None))
        linear: NDArray[np.float64] = np.exp(self.a * log_s + self.b * log_s * log_s) / self.gains
        return linear


def fit_tone_model(RGB_decoded: NDArray[np.float64], Y: NDArray[np.float64], usable: NDArray[np.bool_]) -> ToneModel:
    """Least squares for (a, b, ln g_R, ln g_G, ln g_B) over the usable neutral patches (see module doc)."""
    RGB = RGB_decoded[usable]
    log_s = np.log(np.clip(RGB, 1e-6, None))  # (n, 3)
    log_Y = np.log(Y[usable])
    n = len(RGB)
    rows, targets = [], []
    for channel in range(3):
        design = np.zeros((n, 5))
        design[:, 0] = log_s[:, channel]
        design[:, 1] = log_s[:, channel] ** 2
        design[:, 2 + channel] = -1.0
        rows.append(design)
        targets.append(log_Y)
    A, y = np.vstack(rows), np.concatenate(targets)
    solution, *_ = np.linalg.lstsq(A, y, rcond=None)
    a, b = float(solution[0]), float(solution[1])
    # The curve must rise over the range it is used on; a bend that folds back is an over-fit: go linear.
    log_range = np.array([log_s.min() - 1.0, 0.0])
    if a <= 0 or np.any(a + 2 * b * log_range <= 0):
        A_linear = np.delete(A, 1, axis=1)
        solution_linear, *_ = np.linalg.lstsq(A_linear, y, rcond=None)
        a, b = float(solution_linear[0]), 0.0
        log_gains = np.asarray(solution_linear[1:], dtype=np.float64)
    else:
        log_gains = np.asarray(solution[2:], dtype=np.float64)
    return ToneModel(a=a, b=b, gains=np.exp(np.asarray(log_gains, dtype=np.float64)))
