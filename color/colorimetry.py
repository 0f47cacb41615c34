"""General colorimetry, each constant and helper defined once: the D65 white, the spectral grid, CIELAB, CIEDE2000.

Thin wrappers over colour-science that fix our conventions: CIE 1931 2° observer, D65 white, CIELAB scaled
so that Y of the white is 1 in and L* of the white is 100 out. Arrays work on their last axis, so one colour,
24 patches or a whole image go through the same function. CIELAB and CIEDE2000, called on every pixel of a
region and on every sample of a skin map, are the one exception to "colour-science computes it": they run
``color.lab_arrays``' vectorised formulas, tested against colour-science to 1e-10.

References:
    CIE 15:2018 Colorimetry, 4th ed. (standard observers, illuminant D65, CIELAB and its hue angle h_ab).
    CIE 142-2001 Improvement to industrial colour-difference evaluation (CIEDE2000).
    Sharma, G., Wu, W., Dalal, E. N. (2005). The CIEDE2000 color-difference formula: implementation notes,
    supplementary test data, and mathematical observations. Color Res. Appl. 30(1), 21-30. doi:10.1002/col.20070
    ISO 13655:2017 Graphic technology, spectral measurement and colorimetric computation for graphic arts images.
    ITU-R BT.709-6 (2015) Parameter values for the HDTV standards (luminance coefficients of its primaries).
"""

from __future__ import annotations

from typing import Final

import colour
import numpy as np
from numpy.typing import ArrayLike, NDArray

from color import lab_arrays

OBSERVER_2: Final = "CIE 1931 2 Degree Standard Observer"
"""colour-science's name of the CIE 1931 2° standard colorimetric observer (CIE 15:2018)."""

D65_xy: Final[NDArray[np.float64]] = np.asarray(colour.CCS_ILLUMINANTS[OBSERVER_2]["D65"], dtype=np.float64)
"""Chromaticity x, y of CIE standard illuminant D65 for the 2° observer (CIE 15:2018)."""

D65_XYZ: Final[NDArray[np.float64]] = np.asarray(colour.xy_to_XYZ(D65_xy), dtype=np.float64)
"""Tristimulus values X, Y, Z of the D65 white, Y = 1."""

WAVELENGTHS_NM: Final[NDArray[np.float64]] = np.arange(380.0, 731.0, 10.0)
"""The spectral grid of our spectra: 380-730 nm in 10 nm steps, as graphic-arts spectral data (ISO 13655)."""

LUMA_WEIGHTS: Final[NDArray[np.float64]] = np.array([0.2126, 0.7152, 0.0722])
"""Relative luminance Y of linear sRGB R, G, B (ITU-R BT.709 primaries, D65 white; IEC 61966-2-1)."""


def XYZ_to_Lab_D65(XYZ: ArrayLike) -> NDArray[np.float64]:
    """CIE XYZ (..., 3), Y of white = 1, to CIE 1976 L*a*b* with the D65 white, 2° observer (CIE 15:2018):
    colour-science's ``XYZ_to_Lab``, computed by ``color.lab_arrays``.

    >>> XYZ_to_Lab_D65(colour.xy_to_XYZ(D65_xy)).round(6) + 0.0
    array([ 100.,    0.,    0.])
    """
    return lab_arrays.XYZ_to_Lab(np.asarray(XYZ, dtype=np.float64), D65_XYZ)


def delta_E00(Lab_1: ArrayLike, Lab_2: ArrayLike) -> NDArray[np.float64]:
    """CIEDE2000 colour difference between L*a*b* arrays (..., 3), broadcast (CIE 142-2001; Sharma et al. 2005):
    colour-science's ``delta_E(..., method="CIE 2000")``, computed by ``color.lab_arrays``.

    >>> round(float(delta_E00([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485])), 4)  # Sharma et al., pair 1
    2.0425
    """
    return lab_arrays.delta_E00(np.asarray(Lab_1, dtype=np.float64), np.asarray(Lab_2, dtype=np.float64))


def delta_E00_between(Lab_1: ArrayLike, Lab_2: ArrayLike) -> float:
    """CIEDE2000 between two single L*a*b* colours, as a float (see ``delta_E00`` for arrays)."""
    return float(delta_E00(Lab_1, Lab_2))


def hue_angle_deg(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """CIELAB hue angle h_ab = atan2(b*, a*) in degrees, in [0, 360) (CIE 15:2018).

    >>> float(hue_angle_deg(0.0, 10.0)), float(hue_angle_deg(1.0, -1.0))
    (90.0, 315.0)
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    # colour.Lab_to_LCHab is this function under another name, made at run time where type checkers miss it.
    hue = np.asarray(colour.models.Jab_to_JCh(np.stack([np.zeros_like(a), a, b], axis=-1))[..., 2], dtype=np.float64)
    # A tiny negative angle becomes exactly 360 after colour-science's ``% 360`` in floating point: it is 0.
    folded: NDArray[np.float64] = np.where(hue >= 360.0, hue - 360.0, hue)
    return folded


def Lab_D65_to_display_sRGB(Lab: ArrayLike) -> NDArray[np.float64]:
    """CIELAB (D65, 2°) (..., 3) to gamma-encoded sRGB in [0, 1] (IEC 61966-2-1: D65 white, so no adaptation),
    clipped to the gamut. For showing a colour on a screen only: what it looks like depends on the screen or paper.

    >>> Lab_D65_to_display_sRGB([100.0, 0.0, 0.0]).round(3) + 0.0
    array([ 1.,  1.,  1.])
    """
    XYZ = colour.Lab_to_XYZ(np.asarray(Lab, dtype=np.float64), D65_xy)
    return np.clip(np.asarray(colour.XYZ_to_sRGB(XYZ), dtype=np.float64), 0.0, 1.0)


def Lab_D65_to_display_hex(Lab: ArrayLike) -> list[str]:
    """``Lab_D65_to_display_sRGB`` of each colour (..., 3) as ``#rrggbb``, rounded to the nearest 8-bit code first
    (colour-science's ``RGB_to_HEX`` truncates, which would turn the white's 0.99993 into ``fe``).

    >>> Lab_D65_to_display_hex([[100.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    ['#ffffff', '#000000']
    """
    codes = np.round(Lab_D65_to_display_sRGB(Lab).reshape(-1, 3) * 255.0) / 255.0
    return [str(colour.notation.RGB_to_HEX(code)).lower() for code in codes]
