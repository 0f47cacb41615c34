"""Forward model: a recipe's spectrum and its colour, as a film over the customer's skin or as a masstone.

A recipe is the mass fraction of each base in the foundation (the clear vehicle makes up the rest and
neither absorbs nor scatters). Its film of the coverage's thickness over the skin gives an internal
reflectance by Kubelka's layer formula; Saunderson's correction gives what an instrument or eye sees
(specular excluded). Colours are CIELAB of the illuminant's own white, CIE 1931 2° observer.
"""

from __future__ import annotations

from functools import cache

import colour
import numpy as np
from numpy.typing import ArrayLike, NDArray

from catalog.bases import BaseLibrary
from color.colorimetry import OBSERVER_2
from color.kubelka_munk import (
    mixture_KS,
    reflectance_infinite,
    reflectance_layer,
    saunderson_to_internal,
    saunderson_to_measured,
)
from color.spectral import reflectance_to_XYZ

# The lights a foundation is judged under besides daylight: incandescent (A) and shop lighting, a
# tri-band fluorescent (FL11) and a white LED (LED-B3).
CHECK_ILLUMINANTS = ("A", "FL11", "LED-B3")


@cache
def illuminant_white_xy(name: str) -> NDArray[np.float64]:
    white: NDArray[np.float64] = np.asarray(colour.CCS_ILLUMINANTS[OBSERVER_2][name], dtype=np.float64)
    return white


def film_reflectance(
    library: BaseLibrary, fractions: ArrayLike, coverage: str, skin_reflectance: ArrayLike | None
) -> NDArray[np.float64]:
    """Measured reflectance of the foundation: a film over ``skin_reflectance``, or opaque (masstone) if None.

    ``fractions`` is (..., n_bases); the result is (..., n_λ).
    """
    K, S = mixture_KS(fractions, library.K, library.S)
    S = np.maximum(S, 1e-9)
    if skin_reflectance is None:
        internal = reflectance_infinite(K, S)
    else:
        background = saunderson_to_internal(np.clip(np.asarray(skin_reflectance), 1e-4, 0.99), library.k1, library.k2)
        internal = reflectance_layer(np.maximum(K, 1e-12), S, library.film_thickness[coverage], background)
    return saunderson_to_measured(internal, library.k1, library.k2)


@cache
def tristimulus_weights(wavelengths: tuple[float, ...], illuminant: str) -> NDArray[np.float64]:
    """(n_λ, 3) weights with XYZ = reflectance @ weights: colour-science's ASTM E308 integration of each
    unit spectrum, computed once (the integration is linear in reflectance)."""
    grid = np.asarray(wavelengths, dtype=np.float64)
    weights: NDArray[np.float64] = reflectance_to_XYZ(grid, np.eye(grid.size), colour.SDS_ILLUMINANTS[illuminant])
    weights.flags.writeable = False
    return weights


def Lab_under(
    wavelengths_nm: NDArray[np.float64], reflectance: ArrayLike, illuminant: str = "D65"
) -> NDArray[np.float64]:
    """CIELAB of reflectances (..., n_λ) under a CIE illuminant, relative to its white, CIE 1931 2°."""
    XYZ = np.asarray(reflectance, dtype=np.float64) @ tristimulus_weights(tuple(wavelengths_nm.tolist()), illuminant)
    return np.asarray(colour.XYZ_to_Lab(XYZ, illuminant_white_xy(illuminant)), dtype=np.float64)
