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
from color.errors import InvalidColorInput, NotSkinColour
from color.spectral import reflectance_to_XYZ

CHROMATIC_ADAPTATION_TRANSFORM = "CAT02"
SPECTRUM_MIN_RANGE_NM = (400.0, 700.0)  # a reading must cover at least this to integrate the visible
SPECTRUM_MAX_STEP_NM = 20.0  # ASTM E308 tables go to 20 nm; coarser sampling loses the colour
ASTM_E308_STEPS_NM = (1.0, 5.0, 10.0, 20.0)  # the intervals ASTM E308 tabulates; other grids are resampled to 1 nm
# Human skin measured with a spectrophotometer (D65, 2°) spans about L* 15-80, a* 0-30, b* 2-40 from the darkest
# to the lightest and reddest skins (NIST skin reflectance set with added melanin; Xiao et al. 2017, Color Res.
# Appl. 42, "Characterising the variations in ethnic skin colours"); the bounds below leave a wide margin. A
# reading outside them was made on something else (the card, clothing, a calibration tile) or with a wrong mode.
SKIN_L_RANGE = (10.0, 90.0)
SKIN_A_RANGE = (-5.0, 40.0)
SKIN_B_RANGE = (-5.0, 50.0)


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
    if steps[0] < 0.1:
        raise InvalidColorInput(f"Spectrum step must be at least 0.1 nm, got {steps[0]:g} nm.")
    if steps[0] > SPECTRUM_MAX_STEP_NM:
        raise InvalidColorInput(f"Spectrum step must be at most {SPECTRUM_MAX_STEP_NM:g} nm, got {steps[0]:g} nm.")
    if wavelengths[0] > SPECTRUM_MIN_RANGE_NM[0] or wavelengths[-1] < SPECTRUM_MIN_RANGE_NM[1]:
        raise InvalidColorInput(
            f"Spectrum must cover {SPECTRUM_MIN_RANGE_NM[0]:g}-{SPECTRUM_MIN_RANGE_NM[1]:g} nm at least."
        )
    if np.any(values < 0.0) or np.any(values > 1.5):
        raise InvalidColorInput("Reflectance factors must lie between 0 and 1.5 (fractions, not percent).")
    method = "spectrum integrated under D65, CIE 1931 2° (ASTM E308)"
    aligned = float(wavelengths[0]).is_integer()
    if not (aligned and any(np.isclose(steps[0], step) for step in ASTM_E308_STEPS_NM)):
        wavelengths, values = _resample_to_1nm(wavelengths, values)
        method = f"spectrum resampled from {steps[0]:g} nm to 1 nm (colour-science interpolation), then {method}"
    Lab_D65 = XYZ_to_Lab_D65(reflectance_to_XYZ(wavelengths, values))
    return ConvertedReading(Lab_D65=Lab_D65, method=method)


def _resample_to_1nm(
    wavelengths: NDArray[np.float64], values: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The spectrum on whole nanometres within its range, interpolated by colour-science (Sprague 1880 for
    evenly spaced data, as CIE 167:2005 recommends), never below zero."""
    distribution = colour.SpectralDistribution(values, wavelengths)
    shape = colour.SpectralShape(float(np.ceil(wavelengths[0])), float(np.floor(wavelengths[-1])), 1.0)
    resampled = distribution.copy().interpolate(shape)
    return np.asarray(resampled.wavelengths, dtype=np.float64), np.clip(resampled.values, 0.0, None)


def check_skin_colour(Lab_D65: ArrayLike) -> NDArray[np.float64]:
    """Refuse a reading that no human skin gives (``SKIN_L_RANGE``, ``SKIN_A_RANGE``, ``SKIN_B_RANGE``)."""
    L, a, b = np.asarray(Lab_D65, dtype=np.float64)
    inside = (
        SKIN_L_RANGE[0] <= L <= SKIN_L_RANGE[1]
        and SKIN_A_RANGE[0] <= a <= SKIN_A_RANGE[1]
        and SKIN_B_RANGE[0] <= b <= SKIN_B_RANGE[1]
    )
    if not inside:
        raise NotSkinColour(
            f"L*a*b* {L:.1f}, {a:.1f}, {b:.1f} (D65, 2°) is not a skin colour: skin lies within L* "
            f"{SKIN_L_RANGE[0]:g}-{SKIN_L_RANGE[1]:g}, a* {SKIN_A_RANGE[0]:g} to {SKIN_A_RANGE[1]:g}, b* "
            f"{SKIN_B_RANGE[0]:g} to {SKIN_B_RANGE[1]:g}.",
            hint="Measure bare skin on the cheek or jaw, with the instrument in reflectance mode (SCI).",
        )
    return np.asarray(Lab_D65, dtype=np.float64)
