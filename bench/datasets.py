"""Spectral data for tests and benchmarks: skin, cameras and illuminants.

Real data is read from ``../shared/data`` (see its SOURCES.md) and never copied into the project;
every loader returns ``None`` when that folder is absent so callers can skip cleanly. Built-in fallbacks
come from colour-science (ColorChecker skin patches, two camera sensitivity sets).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import colour
import numpy as np
from numpy.typing import NDArray

from color import skin_prior
from color.colorimetry import WAVELENGTHS_NM
from color.spectral_response import BASIS_ILLUMINANTS

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GRID_NM = WAVELENGTHS_NM  # the card's and the skin prior's wavelength grid

ILLUMINANTS = {
    "incandescent (A)": "A",
    "daylight (D65)": "D65",
    "daylight (D50)": "D50",
    "fluorescent (FL2)": "FL2",
    "fluorescent (FL11)": "FL11",
    "LED (LED-B3)": "LED-B3",
    "LED (LED-B5)": "LED-B5",
}


# Lights the spectral basis (``color.spectral_response``) was not built from: modern and older fluorescent
# lamps, discharge lamps, indoor daylight through window glass, studio tungsten. All lie within 0.011 Duv
# of the Planckian locus, 2,500-6,600 K: lights a person takes a selfie under, not party lights.
NOVEL_ILLUMINANTS = (
    "FL4", "FL5", "FL6", "FL8", "FL9", "FL10", "FL12",
    "FL3.1", "FL3.2", "FL3.3", "FL3.4", "FL3.5", "FL3.6", "FL3.7", "FL3.8", "FL3.9", "FL3.10", "FL3.11",
    "FL3.12", "FL3.13", "FL3.14", "FL3.15",
    "HP2", "HP4", "HP5", "ID50", "ID65", "ISO 7589 Studio Tungsten",
)  # fmt: skip
assert not set(NOVEL_ILLUMINANTS) & set(BASIS_ILLUMINANTS)
# Camera models whose sensitivities the spectral basis was built from, under any data set's spelling: a
# Jiang et al. (2013) measurement of the same model is not a new camera.
BASIS_CAMERA_MODELS = (
    "nikon 5100", "sigma sdmerill", "arri d21", "canon eos 5d mark ii", "canon 5dmarkii", "canon powershot s90",
    "canon xti", "nikon d200", "nikon d5100", "nikon d70", "nikon d700", "nikon d7000", "sony ilce-7rm2",
    "sony ilce-7sm2",
)  # fmt: skip


@dataclass(frozen=True)
class SkinSample:
    name: str
    reflectance: NDArray[np.float64]  # on GRID_NM


def shared_data() -> Path | None:
    return SHARED_DATA if SHARED_DATA.is_dir() else None


def illuminant(name: str) -> colour.SpectralDistribution:
    return colour.SDS_ILLUMINANTS[ILLUMINANTS.get(name, name)]


@cache
def nist_skin() -> tuple[SkinSample, ...] | None:
    """The 100 NIST forearm reflectances (Cooksey et al. 2017) on GRID_NM, or None without shared data."""
    root = shared_data()
    if root is None:
        return None
    path = root / "skin_reflectance" / "nist_skin_reflectance_average_250-2500nm.csv"
    data = np.genfromtxt(path, delimiter=",", names=True)
    wavelengths = data["wavelength_nm"]
    names = [n for n in data.dtype.names if n.startswith("subject_")]
    return tuple(SkinSample(name, np.interp(GRID_NM, wavelengths, data[name])) for name in names)


def darken_with_melanin(sample: SkinSample, optical_density_at_500nm: float) -> SkinSample:
    """More epidermal melanin, with the same model as the skin prior (``color.skin_prior``)."""
    darker = skin_prior.darken_with_melanin(GRID_NM, sample.reflectance, optical_density_at_500nm)
    return SkinSample(f"{sample.name}+mel{optical_density_at_500nm:.2f}", darker)


def skin_set(extended: bool = True) -> tuple[SkinSample, ...]:
    """NIST skin (when present) plus darker versions reaching ITA about −60°; else ColorChecker skin patches."""
    base = nist_skin()
    if base is None:
        sds = colour.SDS_COLOURCHECKERS["BabelColor Average"]
        base = tuple(SkinSample(n, sds[n].values) for n in ("dark skin", "light skin"))
    if not extended:
        return base
    # Darker versions down to ITA about −60° (the NIST set stops at −21°), as in the skin prior.
    darker = [darken_with_melanin(s, d) for s in base[::5] for d in skin_prior.DARKENING_OPTICAL_DENSITIES]
    return (*base, *darker)


def _model(camera: str) -> str:
    return camera.lower().removesuffix(" (npl)").strip()


def basis_cameras() -> list[str]:
    """The very sensitivity data the spectral basis was built from: colour-science's NPL sets and rawtoaces."""
    root = shared_data()
    names = set(colour.MSDS_CAMERA_SENSITIVITIES)
    if root is not None:
        with (root / "camera_sensitivities" / "rawtoaces_11cameras_long.csv").open() as handle:
            names |= {row["camera"] for row in csv.DictReader(handle)}
    return sorted(c for c in cameras() if c in names)


