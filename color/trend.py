"""A skin metric over time: its robust trend and whether a change is more than measurement noise.

Trend: the Theil-Sen slope (Sen 1968, J. Am. Stat. Assoc. 63, 1379-1389; the median of the slopes between every
pair of measurements), with its 95 % confidence interval from Kendall's τ (scipy.stats.theilslopes). One bad
photo among several moves the median of the pairwise slopes little, where a least-squares line would follow it.
Three measurements at least, on at least two days; fewer say so instead of inventing a line.

Change: between two measurements, the difference counts only when it exceeds their combined 95 % uncertainty,
the two half-widths added in quadrature (independent errors).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

DAYS_PER_MONTH = 365.25 / 12
MIN_POINTS_FOR_TREND = 3


@dataclass(frozen=True)
class Trend:
    """Slope per month and its 95 % interval; ``changing`` when the interval excludes zero."""

    slope_per_month: float
    low_per_month: float
    high_per_month: float
    points: int

    @property
    def changing(self) -> bool:
        return self.low_per_month > 0 or self.high_per_month < 0


@dataclass(frozen=True)
class Change:
    difference: float
    combined_95: float | None  # None when a half-width is unknown

    @property
    def beyond_noise(self) -> bool | None:
        """True or False against the combined uncertainty; None when it cannot be told."""
        return None if self.combined_95 is None else abs(self.difference) > self.combined_95


def trend(days: ArrayLike, values: ArrayLike) -> Trend | None:
    """The robust trend of ``values`` measured on ``days`` (any origin), or None with too few points to tell."""
    x, y = np.asarray(days, dtype=np.float64), np.asarray(values, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < MIN_POINTS_FOR_TREND or np.ptp(x) < 1.0:
        return None
    slope, _, low, high = stats.theilslopes(y, x, alpha=0.95)
    return Trend(
        slope_per_month=float(slope) * DAYS_PER_MONTH,
        low_per_month=float(low) * DAYS_PER_MONTH,
        high_per_month=float(high) * DAYS_PER_MONTH,
        points=int(x.size),
    )


def change(before: float, before_95: float | None, after: float, after_95: float | None) -> Change:
    """``after − before`` and the combined 95 % half-width of the two measurements."""
    combined = None if before_95 is None or after_95 is None else float(np.hypot(before_95, after_95))
    return Change(difference=float(after - before), combined_95=combined)
