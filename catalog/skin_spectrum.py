"""A plausible reflectance spectrum for a skin known only by its CIELAB (D65, 2°).

The foundation is a film over the customer's skin, and its colour under other lights depends on the skin's
spectrum, which a photo does not give. Skin spectra lie close to a low-dimensional linear space (Tsumura
et al. 1999: melanin, haemoglobin and a baseline). We use the mean and first three principal components of
the skin prior (``color.skin_prior``) and solve for the three weights that reproduce the measured XYZ
exactly, a linear-model reconstruction in the manner of Maloney (1986).

References:
    Maloney, L. T. (1986). Evaluation of linear models of surface spectral reflectance with small numbers
    of parameters. J. Opt. Soc. Am. A 3(10), 1673-1683. doi:10.1364/JOSAA.3.001673
    Tsumura, N., Haneishi, H., Miyake, Y. (1999). Independent-component analysis of skin color image.
    J. Opt. Soc. Am. A 16(9), 2169-2176. doi:10.1364/JOSAA.16.002169
"""

from __future__ import annotations

from functools import cache

import colour
import numpy as np
from numpy.typing import ArrayLike, NDArray

from color.colorimetry import WAVELENGTHS_NM, D65_xy
from color.packaged_data import load_virtual_skin
from color.skin_prior import BLOOD_VARIANT
from color.spectral import reflectance_to_XYZ

N_COMPONENTS = 3
MIN_REFLECTANCE = 0.002


@cache
def _skin_basis() -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Mean spectrum, components (3, n_λ), and the XYZ each contributes (linear in reflectance).

    The prior's redder variants (added blood, for the calibration's virtual patches) are left out: three
    components cannot hold that fourth direction as well, and recipes on real skin spectra then drift under
    incandescent light (measured: median metamerism under A 1.24 ΔE00 with them, at most 1.0 without).
    """
    prior = load_virtual_skin()
    spectra = prior.reflectance[[i for i, name in enumerate(prior.names) if BLOOD_VARIANT not in name]]
    mean = spectra.mean(axis=0)
    _, _, components = np.linalg.svd(spectra - mean, full_matrices=False)
    basis = components[:N_COMPONENTS]
    # XYZ is linear in reflectance: the XYZ of a component is its contribution per unit weight.
    XYZ_basis = reflectance_to_XYZ(WAVELENGTHS_NM, basis)  # (3, 3): row per component
    return mean, basis, XYZ_basis


def skin_reflectance_from_Lab(Lab: ArrayLike) -> NDArray[np.float64]:
    """A skin reflectance (on ``WAVELENGTHS_NM``) whose CIELAB under D65 is ``Lab``."""
    XYZ = np.asarray(colour.Lab_to_XYZ(np.asarray(Lab, dtype=np.float64), D65_xy), dtype=np.float64)
    mean, basis, XYZ_basis = _skin_basis()
    weights = np.linalg.solve(XYZ_basis.T, XYZ - reflectance_to_XYZ(WAVELENGTHS_NM, mean))
    reflectance: NDArray[np.float64] = np.clip(mean + weights @ basis, MIN_REFLECTANCE, 1.0)
    return reflectance
