"""A prior on what skin is made of: a set of real skin reflectance spectra used as virtual card patches.

A card's pigments are not skin: a correction fitted on them alone leaves a metameric bias on skin that
grows away from daylight (measured here: about 5 ΔE00 under incandescent light). The calibration
therefore also fits virtual skin patches, whose camera responses it predicts from the spectral response
it estimates on the card (``color.spectral_response``), so that the correction is right where skin lives.

The virtual set is the even-numbered subjects of the NIST skin reflectance data (Cooksey, Allen, Tsai
2017, doi:10.6028/jres.122.026; a US Government work, not subject to copyright), forearm, 380-730 nm,
plus darker versions of some of them with more epidermal melanin, since the NIST set has no very dark
skin. The odd-numbered subjects are never used here: benchmarks and tests evaluate on them.
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


def darken_with_melanin(
    wavelengths_nm: NDArray[np.float64], reflectance: NDArray[np.float64], optical_density_at_500nm: float
) -> NDArray[np.float64]:
    """More epidermal melanin: R'(λ) = R(λ)·T(λ)², T = 10^(−D·(λ/500)^−k); light crosses the layer twice."""
    transmittance = 10.0 ** (-optical_density_at_500nm * (wavelengths_nm / 500.0) ** -MELANIN_EXPONENT)
    darker: NDArray[np.float64] = reflectance * transmittance**2
    return darker


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
    return {
        "source": (
            "NIST skin reflectance, even-numbered subjects (Cooksey et al. 2017, doi:10.6028/jres.122.026, "
            "US Government work), with darker versions by added epidermal melanin (Jacques 2013)"
        ),
        "wavelengths_nm": WAVELENGTHS_NM.tolist(),
        "reflectance": {n: np.round(s, 5).tolist() for n, s in entries.items()},
    }


if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    target = Path(__file__).parent / "data" / "skin" / "virtual_skin.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(build_virtual_skin(shared), indent=0) + "\n")
