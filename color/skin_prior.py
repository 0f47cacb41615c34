"""A prior on what skin is made of: a set of real skin reflectance spectra used as virtual card patches.

A card's pigments are not skin: a correction fitted on them alone leaves a metameric bias on skin that
grows away from daylight (measured here: about 5 ΔE00 under incandescent light). The calibration
therefore also fits virtual skin patches, whose camera responses it predicts from the spectral response
it estimates on the card (``color.spectral_response``), so that the correction is right where skin lives.

The virtual set is the even-numbered subjects of the NIST skin reflectance data (Cooksey, Allen, Tsai
2017, doi:10.6028/jres.122.026; a US Government work, not subject to copyright), forearm, 380-730 nm,
plus darker versions of some of them with more epidermal melanin, since the NIST set has no very dark
skin, and redder versions with more blood in the dermis, since we measure cheeks, which hold more
haemoglobin than the inner forearm (a* several units higher). The odd-numbered subjects are never used
here: benchmarks and tests evaluate on them.
Run ``python -m color.skin_prior`` with ``../shared/data`` present to rewrite the packaged set.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from color.colorimetry import WAVELENGTHS_NM

# Effective spectral slope of the extra attenuation that darker skin's melanin brings, (λ/500)^-1. The
# melanosome absorption coefficient itself falls as λ^-3.46 (Jacques 2013, Phys. Med. Biol. 58(11), R37,
# doi:10.1088/0031-9155/58/11/R37), but applied alone that gives very dark skin a chroma C*ab of 30-34 at
# L* 31, where real very dark skin has 15-20 (Monk tone 8: 17.7): multiple scattering lengthens the red
# paths too. An exponent of 1 reproduces it (C*ab 19 at L* 31, measured here on the NIST spectra).
MELANIN_EXPONENT = 1.0
DARKENING_OPTICAL_DENSITIES = (0.1, 0.2, 0.3, 0.4, 0.5)  # added melanin, OD at 500 nm, one pass: to ITA ≈ −60°
DARKENED_EVERY = 3  # darken every third training subject
NIST_FILE = "skin_reflectance/nist_skin_reflectance_average_250-2500nm.csv"
HAEMOGLOBIN_FILE = "skin_reflectance/hemoglobin_molar_extinction_prahl.csv"
# Added blood, as concentration × path (M·cm) of whole haemoglobin through the dermis, one way: cheeks hold
# roughly two to four times the forearm's blood volume fraction (a few µM·cm more over the optical path).
ADDED_BLOOD_M_CM = (0.5e-6, 1.0e-6, 2.0e-6)
BLOOD_PATH_REFERENCE_NM = 560.0
BLOOD_PATH_EXPONENT = 3.0  # effective: added blood raises a* at least as much as b*, as on flushed skin
BLOOD_OXYGEN_SATURATION = 0.8  # capillary blood in skin: 70-90 % oxygenated
REDDENED_EVERY = 2  # redden every second training subject
BLOOD_VARIANT = "+blood"  # the redder spectra's names: <subject>+blood<µM·cm>


def darken_with_melanin(
    wavelengths_nm: NDArray[np.float64], reflectance: NDArray[np.float64], optical_density_at_500nm: float
) -> NDArray[np.float64]:
    """More epidermal melanin: R'(λ) = R(λ)·T(λ)², T = 10^(−D·(λ/500)^−k); light crosses the layer twice."""
    transmittance = 10.0 ** (-optical_density_at_500nm * (wavelengths_nm / 500.0) ** -MELANIN_EXPONENT)
    darker: NDArray[np.float64] = reflectance * transmittance**2
    return darker


