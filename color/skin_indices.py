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

Uncertainty: a photo measurement gives its error's covariance in CIELAB (``color.lab_uncertainty``: the
calibration's spread through CIEDE2000's local metric G, mostly on a* and b*, and the light on the skin against
the card's, mostly along L*); a colour that states only a 95 % radius in CIEDE2000 is read as the isotropic
error σ²·G⁻¹, σ = U95 / (1.65·√3). Propagated through the least squares (Gauss-Newton) as Cov(D, B) = A·Cov(Lab)·Aᵀ,
A = (Jᵀ·G·J)⁻¹·Jᵀ·G, J = ∂Lab/∂(D, B); stated as 95 % half-widths (1.96 σ). The bench checks their coverage by
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
from color.lab_uncertainty import (
    COVERAGE_FACTOR_95_RADIUS,
    COVERAGE_FACTOR_95_SCALAR,
    covariance_from_radius,
    delta_E00_metric,
)
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
GAUSS_NEWTON_ITERATIONS: Final = 30
TOLERANCE: Final = 1e-7  # on the step in D (OD) and B (µM·cm): far below any stated uncertainty
MAX_STEP_OD: Final = 0.5  # largest step per iteration, OD or µM·cm
PARAMETER_STEP: Final = 1e-5  # forward-difference step in D and B for ∂Lab/∂(D, B)


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


def skin_indices_from_Lab(
    Lab_D65: ArrayLike,
    uncertainty_dE00_95: ArrayLike | None = None,
    *,
    covariance_Lab: ArrayLike | None = None,
) -> SkinIndices:
    """Melanin and erythema indices of CIELAB (D65, 2°) skin colours (..., 3), with 95 % half-widths propagated
    from each colour's error covariance in CIELAB (..., 3, 3; ``color.lab_uncertainty.ColourUncertainty``) or,
    for a colour that states only its 95 % radius in ΔE00, from the isotropic error that radius describes.

    Weighted least squares (Gauss-Newton) in the local CIEDE2000 metric G of the measured colour: the fit is
    (D, B) = A·Lab near the solution with A = (Jᵀ·G·J)⁻¹·Jᵀ·G, J = ∂Lab/∂(D, B), so Cov(D, B) = A·Cov(Lab)·Aᵀ
    (σ²·(Jᵀ·G·J)⁻¹ for the isotropic σ²·G⁻¹).

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
    if covariance_Lab is not None and uncertainty_dE00_95 is not None:
        raise ValueError("give a colour's uncertainty as a 95 % radius or as a covariance, not both")
    if uncertainty_dE00_95 is not None:
        radius = np.broadcast_to(np.asarray(uncertainty_dE00_95, dtype=np.float64), leading).reshape(-1)
        covariance_Lab = covariance_from_radius(flat, radius)
    if covariance_Lab is not None:
        error = np.broadcast_to(np.asarray(covariance_Lab, dtype=np.float64), (*leading, 3, 3)).reshape(-1, 3, 3)
        weighted = np.swapaxes(jacobian, 1, 2) @ metric  # Jᵀ·G (n, 2, 3)
        A = np.linalg.solve(weighted @ jacobian, weighted)  # (n, 2, 3)
        covariance = A @ error @ np.swapaxes(A, 1, 2)
        half_widths = COVERAGE_FACTOR_95_SCALAR * np.sqrt(np.diagonal(covariance, axis1=1, axis2=2))
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
