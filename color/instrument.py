"""Readings from a colorimeter or spectrophotometer, brought to CIELAB D65 / CIE 1931 2°.

A L*a*b* reading under another illuminant is adapted to D65 with the CAT02 von Kries transform
(CIE 159:2004; Moroney et al. 2002). A reading made with the CIE 1964 10° observer cannot be turned into
a 2° one without its spectrum (the observers are different functions, not a white-point change), so such
readings must send their reflectance spectrum, which is integrated exactly under D65 / 2° (ASTM E308).
"""

from __future__ import annotations

from dataclasses import dataclass

import colour
import numpy as np
from numpy.typing import ArrayLike, NDArray

from color.colorimetry import OBSERVER_2, D65_xy, XYZ_to_Lab_D65
from color.errors import InvalidColorInput
from color.spectral import reflectance_to_XYZ

CHROMATIC_ADAPTATION_TRANSFORM = "CAT02"
SPECTRUM_MIN_RANGE_NM = (400.0, 700.0)  # a reading must cover at least this to integrate the visible
SPECTRUM_MAX_STEP_NM = 20.0  # ASTM E308 tables go to 20 nm; coarser sampling loses the colour


@dataclass(frozen=True, slots=True)
class ConvertedReading:
    """A reading in CIELAB D65 / 2°, with how it got there."""

    Lab_D65: NDArray[np.float64]
    method: str


def supported_illuminants() -> list[str]:
    """Names of the illuminants a L*a*b* reading may be stated under (CIE 1931 2° chromaticities)."""
    return sorted(colour.CCS_ILLUMINANTS[OBSERVER_2])


def validate_Lab(Lab: ArrayLike) -> NDArray[np.float64]:
    """Check a CIELAB triple is finite and physically possible for a surface colour; return it as float64."""
    Lab = np.asarray(Lab, dtype=np.float64)
    if Lab.shape != (3,):
        raise InvalidColorInput("L*a*b* must be three numbers: L, a, b.")
    if not np.all(np.isfinite(Lab)):
        raise InvalidColorInput("L*a*b* values must be finite numbers (no NaN or infinity).")
    L, a, b = Lab
    if not 0.0 <= L <= 100.0:
        raise InvalidColorInput(f"L* must be between 0 and 100 for a surface colour, got {L:g}.")
    if abs(a) > 128.0 or abs(b) > 128.0:
        raise InvalidColorInput(f"a* and b* must lie within ±128, got a*={a:g}, b*={b:g}.")
    return Lab


def Lab_reading_to_D65(Lab: ArrayLike, illuminant: str, observer: str) -> ConvertedReading:
    """Adapt a L*a*b* reading stated under ``illuminant`` with the 2° observer to D65 (CAT02)."""
    Lab = validate_Lab(Lab)
    if observer != "2":
        raise InvalidColorInput(
            "Only CIE 1931 2° observer L*a*b* readings can be converted; a 10° reading must send its spectrum.",
            hint="Send the instrument's reflectance spectrum instead of L*a*b*.",
        )
    illuminants = colour.CCS_ILLUMINANTS[OBSERVER_2]
    if illuminant not in illuminants:
        raise InvalidColorInput(f"Unknown illuminant {illuminant!r}; use one of: {', '.join(supported_illuminants())}.")
    if illuminant == "D65":
        return ConvertedReading(Lab_D65=Lab, method="none (already D65, 2°)")
    source_xy = np.asarray(illuminants[illuminant], dtype=np.float64)
    XYZ = colour.Lab_to_XYZ(Lab, source_xy)
    XYZ_D65 = colour.adaptation.chromatic_adaptation_VonKries(
        XYZ, colour.xy_to_XYZ(source_xy), colour.xy_to_XYZ(D65_xy), transform=CHROMATIC_ADAPTATION_TRANSFORM
    )
    Lab_D65 = XYZ_to_Lab_D65(XYZ_D65)
    return ConvertedReading(Lab_D65=Lab_D65, method=f"{CHROMATIC_ADAPTATION_TRANSFORM} von Kries, {illuminant} to D65")


def reflectance_to_Lab_D65(wavelengths_nm: ArrayLike, reflectance: ArrayLike) -> ConvertedReading:
    """Integrate a spectral reflectance factor (0-1) under D65 with the CIE 1931 2° observer (ASTM E308)."""
    wavelengths = np.asarray(wavelengths_nm, dtype=np.float64)
    values = np.asarray(reflectance, dtype=np.float64)
    if wavelengths.ndim != 1 or values.shape != wavelengths.shape or wavelengths.size < 3:
        raise InvalidColorInput("A spectrum needs matching lists of at least 3 wavelengths and reflectances.")
    if not (np.all(np.isfinite(wavelengths)) and np.all(np.isfinite(values))):
        raise InvalidColorInput("Spectrum values must be finite numbers (no NaN or infinity).")
    steps = np.diff(wavelengths)
    if np.any(steps <= 0) or not np.allclose(steps, steps[0]):
        raise InvalidColorInput("Spectrum wavelengths must increase in equal steps.")
    if steps[0] > SPECTRUM_MAX_STEP_NM:
        raise InvalidColorInput(f"Spectrum step must be at most {SPECTRUM_MAX_STEP_NM:g} nm, got {steps[0]:g} nm.")
    if wavelengths[0] > SPECTRUM_MIN_RANGE_NM[0] or wavelengths[-1] < SPECTRUM_MIN_RANGE_NM[1]:
        raise InvalidColorInput(
            f"Spectrum must cover {SPECTRUM_MIN_RANGE_NM[0]:g}-{SPECTRUM_MIN_RANGE_NM[1]:g} nm at least."
        )
    if np.any(values < 0.0) or np.any(values > 1.5):
        raise InvalidColorInput("Reflectance factors must lie between 0 and 1.5 (fractions, not percent).")
    XYZ = reflectance_to_XYZ(wavelengths, values)
    Lab_D65 = XYZ_to_Lab_D65(XYZ)
    return ConvertedReading(Lab_D65=Lab_D65, method="spectrum integrated under D65, CIE 1931 2° (ASTM E308)")
