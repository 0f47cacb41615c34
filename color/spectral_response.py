"""Estimate the effective spectral response of a photo's channels from the card's known spectra.

The linear value of channel c for a surface of reflectance R(λ) is ∫ R(λ) Q_c(λ) dλ, where Q_c folds
together the scene light, the camera's sensitivities and the phone's white balance and colour matrix. The
card gives these integrals for its known spectra. Q_c is found by least squares within a low-dimensional
basis: camera responses under real lights lie in a space of few smooth components (Jiang et al. 2013),
and a basis keeps the estimate stable against the percent-level errors of real patch values, where a
free or merely smoothed estimate is not (measured: bench/bench_measurement.py).

The basis is the first ``BASIS_SIZE`` principal components of camera sensitivity × illuminant products
for 13 cameras (colour-science's two NPL-measured sets and the 11 of rawtoaces, Apache-2.0) under 20 CIE
illuminants (incandescent, daylight, fluorescent, LED, high-pressure discharge). Run
``python -m color.spectral_response`` with ``../shared/data`` present to rewrite it.

References:
    Jiang, J., Liu, D., Gu, J., Süsstrunk, S. (2013). What is the space of spectral sensitivity functions
    for digital color cameras? IEEE WACV, 168-179. doi:10.1109/WACV.2013.6475015
    Finlayson, G. D., Hordley, S., Hubel, P. M. (1998). Recovering device sensitivities with quadratic
    programming. IS&T/SID Color Imaging Conference 6, 90-95.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import colour
import numpy as np
from numpy.typing import NDArray

from color.colorimetry import WAVELENGTHS_NM

BASIS_SIZE = 7  # 96 % of the variance; 9 or more components start to fit patch noise (measured)
BASIS_ILLUMINANTS = (
    "A", "D50", "D65", "D75", "FL1", "FL2", "FL3", "FL7", "FL11", "LED-B1", "LED-B2", "LED-B3", "LED-B4",
    "LED-B5", "LED-BH1", "LED-RGB1", "LED-V1", "LED-V2", "HP1", "HP3",
)  # fmt: skip


def estimate_spectral_response(
    reflectance: NDArray[np.float64], RGB_linear: NDArray[np.float64], basis: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Q (3, n_λ) in the span of ``basis`` (k, n_λ) such that ``reflectance @ Q.T`` ≈ ``RGB_linear``."""
    coefficients, *_ = np.linalg.lstsq(reflectance @ basis.T, RGB_linear, rcond=None)
    return np.asarray((basis.T @ coefficients).T, dtype=np.float64)


def _rawtoaces_cameras(shared_data: Path) -> dict[str, NDArray[np.float64]]:
    rows: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    with (shared_data / "camera_sensitivities" / "rawtoaces_11cameras_long.csv").open() as handle:
        for row in csv.DictReader(handle):
            rows[row["camera"]].append(tuple(float(row[k]) for k in ("wavelength_nm", "R", "G", "B")))
    cameras = {}
    for name, values in rows.items():
        table = np.array(sorted(values))
        cameras[name] = np.stack([np.interp(WAVELENGTHS_NM, table[:, 0], table[:, c], 0, 0) for c in (1, 2, 3)])
    return cameras


def build_basis(shared_data: Path) -> dict[str, object]:
    cameras = _rawtoaces_cameras(shared_data)
    for name, sensitivities in colour.MSDS_CAMERA_SENSITIVITIES.items():
        cameras[name] = np.stack(
            [np.interp(WAVELENGTHS_NM, sensitivities.wavelengths, sensitivities.values[:, c], 0, 0) for c in range(3)]
        )
    shape = colour.SpectralShape(WAVELENGTHS_NM[0], WAVELENGTHS_NM[-1], WAVELENGTHS_NM[1] - WAVELENGTHS_NM[0])
    responses = []
    for illuminant in BASIS_ILLUMINANTS:
        power = colour.SDS_ILLUMINANTS[illuminant].copy().align(shape).values
        for sensitivities in cameras.values():
            for channel in sensitivities:
                response = channel * power
                responses.append(response / np.linalg.norm(response))
    _, singular_values, components = np.linalg.svd(np.array(responses), full_matrices=False)
    energy = np.cumsum(singular_values**2) / np.sum(singular_values**2)
    return {
        "source": (
            f"principal components of {len(cameras)} cameras' sensitivities (colour-science NPL sets; "
            f"rawtoaces, Apache-2.0) times {len(BASIS_ILLUMINANTS)} CIE illuminants"
        ),
        "wavelengths_nm": WAVELENGTHS_NM.tolist(),
        "energy": np.round(energy[:BASIS_SIZE], 5).tolist(),
        "components": np.round(components[:BASIS_SIZE], 7).tolist(),
    }


if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    target = Path(__file__).parent / "data" / "spectral_basis.json"
    target.write_text(json.dumps(build_basis(shared), indent=0) + "\n")
