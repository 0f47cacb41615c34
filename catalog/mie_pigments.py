"""Kubelka-Munk K(λ) and S(λ) of a pigment from its complex refractive index and particle sizes (Mie theory).

For spheres of complex index n + ik in a clear medium of index n_medium, Mie theory (miepython, Prahl) gives
the extinction and scattering efficiencies Q_ext, Q_sca and the asymmetry parameter g of each diameter d at
each vacuum wavelength λ, with relative index m = (n + ik)/n_medium and size parameter x = π d n_medium / λ.
Over a log-normal number distribution of diameters (median d_g, geometric standard deviation σ_g), a pigment
volume fraction φ has the absorption and scattering coefficients

    μa = φ · ⟨(Q_ext − Q_sca) π d²/4⟩ / ⟨π d³/6⟩,    μs = φ · ⟨Q_sca π d²/4⟩ / ⟨π d³/6⟩,
    g = ⟨g Q_sca d²⟩ / ⟨Q_sca d²⟩,

(independent scattering: no crowding), and the diffuse-light (Kubelka-Munk) coefficients

    K = 2 μa,    S = (3/4) μs (1 − g)

(van Gemert & Star 1987; Star, Marijnissen & van Gemert 1988), the diffusion-limit relation between the
two-flux and the transport equation. Its limits: it holds where the reduced scattering μs(1 − g) is much
larger than μa; Thennadil (2008) shows S then also depends on μa and g, so for strongly absorbing films
(black and red iron oxide in the blue) S is uncertain by tens of per cent; van Gemert & Star's second
term, S = (3/4) μs (1 − g) − μa/4, is left out because it turns negative for magnetite. Dependent scattering
(crowding) lowers titanium dioxide's scattering per particle at pigment volume concentrations above about
10 % (dry film), which this model does not include.

A mass fraction w of pigment of density ρ in a foundation of density ρ_ref has φ = w ρ_ref / ρ (dilute
limit). Film thickness is given as the wet film at ρ_ref = 1 g/cm³, i.e. the applied mass per area (10 µm
is 1 mg/cm²): what matters for K·X and S·X is pigment volume per area, which drying does not change.

References:
    Bohren, C. F., Huffman, D. R. (1983). Absorption and Scattering of Light by Small Particles. Wiley.
    Prahl, S. miepython: Mie scattering of a plane wave by a sphere. https://github.com/scottprahl/miepython
    van Gemert, M. J. C., Star, W. M. (1987). Relations between the Kubelka-Munk and the transport equation
    models for anisotropic scattering. Lasers Life Sci. 1, 287-298.
    Star, W. M., Marijnissen, J. P. A., van Gemert, M. J. C. (1988). Light dosimetry in optical phantoms and
    in tissues: I. Multiple flux and transport theory. Phys. Med. Biol. 33, 437-454.
    Thennadil, S. N. (2008). Relationship between the Kubelka-Munk scattering and radiative transfer
    coefficients. J. Opt. Soc. Am. A 25, 1480-1485. doi:10.1364/JOSAA.25.001480
"""

from __future__ import annotations

from dataclasses import dataclass

import miepython  # type: ignore[import-untyped]
import numpy as np
from numpy.typing import ArrayLike, NDArray

REFERENCE_DENSITY_G_CM3 = 1.0  # film thickness is the applied mass per area over this density
N_SIZES = 24  # Gauss-Hermite nodes over ln d: enough for σ_g up to 1.8 weighted by d³ (checked in tests)


@dataclass(frozen=True)
class OpticalCoefficients:
    """Per unit volume fraction of pigment, per µm (vacuum wavelengths on the last axis)."""

    mu_a: NDArray[np.float64]
    mu_s: NDArray[np.float64]
    g: NDArray[np.float64]


def lognormal_nodes(median_um: float, gsd: float, n: int = N_SIZES) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Diameters (µm) and number weights (sum 1) for a log-normal number distribution, by Gauss-Hermite."""
    if not (median_um > 0 and gsd >= 1):
        raise ValueError("A log-normal size distribution needs a positive median and a geometric SD of at least 1.")
    t, w = np.polynomial.hermite.hermgauss(n)
    diameters = median_um * np.exp(np.sqrt(2.0) * np.log(gsd) * t)
    return diameters, w / w.sum()


def mie_efficiencies(m_relative: ArrayLike, x: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """Q_ext, Q_sca, g of spheres: ``m_relative`` = n + ik relative to the medium, ``x`` = π d / λ_medium.

    A thin wrapper on ``miepython.efficiencies_mx``, which wants the imaginary part negative (n − ik) and
    returns (Q_ext, Q_sca, Q_back, g); both arrays are broadcast to one shape first.
    """
    m, size = np.broadcast_arrays(np.asarray(m_relative, dtype=np.complex128), np.asarray(x, dtype=np.float64))
    shape = m.shape
    qext, qsca, _, g = miepython.efficiencies_mx(np.conj(m.ravel()), size.ravel().copy())
    return tuple(np.asarray(v, dtype=np.float64).reshape(shape) for v in (qext, qsca, g))


def optical_coefficients(
    index: ArrayLike, wavelengths_nm: ArrayLike, n_medium: float, median_um: float, gsd: float
) -> OpticalCoefficients:
    """μa, μs (per µm per unit volume fraction) and g of a log-normal dispersion of spheres of index n + ik."""
    wavelengths_um = np.asarray(wavelengths_nm, dtype=np.float64) / 1000.0
    diameters, weights = lognormal_nodes(median_um, gsd)
    m = np.asarray(index, dtype=np.complex128)[None, :] / n_medium
    x = np.pi * diameters[:, None] * n_medium / wavelengths_um[None, :]
    qext, qsca, g = mie_efficiencies(m, x)
    area = weights[:, None] * np.pi * diameters[:, None] ** 2 / 4.0
    volume = float(np.sum(weights * np.pi * diameters**3 / 6.0))
    scattering = np.sum(qsca * area, axis=0)
    return OpticalCoefficients(
        mu_a=np.maximum(np.sum((qext - qsca) * area, axis=0), 0.0) / volume,
        mu_s=scattering / volume,
        g=np.sum(g * qsca * area, axis=0) / np.maximum(scattering, 1e-300),
    )


def kubelka_munk_from_transport(coefficients: OpticalCoefficients) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """K = 2 μa and S = (3/4) μs (1 − g) (van Gemert & Star 1987, diffusion limit)."""
    return 2.0 * coefficients.mu_a, 0.75 * coefficients.mu_s * (1.0 - coefficients.g)


def pigment_KS(
    index: ArrayLike,
    wavelengths_nm: ArrayLike,
    *,
    n_medium: float,
    median_um: float,
    gsd: float,
    density_g_cm3: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """K and S (per µm of film at 1 g/cm³, per unit mass fraction of pigment in the foundation)."""
    if not 1.0 <= n_medium <= 2.0:
        raise ValueError(f"The medium's refractive index {n_medium:g} is not that of a cosmetic vehicle.")
    if density_g_cm3 <= 0:
        raise ValueError("A pigment's density must be positive.")
    K, S = kubelka_munk_from_transport(optical_coefficients(index, wavelengths_nm, n_medium, median_um, gsd))
    volume_per_mass = REFERENCE_DENSITY_G_CM3 / density_g_cm3
    return K * volume_per_mass, S * volume_per_mass
