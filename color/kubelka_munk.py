"""Two-constant Kubelka-Munk theory for pigment mixtures, with Saunderson's surface correction.

Absorption ``K`` and scattering ``S`` of a mixture are the concentration-weighted sums of its
pigments' unit ``K`` and ``S`` (Duncan 1940). Spectra run over the last axis.

References:
    Kubelka, P., Munk, F. (1931). Ein Beitrag zur Optik der Farbanstriche. Z. Tech. Phys. 12, 593-601.
    Kubelka, P. (1948). New contributions to the optics of intensely light-scattering materials, part I.
    J. Opt. Soc. Am. 38(5), 448-457. doi:10.1364/JOSA.38.000448 (finite layer over a background).
    Duncan, D. R. (1940). The colour of pigment mixtures. Proc. Phys. Soc. 52, 390-401.
    Saunderson, J. L. (1942). Calculation of the color of pigmented plastics. J. Opt. Soc. Am. 32(12),
    727-736. doi:10.1364/JOSA.32.000727
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Saunderson constants for a binder of refractive index about 1.5: k1 is the external specular
# reflectance at normal incidence ((n-1)/(n+1))^2 = 0.04; k2 the internal diffuse reflectance, about 0.6.
SAUNDERSON_K1 = 0.04
SAUNDERSON_K2 = 0.6


def mixture_KS(
    concentrations: ArrayLike, K_unit: ArrayLike, S_unit: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``K`` and ``S`` of mixtures: ``concentrations`` (..., n_pigments) against unit spectra (n_pigments, n_λ)."""
    c = np.asarray(concentrations, dtype=np.float64)
    K: NDArray[np.float64] = c @ np.asarray(K_unit, dtype=np.float64)
    S: NDArray[np.float64] = c @ np.asarray(S_unit, dtype=np.float64)
    return K, S


def reflectance_infinite(K: ArrayLike, S: ArrayLike) -> NDArray[np.float64]:
    """Internal reflectance of an opaque layer: R∞ = 1 + K/S − √((K/S)² + 2K/S) (Kubelka & Munk 1931)."""
    ratio = np.asarray(K, dtype=np.float64) / np.asarray(S, dtype=np.float64)
    R: NDArray[np.float64] = 1.0 + ratio - np.sqrt(ratio * ratio + 2.0 * ratio)
    return R


def reflectance_layer(K: ArrayLike, S: ArrayLike, thickness: ArrayLike, R_background: ArrayLike) -> NDArray[np.float64]:
    """Internal reflectance of a layer of ``thickness`` over a background of reflectance ``R_background``.

    Kubelka (1948), hyperbolic form: with a = 1 + K/S and b = √(a² − 1),
    R = (1 − R_g (a − b coth(bSX))) / (a − R_g + b coth(bSX)).
    """
    K = np.asarray(K, dtype=np.float64)
    S = np.asarray(S, dtype=np.float64)
    X = np.asarray(thickness, dtype=np.float64)
    R_g = np.asarray(R_background, dtype=np.float64)
    a = 1.0 + K / S
    b = np.sqrt(a * a - 1.0)
    coth = 1.0 / np.tanh(b * S * X)
    R: NDArray[np.float64] = (1.0 - R_g * (a - b * coth)) / (a - R_g + b * coth)
    return R


def saunderson_to_measured(
    R_internal: ArrayLike, k1: float = SAUNDERSON_K1, k2: float = SAUNDERSON_K2, specular_included: bool = False
) -> NDArray[np.float64]:
    """Reflectance an instrument measures from the internal one (Saunderson 1942).

    Specular excluded (45:0 or d:8 SCE, what a camera away from the gloss sees):
    R_m = (1 − k1)(1 − k2) R_i / (1 − k2 R_i); specular included adds k1.
    """
    R_i = np.asarray(R_internal, dtype=np.float64)
    R_m: NDArray[np.float64] = (1.0 - k1) * (1.0 - k2) * R_i / (1.0 - k2 * R_i)
    return R_m + k1 if specular_included else R_m


def saunderson_to_internal(
    R_measured: ArrayLike, k1: float = SAUNDERSON_K1, k2: float = SAUNDERSON_K2, specular_included: bool = False
) -> NDArray[np.float64]:
    """Inverse of ``saunderson_to_measured``."""
    R_m = np.asarray(R_measured, dtype=np.float64)
    if specular_included:
        R_m = R_m - k1
    R_i: NDArray[np.float64] = R_m / ((1.0 - k1) * (1.0 - k2) + k2 * R_m)
    return R_i


def KS_from_reflectance(R_internal: ArrayLike) -> NDArray[np.float64]:
    """K/S of an opaque layer from its internal reflectance: (1 − R)² / 2R (Kubelka & Munk 1931)."""
    R = np.asarray(R_internal, dtype=np.float64)
    ratio: NDArray[np.float64] = (1.0 - R) ** 2 / (2.0 * R)
    return ratio