def novel_cameras() -> list[str]:
    """Cameras (keys of ``cameras()``) of models the spectral basis has never seen."""
    return sorted(c for c in cameras() if _model(c) not in BASIS_CAMERA_MODELS)


@cache
def haemoglobin_extinction() -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Wavelengths (nm) and oxy-haemoglobin molar extinction (cm⁻¹/M, Prahl), or None without shared data."""
    root = shared_data()
    if root is None:
        return None
    table = np.genfromtxt(
        root / "skin_reflectance" / "hemoglobin_molar_extinction_prahl.csv", delimiter=",", names=True
    )
    return np.asarray(table["wavelength_nm"]), np.asarray(table["HbO2_molar_extinction_cm1_per_M"])


@cache
def cameras(include_non_commercial: bool = True) -> dict[str, colour.MultiSpectralDistributions]:
    """Camera spectral sensitivities: colour-science's, plus the shared sets when present.

    The Jiang et al. (2013) set is CC BY-NC-SA: used here for testing only, never shipped.
    """
    result: dict[str, colour.MultiSpectralDistributions] = dict(colour.MSDS_CAMERA_SENSITIVITIES)
    root = shared_data()
    if root is None:
        return result
    files = ["rawtoaces_11cameras_long.csv"]
    if include_non_commercial:
        files.append("jiang2013_camspec_28cameras_long.csv")
    for file_name in files:
        rows: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
        with (root / "camera_sensitivities" / file_name).open() as handle:
            for row in csv.DictReader(handle):
                rows[row["camera"]].append(
                    (float(row["wavelength_nm"]), float(row["R"]), float(row["G"]), float(row["B"]))
                )
        for camera, values in rows.items():
            table = np.array(sorted(values))
            # Extend to the card's range with zeros: sensitivities vanish outside 400-700 nm.
            grid = GRID_NM
            channels = np.stack(
                [np.interp(grid, table[:, 0], table[:, c], left=0.0, right=0.0) for c in (1, 2, 3)], axis=1
            )
            result[camera] = colour.MultiSpectralDistributions(channels, grid, labels=("R", "G", "B"))
    phone = root / "camera_sensitivities" / "tominaga2021_mobile_phone_average_ssf.csv"
    if phone.exists() and include_non_commercial:  # licence unclear: tests and benchmarks only
        table = np.genfromtxt(phone, delimiter=",", names=True)
        channels = np.stack(
            [np.interp(GRID_NM, table["wavelength_nm"], table[c], left=0.0, right=0.0) for c in ("R", "G", "B")],
            axis=1,
        )
        result["mobile phone average (Tominaga 2021)"] = colour.MultiSpectralDistributions(
            channels, GRID_NM, labels=("R", "G", "B")
        )
    return result
