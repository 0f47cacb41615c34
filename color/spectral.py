"""Spectral integration, delegated to colour-science: reflectances under a light, seen by an observer or camera.

Spectra are float64 arrays whose last axis runs over ``wavelengths_nm`` (equal steps). Tristimulus values
are scaled so that the perfect reflecting diffuser has Y = 1 (CIE 15:2018 §7.1).
"""

from __future__ import annotations

import colour
import numpy as np
from colour.utilities import suppress_warnings
from numpy.typing import ArrayLike, NDArray

from color.colorimetry import OBSERVER_2


def spectral_shape(wavelengths_nm: ArrayLike) -> colour.SpectralShape:
    """The ``SpectralShape`` of an evenly sampled wavelength grid."""
    wavelengths = np.asarray(wavelengths_nm, dtype=np.float64)
    return colour.SpectralShape(float(wavelengths[0]), float(wavelengths[-1]), float(wavelengths[1] - wavelengths[0]))


def _msds(wavelengths_nm: ArrayLike, values: ArrayLike) -> colour.MultiSpectralDistributions:
    wavelengths = np.asarray(wavelengths_nm, dtype=np.float64)
    flat = np.asarray(values, dtype=np.float64).reshape(-1, wavelengths.size)
    return colour.MultiSpectralDistributions(flat.T, wavelengths)


def reflectance_to_XYZ(
    wavelengths_nm: ArrayLike,
    reflectance: ArrayLike,
    illuminant: colour.SpectralDistribution | None = None,
    observer: str = OBSERVER_2,
) -> NDArray[np.float64]:
    """CIE XYZ (Y of white = 1) of reflectance spectra under ``illuminant`` (default D65), ASTM E308 weights.

    ``reflectance`` has shape (..., n_wavelengths); the result has shape (..., 3).
    """
    reflectance = np.asarray(reflectance, dtype=np.float64)
    illuminant = illuminant if illuminant is not None else colour.SDS_ILLUMINANTS["D65"]
    with suppress_warnings(colour_runtime_warnings=True):  # expected trimming/alignment of the CIE tables
        XYZ = colour.msds_to_XYZ(
            _msds(wavelengths_nm, reflectance),
            cmfs=colour.MSDS_CMFS[observer],
            illuminant=illuminant,
            method="ASTM E308",
        )
    return np.asarray(XYZ, dtype=np.float64).reshape((*reflectance.shape[:-1], 3)) / 100.0


def illuminant_XYZ(illuminant: colour.SpectralDistribution, observer: str = OBSERVER_2) -> NDArray[np.float64]:
    """White point XYZ (Y = 1) of an illuminant: the perfect diffuser under it."""
    wavelengths = illuminant.wavelengths
    return reflectance_to_XYZ(wavelengths, np.ones_like(wavelengths), illuminant, observer)


def camera_response(
    wavelengths_nm: ArrayLike,
    reflectance: ArrayLike,
    illuminant: colour.SpectralDistribution,
    sensitivities: colour.MultiSpectralDistributions,
) -> NDArray[np.float64]:
    """Linear raw camera RGB of reflectances under a light: ∫ R(λ) E(λ) S_c(λ) dλ for each channel.

    Normalised so that the perfect diffuser gives G = 1 (an exposure choice; white balance comes later).
    """
    reflectance = np.asarray(reflectance, dtype=np.float64)
    wavelengths = np.asarray(wavelengths_nm, dtype=np.float64)
    with suppress_warnings(colour_runtime_warnings=True):
        RGB = colour.msds_to_XYZ(
            _msds(wavelengths, np.vstack([reflectance.reshape(-1, wavelengths.size), np.ones(wavelengths.size)])),
            cmfs=sensitivities,
            illuminant=illuminant,
            method="Integration",
            shape=spectral_shape(wavelengths),
        )
    RGB = np.asarray(RGB, dtype=np.float64)
    white = RGB[-1]
    normalised: NDArray[np.float64] = (RGB[:-1] / white[1]).reshape((*reflectance.shape[:-1], 3))
    return normalised
