"""Melanin and erythema (redness) indices from a calibrated skin colour, with uncertainties.

Model: two chromophores over a reference skin, fitted to the colour. Skin reflectance is written as the
reference skin's (the mean of the skin prior's NIST forearm subjects, ``color.skin_prior``) seen through more
or less epidermal melanin and dermal blood (Beer-Lambert, light crossing each layer twice; Anderson and
Parrish 1981; Jacques 2013):

    log10 R(λ) = log10 R_ref(λ) − D·2(λ/500 nm)^−k − B·2·10⁻⁶·ε(λ)·(λ/560 nm)^p

with D the melanin optical density at 500 nm (one pass), B the blood concentration × path (µM·cm of
haemoglobin, oxygen saturation S), ε = S·ε_HbO2 + (1−S)·ε_Hb in cm⁻¹/M (Prahl 1999) and k, p, S the skin
prior's constants, so that the indices invert exactly what ``darken_with_melanin`` and ``redden_with_blood``
add. (D, B) are fitted by weighted least squares to the measured CIELAB: two unknowns, three numbers, the
misfit measured in CIEDE2000. D is the **melanin index** (OD units) and B the **erythema index** (µM·cm), both
relative to the reference skin (0, 0; negative is lighter or paler than it).

Why this model: a free third parameter (an achromatic scattering factor, so that any colour is fitted
exactly) was tried and ranks skins worse than ITA° alone (Spearman 0.77 against 0.95 on added melanin,
bench/bench_skin_indices.py): it turns the measurement error and the base skins' own scattering into melanin.
Why not the camera indices of Diffey, Oliver and Farr (1984), MI = 100·log10(1/R_red) and
EI = 100·log10(R_red/R_green), the tristimulus form of Dawson et al. (1980): their wavebands (about 568 and
655 nm) are not seen by a colour photo, only a reflectance estimated from three numbers, so they would be two
fixed functions of L*a*b* with no stated physical unit; the model gives units and uses all three numbers.

Uncertainty: the measurement states a 95 % radius in CIEDE2000 for an error spread evenly over the three
axes (``color.measure``): per axis σ = U95 / (1.65·√3) in ΔE00 units, Cov(Lab) = σ²·G⁻¹ with G the local
metric of CIEDE2000 (ΔE00² ≈ δLabᵀ·G·δLab). Propagated through the least squares (Gauss-Newton): Cov(D, B) =
σ²·(Jᵀ·G·J)⁻¹, J = ∂Lab/∂(D, B); stated as 95 % half-widths (1.96 σ). The bench checks their coverage by
Monte Carlo.

References:
    Anderson, R. R., Parrish, J. A. (1981). The optics of human skin. J. Invest. Dermatol. 77(1), 13-19.
    doi:10.1111/1523-1747.ep12479191
    Diffey, B. L., Oliver, R. J., Farr, P. M. (1984). A portable instrument for quantifying erythema induced by
    ultraviolet radiation. Br. J. Dermatol. 111(6), 663-672. doi:10.1111/j.1365-2133.1984.tb14149.x
    Dawson, J. B. et al. (1980). A theoretical and experimental study of light absorption and scattering by in
    vivo skin. Phys. Med. Biol. 25(4), 695-709. doi:10.1088/0031-9155/25/4/008
    Jacques, S. L. (2013). Optical properties of biological tissues: a review. Phys. Med. Biol. 58(11), R37.
    doi:10.1088/0031-9155/58/11/R37
    Prahl, S. (1999). Optical absorption of hemoglobin. Oregon Medical Laser Center, omlc.org/spectra/hemoglobin.
    Sharma, G., Wu, W., Dalal, E. N. (2005). The CIEDE2000 color-difference formula. Color Res. Appl. 30(1),
    21-30. doi:10.1002/col.20070
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from color.colorimetry import WAVELENGTHS_NM, XYZ_to_Lab_D65, delta_E00
from color.packaged_data import load_virtual_skin
from color.skin_prior import (
    BLOOD_OXYGEN_SATURATION,
    BLOOD_PATH_EXPONENT,
    BLOOD_PATH_REFERENCE_NM,
    MELANIN_EXPONENT,
)
from color.spectral import reflectance_to_XYZ

# Molar extinction (cm⁻¹/M) of oxy- and deoxy-haemoglobin on WAVELENGTHS_NM (380-730 nm, 10 nm), Prahl (1999),
# as in ../shared/data/skin_reflectance/hemoglobin_molar_extinction_prahl.csv (a test checks they agree).
EXTINCTION_HbO2: Final = np.array([
    109564, 167748, 266232, 466840, 480360, 246072, 102580, 62816, 44480, 33209, 26629, 23684, 20933, 20035,
    24202, 39957, 53236, 43016, 32613, 44496, 50104, 14401, 3200, 1506, 942, 610, 442, 368, 320, 294, 278, 276,
    290, 314, 348, 390,
], dtype=np.float64)  # fmt: skip
EXTINCTION_Hb: Final = np.array([
    145232, 167780, 223296, 303956, 407560, 528600, 413280, 103292, 23389, 16156, 14550, 16684, 20862, 25774,
    31590, 39036, 46592, 53412, 53788, 45072, 37020, 28324, 14677, 9444, 6510, 5149, 4345, 3750, 3227, 2795,
    2408, 2052, 1794, 1540, 1326, 1102,
], dtype=np.float64)  # fmt: skip
MICRO: Final = 1e-6  # B is stated in µM·cm; the extinction is per M
# σ per CIELAB axis of an isotropic error whose 95 % radius is U95: U95 / (1.65·√3), the convention by which
# color.measure states its radius (COVERAGE_FACTOR_95 there; not imported: color.measure will call this module).
COVERAGE_FACTOR_95_RADIUS: Final = 1.65 * np.sqrt(3.0)
COVERAGE_FACTOR_95_SCALAR: Final = 1.96  # a normal scalar's 95 % half-width
GAUSS_NEWTON_ITERATIONS: Final = 30
TOLERANCE: Final = 1e-7  # on the step in D (OD) and B (µM·cm): far below any stated uncertainty
MAX_STEP_OD: Final = 0.5  # largest step per iteration, OD or µM·cm
PARAMETER_STEP: Final = 1e-5  # forward-difference step in D and B for ∂Lab/∂(D, B)
LAB_STEP: Final = 0.05  # central-difference step in CIELAB for the ΔE00 metric


@dataclass(frozen=True)
class SkinIndices:
    """Melanin and erythema indices of skin colours (arrays of the input's leading shape).

    ``melanin_od``: epidermal melanin, optical density at 500 nm (one pass), relative to the reference skin.
    ``blood_uM_cm``: dermal haemoglobin, µM·cm (concentration × path, one pass), relative to the reference skin.
    ``residual_dE00``: CIEDE2000 between the colour and the model's best colour: how far it lies off the model.
    ``*_95``: 95 % half-widths propagated from the stated colour uncertainty; nan where none was stated.
    """

    melanin_od: NDArray[np.float64]
    blood_uM_cm: NDArray[np.float64]
    residual_dE00: NDArray[np.float64]
    melanin_od_95: NDArray[np.float64]
    blood_uM_cm_95: NDArray[np.float64]


@cache
def _model() -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """log10 of the reference reflectance (n_λ), the log10 reflectance lost per unit D and B (2, n_λ), and the
    D65 XYZ weights (n_λ, 3), XYZ = R @ weights (ASTM E308, linear in R)."""
    prior = load_virtual_skin()
    plain = [i for i, name in enumerate(prior.names) if "+" not in name]  # the NIST subjects, no variants
    log_reference = np.log10(prior.reflectance[plain].mean(axis=0))
    melanin = 2.0 * (WAVELENGTHS_NM / 500.0) ** -MELANIN_EXPONENT
    extinction = BLOOD_OXYGEN_SATURATION * EXTINCTION_HbO2 + (1.0 - BLOOD_OXYGEN_SATURATION) * EXTINCTION_Hb
    blood = 2.0 * MICRO * extinction * (WAVELENGTHS_NM / BLOOD_PATH_REFERENCE_NM) ** BLOOD_PATH_EXPONENT
    weights = reflectance_to_XYZ(WAVELENGTHS_NM, np.eye(WAVELENGTHS_NM.size))
    return log_reference, np.stack([melanin, blood]), weights


def model_reflectance(melanin_od: ArrayLike, blood_uM_cm: ArrayLike) -> NDArray[np.float64]:
    """The model's reflectance (..., n_λ) on ``WAVELENGTHS_NM`` for given indices (see the module docstring)."""
    log_reference, absorbance, _ = _model()
    D, B = np.asarray(melanin_od, dtype=np.float64), np.asarray(blood_uM_cm, dtype=np.float64)
    if D.shape != B.shape:
        D, B = np.broadcast_arrays(D, B)
    reflectance: NDArray[np.float64] = 10.0 ** (log_reference - np.stack([D, B], axis=-1) @ absorbance)
    return reflectance


def model_Lab(melanin_od: ArrayLike, blood_uM_cm: ArrayLike) -> NDArray[np.float64]:
    """CIELAB (D65, 2°) of the model skin with these indices: the forward direction of the inversion."""
    return XYZ_to_Lab_D65(model_reflectance(melanin_od, blood_uM_cm) @ _model()[2])


def _model_Lab_and_jacobian(parameters: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Model CIELAB (N, 3) at (D, B) (N, 2) and ∂Lab/∂(D, B) (N, 3, 2) by forward differences."""
    stepped = parameters[None] + PARAMETER_STEP * np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])[:, None]
    Lab = model_Lab(stepped[..., 0], stepped[..., 1])  # one call: the point and its two steps
    return Lab[0], np.stack([(Lab[1] - Lab[0]) / PARAMETER_STEP, (Lab[2] - Lab[0]) / PARAMETER_STEP], axis=-1)


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


def skin_indices_from_Lab(Lab_D65: ArrayLike, uncertainty_dE00_95: ArrayLike | None = None) -> SkinIndices:
    """Melanin and erythema indices of CIELAB (D65, 2°) skin colours (..., 3), with 95 % half-widths propagated
    from each colour's stated 95 % radius in ΔE00 (``color.measure.Measurement.uncertainty_dE00_95``).

    Weighted least squares (Gauss-Newton) in the local CIEDE2000 metric G of the measured colour; the
    covariance of (D, B) is σ²·(Jᵀ·G·J)⁻¹ with J = ∂Lab/∂(D, B) at the solution.

    >>> indices = skin_indices_from_Lab(model_Lab(0.2, 1.0), 1.5)
    >>> round(float(indices.melanin_od), 3), round(float(indices.blood_uM_cm), 3)
    (0.2, 1.0)
    """
    Lab = np.asarray(Lab_D65, dtype=np.float64)
    if Lab.shape[-1:] != (3,):
        raise ValueError(f"Lab_D65 must have 3 values on its last axis, got shape {Lab.shape}")
    leading = Lab.shape[:-1]
    flat = Lab.reshape(-1, 3)
    metric = delta_E00_metric(flat)
    parameters = np.zeros((flat.shape[0], 2))
    for _ in range(GAUSS_NEWTON_ITERATIONS):
        model, jacobian = _model_Lab_and_jacobian(parameters)
        weighted = np.swapaxes(jacobian, 1, 2) @ metric  # Jᵀ·G (n, 2, 3)
        step = -np.linalg.solve(weighted @ jacobian, weighted @ (model - flat)[..., None])[..., 0]
        # Damped: the first steps on a very dark skin would overshoot into the flat part of the model.
        step *= np.minimum(1.0, MAX_STEP_OD / np.maximum(np.abs(step).max(axis=-1, keepdims=True), 1e-300))
        parameters = parameters + step
        if np.all(np.abs(step) < TOLERANCE):
            break
    model, jacobian = _model_Lab_and_jacobian(parameters)
    half_widths = np.full_like(parameters, np.nan)
    if uncertainty_dE00_95 is not None:
        radius = np.broadcast_to(np.asarray(uncertainty_dE00_95, dtype=np.float64), leading).reshape(-1)
        sigma = radius / COVERAGE_FACTOR_95_RADIUS  # per axis, in ΔE00 units: Cov(Lab) = σ²·G⁻¹
        covariance = np.linalg.inv(np.einsum("nki,nkl,nlj->nij", jacobian, metric, jacobian))
        half_widths = COVERAGE_FACTOR_95_SCALAR * sigma[:, None] * np.sqrt(np.diagonal(covariance, axis1=1, axis2=2))
    return SkinIndices(
        melanin_od=parameters[:, 0].reshape(leading),
        blood_uM_cm=parameters[:, 1].reshape(leading),
        residual_dE00=delta_E00(flat, model).reshape(leading),
        melanin_od_95=half_widths[:, 0].reshape(leading),
        blood_uM_cm_95=half_widths[:, 1].reshape(leading),
    )


def sample_Lab_within(
    Lab_D65: ArrayLike, uncertainty_dE00_95: ArrayLike, rng: np.random.Generator
) -> NDArray[np.float64]:
    """One random draw per colour of the error a stated 95 % radius describes: normal, isotropic in CIEDE2000
    (σ per axis U95 / (1.65·√3), through the local metric), for Monte Carlo checks of the propagation."""
    Lab = np.asarray(Lab_D65, dtype=np.float64)
    sigma = np.asarray(uncertainty_dE00_95, dtype=np.float64)[..., None] / COVERAGE_FACTOR_95_RADIUS
    cholesky = np.linalg.cholesky(delta_E00_metric(Lab))  # G = L·Lᵀ, so δ = L⁻ᵀ·z has δᵀ·G·δ = zᵀ·z
    unit = np.linalg.solve(np.swapaxes(cholesky, -1, -2), rng.normal(size=Lab.shape)[..., None])[..., 0]
    noisy: NDArray[np.float64] = Lab + sigma * unit
    return noisy