def redden_with_blood(
    wavelengths_nm: NDArray[np.float64],
    reflectance: NDArray[np.float64],
    extinction_HbO2: NDArray[np.float64],
    extinction_Hb: NDArray[np.float64],
    concentration_path_M_cm: float,
) -> NDArray[np.float64]:
    """More dermal blood: R'(λ) = R(λ)·T(λ)², T = 10^(−c·ℓ(λ)·(S·ε_HbO2(λ) + (1−S)·ε_Hb(λ))) (Beer-Lambert,
    light crossing the layer twice, ε in cm⁻¹/M on ``wavelengths_nm``, S = ``BLOOD_OXYGEN_SATURATION``). The
    path through the blood, ℓ(λ) ∝ (λ/560 nm)^``BLOOD_PATH_EXPONENT``, grows with wavelength: blue light is
    scattered back from the upper dermis and meets little blood, red light goes deep (Anderson and Parrish
    1981, J. Invest. Dermatol. 77(1), 13-19, doi:10.1111/1523-1747.ep12479191). A constant path would let the
    Soret band at 415 nm dominate and turn the skin yellow instead of red.

    Extinction: Prahl, S. (1999), Optical absorption of hemoglobin, Oregon Medical Laser Center, compiled from
    Gratzer and Kollias.
    """
    extinction = BLOOD_OXYGEN_SATURATION * extinction_HbO2 + (1.0 - BLOOD_OXYGEN_SATURATION) * extinction_Hb
    path = (wavelengths_nm / BLOOD_PATH_REFERENCE_NM) ** BLOOD_PATH_EXPONENT
    transmittance = 10.0 ** (-concentration_path_M_cm * extinction * path)
    redder: NDArray[np.float64] = reflectance * transmittance**2
    return redder


def haemoglobin_extinction(shared_data: Path) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Molar extinction (cm⁻¹/M) of oxy- and deoxy-haemoglobin on ``WAVELENGTHS_NM``."""
    table = np.genfromtxt(shared_data / HAEMOGLOBIN_FILE, delimiter=",", skip_header=1)
    return (
        np.interp(WAVELENGTHS_NM, table[:, 0], table[:, 1]),
        np.interp(WAVELENGTHS_NM, table[:, 0], table[:, 2]),
    )


def nist_subjects(shared_data: Path) -> tuple[list[str], NDArray[np.float64]]:
    """All NIST subjects' mean reflectance resampled to ``WAVELENGTHS_NM``."""
    data = np.genfromtxt(shared_data / NIST_FILE, delimiter=",", names=True)
    names = [n for n in data.dtype.names or () if n.startswith("subject_")]
    spectra = np.array([np.interp(WAVELENGTHS_NM, data["wavelength_nm"], data[n]) for n in names])
    return names, spectra


def is_training_subject(name: str) -> bool:
    """Even-numbered NIST subjects (``subject_NNN``) train the prior; anything else is held out."""
    prefix, _, number = name.partition("_")
    return prefix == "subject" and number.isdigit() and int(number) % 2 == 0


def build_virtual_skin(shared_data: Path) -> dict[str, object]:
    names, spectra = nist_subjects(shared_data)
    train = [(n, s) for n, s in zip(names, spectra, strict=True) if is_training_subject(n)]
    entries = dict(train)
    for n, s in train[::DARKENED_EVERY]:
        for density in DARKENING_OPTICAL_DENSITIES:
            entries[f"{n}+melanin{density:.2f}"] = darken_with_melanin(WAVELENGTHS_NM, s, density)
    HbO2, Hb = haemoglobin_extinction(shared_data)
    for n, s in train[::REDDENED_EVERY]:
        for blood in ADDED_BLOOD_M_CM:
            entries[f"{n}{BLOOD_VARIANT}{blood * 1e6:.1f}"] = redden_with_blood(WAVELENGTHS_NM, s, HbO2, Hb, blood)
    return {
        "source": (
            "NIST skin reflectance, even-numbered subjects (Cooksey et al. 2017, doi:10.6028/jres.122.026, "
            "US Government work), with darker versions by added epidermal melanin (Jacques 2013) and redder "
            "versions by added dermal blood (haemoglobin extinction: Prahl 1999)"
        ),
        "wavelengths_nm": WAVELENGTHS_NM.tolist(),
        "reflectance": {n: np.round(s, 5).tolist() for n, s in entries.items()},
    }


if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    target = Path(__file__).parent / "data" / "skin" / "virtual_skin.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(build_virtual_skin(shared), indent=0) + "\n")
