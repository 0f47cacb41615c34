"""Demo optical constants of cosmetic pigments: unit Kubelka-Munk absorption K(λ) and scattering S(λ).

These are plausible spectra built from the pigments' known absorption shapes, not measurements: a real
card printer or formulation lab replaces them with its own characterised ones. Units are per unit mass
fraction in a dry film of unit thickness; only ratios between pigments matter for an opaque layer.

- Titanium dioxide, rutile (CI 77891): scatters strongly everywhere; absorbs below its band edge near
  400 nm (band gap about 3.0-3.1 eV). Scattering falls with wavelength (Mie regime of 0.2-0.3 µm particles).
- Yellow iron oxide, goethite α-FeOOH (CI 77492): strong ligand-to-metal charge-transfer absorption below
  about 510 nm, a weak Fe³⁺ ligand-field band near 650 nm.
- Red iron oxide, hematite α-Fe₂O₃ (CI 77491): absorption edge near 575 nm, transmits red.
- Black iron oxide, magnetite Fe₃O₄ (CI 77499): absorbs across the visible, slightly more in the blue.

Reference for the absorption features: Cornell, R. M., Schwertmann, U. (2003). The Iron Oxides,
2nd ed., Wiley-VCH, ch. 7 (optical properties). doi:10.1002/3527602097
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from color.colorimetry import WAVELENGTHS_NM

PIGMENT_NAMES: Final[tuple[str, ...]] = ("titanium_dioxide", "yellow_iron_oxide", "red_iron_oxide", "black_iron_oxide")


def absorption_edge(wavelengths: NDArray[np.float64], centre: float, width: float) -> NDArray[np.float64]:
    """Smooth absorption edge: 1 well below ``centre`` nm, 0 well above (a logistic in wavelength)."""
    edge: NDArray[np.float64] = 1.0 / (1.0 + np.exp((wavelengths - centre) / width))
    return edge


def absorption_band(wavelengths: NDArray[np.float64], centre: float, width: float) -> NDArray[np.float64]:
    """Absorption band: 1 at ``centre`` nm, falling as a Gaussian of 1/e half-width ``width`` nm."""
    band: NDArray[np.float64] = np.exp(-(((wavelengths - centre) / width) ** 2))
    return band


def demo_pigment_KS(
    wavelengths_nm: NDArray[np.float64] = WAVELENGTHS_NM,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Unit K and S, each of shape (4, n_λ), in the order of ``PIGMENT_NAMES``."""
    w = np.asarray(wavelengths_nm, dtype=np.float64)
    K = np.stack(
        [
            0.02 + 30.0 * absorption_edge(w, 398.0, 5.0),
            0.8 + 28.0 * absorption_edge(w, 505.0, 20.0) + 1.5 * absorption_band(w, 655.0, 45.0),
            0.9 + 45.0 * absorption_edge(w, 572.0, 15.0) + 1.0 * absorption_band(w, 660.0, 60.0),
            28.0 * (560.0 / w) ** 0.35,
        ]
    )
    S = np.stack(
        [
            30.0 * (560.0 / w) ** 1.0,
            2.5 * (560.0 / w) ** 0.5,
            3.5 * (560.0 / w) ** 1.0,
            1.0 * np.ones_like(w),
        ]
    )
    return K, S


COLOURANT_NAMES: Final[tuple[str, ...]] = ("carmine", "ultramarine_blue")


def demo_colourant_KS(
    wavelengths_nm: NDArray[np.float64] = WAVELENGTHS_NM,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Unit K and S of two further cosmetic colourants, (2, n_λ) each, in the order of ``COLOURANT_NAMES``.

    - Carmine, the aluminium lake of carminic acid (CI 75470): two absorption bands near 525 and 565 nm,
      close to oxyhaemoglobin's 542 and 577 nm; a lake scatters little.
    - Ultramarine blue (CI 77007): one broad band centred near 600 nm; transmits blue and deep red.

    Reference for the bands: Kirby, J., Spring, M., Higgitt, C. (2007). The technology of eighteenth- and
    nineteenth-century red lake pigments. National Gallery Technical Bulletin 28, 69-95 (carmine); Plesters,
    J. (1993). Ultramarine blue, natural and artificial. Artists' Pigments vol. 2, 37-65.
    """
    w = np.asarray(wavelengths_nm, dtype=np.float64)
    K = np.stack(
        [
            0.1
            + 16.0 * absorption_band(w, 525.0, 22.0)
            + 14.0 * absorption_band(w, 565.0, 17.0)
            + 4.0 * absorption_edge(w, 420.0, 12.0),
            0.2 + 14.0 * absorption_band(w, 600.0, 45.0),
        ]
    )
    S = np.stack([0.4 * np.ones_like(w), 1.2 * (560.0 / w)])
    return K, S
