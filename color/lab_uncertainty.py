"""The error of a measured skin colour: its 95 % radius in CIEDE2000, and its covariance in CIELAB, from which
every coordinate (L*, a*, b*, ITA°) and every index fitted to the colour gets its own 95 % half-width.

Two independent parts (the law of propagation of uncertainty, JCGM 100:2008 (GUM) §5.1):

- the *spread*: the calibration's error on skin, the skin model's, metamerism and the two cheeks' difference,
  each a root-mean-square CIEDE2000 value, S² = Σ rms². It is mostly an error of chromaticity: the card's greys
  pin the tone curve, and what the colour correction misses on skin is hue and chroma. ``SPREAD_LIGHTNESS_SHARE``
  of S² goes to lightness, the rest evenly to the two chromatic axes, each through the local metric G of
  CIEDE2000 (ΔE00² ≈ δLabᵀ·G·δLab; Sharma et al. 2005), whose lightness term is apart from a* and b*'s;
- the *light*: the light on the skin off the card's by a log-normal factor of σ_light (no colour in the photo
  tells it), which moves the colour along one line, the tristimulus values scaled: mostly L*, a little a* and b*.
  Its step d = Lab(XYZ·e^σ) − Lab is taken on the brighter side, where L* changes more; Cov = d·dᵀ.

The radius (the convention kept since measurements state it) combines them as a Maxwell 95th percentile (1.65
times the rms; see ``COVERAGE_FACTOR_95``) for the spread and a normal one
(1.96 σ) along the light's line, in quadrature (tests/color/test_uncertainty.py checks it by Monte Carlo). Stating
only that radius and reading it back as an isotropic error (what a measurement kept before the covariance can
only be read as: ``covariance_from_radius``) gives L* too little when the light's part dominates and a* and b*
far too much; the covariance keeps each where it belongs (bench/bench_conditions.py prints the coverage of each).

References:
    JCGM 100:2008. Evaluation of measurement data: Guide to the expression of uncertainty in measurement.
    Sharma, G., Wu, W., Dalal, E. N. (2005). The CIEDE2000 color-difference formula. Color Res. Appl. 30(1),
    21-30. doi:10.1002/col.20070
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import colour
import numpy as np
from numpy.typing import ArrayLike, NDArray

from color.colorimetry import D65_xy, XYZ_to_Lab_D65, delta_E00
from color.skin_tone import ITA_from_Lab

# For an error spread evenly over the three axes, |ΔE| follows a Maxwell distribution whose 95th percentile is
# 1.61 times its root mean square (1.73 for two axes; 1.68 for the spread's 10/45/45 split below); 1.65 is the
# factor measurements have stated their radius with. An error along one line is normal, 1.96 σ at 95 %.
COVERAGE_FACTOR_95: Final = 1.65
# σ per CIELAB axis of an isotropic error whose 95 % radius is U95: U95 / (1.65·√3).
COVERAGE_FACTOR_95_RADIUS: Final = COVERAGE_FACTOR_95 * np.sqrt(3.0)
COVERAGE_FACTOR_95_SCALAR: Final = 1.96  # a normal scalar's 95 % half-width
LAB_STEP: Final = 0.05  # central-difference step in CIELAB for the ΔE00 metric
# The share of the spread's mean square along lightness, measured once as the lightness term of CIEDE2000 against
# the rest, from the CSV of bench/bench_conditions.py's photos without a light on the face unlike the card's (seed
# 2035, 10 groups, 698 answered photos): 0.10 pooled, 0.04-0.21 by group; an isotropic error would give 1/3.
SPREAD_LIGHTNESS_SHARE: Final = 0.10
ITA_STEP: Final = 0.01  # CIELAB step of the central difference for ITA°'s gradient (smooth off L* = 50, b* = 0)


def delta_E00_metric(Lab: ArrayLike, step: float = LAB_STEP) -> NDArray[np.float64]:
    """The local metric G (..., 3, 3) of CIEDE2000 at ``Lab``: ΔE00² ≈ δLabᵀ·G·δLab for small δLab, from central
    differences of CIEDE2000 (``color.colorimetry.delta_E00``, Sharma et al. 2005) along the axes and their sums."""
    Lab = np.asarray(Lab, dtype=np.float64)
    eye = np.eye(3)
    pairs = [(0, 1), (0, 2), (1, 2)]
    directions = np.concatenate([eye, [eye[i] + eye[j] for i, j in pairs]])  # the axes, then their sums
    offsets = np.concatenate([directions, -directions]) * step  # (12, 3)
    shifted = Lab[None] + offsets.reshape(12, *(1,) * (Lab.ndim - 1), 3)
    difference = delta_E00(np.broadcast_to(Lab, shifted.shape), shifted) ** 2  # one CIEDE2000 call for all 12
    squared = (difference[:6] + difference[6:]) / (2.0 * step**2)
    metric = np.empty((*Lab.shape[:-1], 3, 3))
    for i in range(3):
        metric[..., i, i] = squared[i]
    for k, (i, j) in enumerate(pairs):
        metric[..., i, j] = metric[..., j, i] = (squared[3 + k] - squared[i] - squared[j]) / 2.0
    return metric


def light_step(Lab: ArrayLike, relative_sigma: float) -> NDArray[np.float64]:
    """How far (CIELAB, (..., 3)) the light on the skin brighter by exp(``relative_sigma``) moves ``Lab``."""
    Lab = np.asarray(Lab, dtype=np.float64)
    XYZ = colour.Lab_to_XYZ(Lab, D65_xy)
    step: NDArray[np.float64] = XYZ_to_Lab_D65(XYZ * np.exp(relative_sigma)) - Lab
    return step


def lightness_error_dE00(Lab: NDArray[np.float64], relative_sigma: float) -> float:
    """CIEDE2000 that an error of standard deviation ``relative_sigma`` (log units) in the light on the skin makes
    at CIELAB ``Lab``: the same colour with its tristimulus values scaled by exp(σ), the brighter side, where
    CIE L* changes more per log unit of luminance than on the darker one."""
    return float(delta_E00(Lab, Lab + light_step(Lab, relative_sigma)))


def uncertainty_95(components_rms_dE00: list[float], lightness_sigma_dE00: float) -> float:
    """The 95 % radius (ΔE00) of an error made of independent parts spread over the three CIELAB axes (their
    root-mean-square sizes) and a normal error along lightness (its standard deviation)."""
    spread = COVERAGE_FACTOR_95 * float(np.sqrt(np.sum(np.square(components_rms_dE00))))
    return float(np.hypot(spread, COVERAGE_FACTOR_95_SCALAR * lightness_sigma_dE00))


@dataclass(frozen=True)
class ColourUncertainty:
    """A measured colour's error: ``spread_rms_dE00`` (the root sum of squares of the evenly spread parts'
    root-mean-square CIEDE2000) and ``light_sigma`` (the standard deviation, in log units, of the light on the
    skin against the card's). Evaluated at a colour: the same photo's regions share it."""

    spread_rms_dE00: float
    light_sigma: float

    def radius_95(self, Lab: NDArray[np.float64]) -> float:
        """The 95 % radius in CIEDE2000 at ``Lab`` (3,)."""
        return uncertainty_95([self.spread_rms_dE00], lightness_error_dE00(Lab, self.light_sigma))

    def covariance(self, Lab: ArrayLike) -> NDArray[np.float64]:
        """The error's covariance (..., 3, 3) in CIELAB units² at ``Lab`` (..., 3)."""
        Lab = np.asarray(Lab, dtype=np.float64)
        isotropic = np.linalg.inv(delta_E00_metric(Lab))  # a unit of ΔE00² per axis
        spread = np.zeros_like(isotropic)
        spread[..., 0, 0] = SPREAD_LIGHTNESS_SHARE * isotropic[..., 0, 0]
        spread[..., 1:, 1:] = (1.0 - SPREAD_LIGHTNESS_SHARE) / 2.0 * isotropic[..., 1:, 1:]
        light = light_step(Lab, self.light_sigma)
        covariance: NDArray[np.float64] = self.spread_rms_dE00**2 * spread + light[..., :, None] * light[..., None, :]
        return covariance


def covariance_from_radius(Lab: ArrayLike, radius_95: ArrayLike) -> NDArray[np.float64]:
    """The covariance (..., 3, 3) an isotropic error of 95 % radius ``radius_95`` (ΔE00) has at ``Lab``: σ²·G⁻¹,
    σ = U95 / (1.65·√3): how a colour that states only its radius is read."""
    Lab = np.asarray(Lab, dtype=np.float64)
    sigma = np.asarray(radius_95, dtype=np.float64) / COVERAGE_FACTOR_95_RADIUS
    covariance: NDArray[np.float64] = (sigma**2)[..., None, None] * np.linalg.inv(delta_E00_metric(Lab))
    return covariance


@dataclass(frozen=True)
class LabHalfWidths:
    """95 % half-widths of each coordinate of a colour, each taken on its own."""

    L: float
    a: float
    b: float
    ita_deg: float


def half_widths_95(Lab: ArrayLike, covariance: NDArray[np.float64]) -> LabHalfWidths:
    """95 % half-widths of L*, a*, b* and ITA° of a colour (3,) with this error covariance (3, 3): 1.96 σ along
    each axis, and along ITA°'s gradient (central differences)."""
    Lab = np.asarray(Lab, dtype=np.float64)
    steps = np.eye(3) * ITA_STEP
    gradient = (ITA_from_Lab(Lab + steps) - ITA_from_Lab(Lab - steps)) / (2 * ITA_STEP)
    L, a, b = COVERAGE_FACTOR_95_SCALAR * np.sqrt(np.diagonal(covariance))
    ita = COVERAGE_FACTOR_95_SCALAR * float(np.sqrt(gradient @ covariance @ gradient))
    return LabHalfWidths(float(L), float(a), float(b), ita)
