"""Describe a skin colour given as CIELAB (D65, CIE 1931 2°): ITA°, hue angle, undertone, Monk tone.

References:
    Chardon, A., Cretois, I., Hourseau, C. (1991). Skin colour typology and suntanning pathways.
    Int. J. Cosmet. Sci. 13(4), 191-208. doi:10.1111/j.1467-2494.1991.tb00561.x (ITA°).
    Del Bino, S., Bernerd, F. (2013). Variations in skin colour and the biological consequences of
    ultraviolet radiation exposure. Br. J. Dermatol. 169(s3), 33-40. doi:10.1111/bjd.12529 (ITA° classes).
    Monk, E. (2023). The Monk Skin Tone Scale. skintone.google (CC BY 4.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

import colour
import numpy as np
from numpy.typing import ArrayLike, NDArray

from color.colorimetry import XYZ_to_Lab_D65, delta_E00, hue_angle_deg

# ITA° class lower bounds (degrees), Del Bino & Bernerd (2013), from lightest to darkest.
ITA_CLASSES: tuple[tuple[float, str], ...] = (
    (55.0, "very_light"),
    (41.0, "light"),
    (28.0, "intermediate"),
    (10.0, "tan"),
    (-30.0, "brown"),
    (-np.inf, "dark"),
)

# Undertone from the CIELAB hue angle h_ab: skin with lower h_ab is redder (cool, pink), higher is
# yellower (warm). The bounds are the tertiles of h_ab over the 100 subjects of the NIST skin reflectance
# set (Cooksey et al. 2017, doi:10.6028/jres.122.026), computed under D65/2°: 56.4° and 60.4°.
UNDERTONE_COOL_BELOW_DEG = 56.4
UNDERTONE_WARM_ABOVE_DEG = 60.4

# The ten Monk Skin Tone swatches as published by Google (sRGB, IEC 61966-2-1), light to dark.
MONK_SRGB_HEX: tuple[str, ...] = (
    "F6EDE4",
    "F3E7DB",
    "F7EAD0",
    "EADABA",
    "D7BD96",
    "A07E56",
    "825C43",
    "604134",
    "3A312A",
    "292420",
)


class Undertone(StrEnum):
    COOL = "cool"
    NEUTRAL = "neutral"
    WARM = "warm"


@dataclass(frozen=True, slots=True)
class SkinToneDescription:
    """What a CIELAB skin colour means to a person and to a formulator."""

    ita_deg: float
    ita_class: str
    hue_deg: float
    chroma: float
    undertone: Undertone
    monk_tone: int
    monk_delta_E00: float


def ITA_from_Lab(Lab: ArrayLike) -> NDArray[np.float64]:
    """Individual Typology Angle in degrees: atan2(L* − 50, b*) (Chardon et al. 1991); last axis is L*a*b*."""
    Lab = np.asarray(Lab, dtype=np.float64)
    ita: NDArray[np.float64] = np.degrees(np.arctan2(Lab[..., 0] - 50.0, Lab[..., 2]))
    return ita


def ITA_class(ita_deg: float) -> str:
    """The Del Bino & Bernerd (2013) class name of an ITA° value."""
    for lower_bound, name in ITA_CLASSES:
        if ita_deg > lower_bound:
            return name
    return ITA_CLASSES[-1][1]


def undertone_from_hue(hue_deg: float) -> Undertone:
    """Cool, neutral or warm from the CIELAB hue angle (bounds: NIST skin tertiles, see module constants)."""
    if hue_deg < UNDERTONE_COOL_BELOW_DEG:
        return Undertone.COOL
    if hue_deg > UNDERTONE_WARM_ABOVE_DEG:
        return Undertone.WARM
    return Undertone.NEUTRAL


def undertone_from_Lab(Lab: ArrayLike) -> Undertone:
    """Cool, neutral or warm from CIELAB (D65, 2°), by its hue angle h_ab measured from +a* in (−180°, 180°]."""
    _, a, b = np.asarray(Lab, dtype=np.float64).reshape(3)
    hue_deg = float(hue_angle_deg(a, b))  # h_ab in [0°, 360°)
    return undertone_from_hue(hue_deg - 360.0 if hue_deg > 180.0 else hue_deg)


@cache
def monk_Lab() -> NDArray[np.float64]:
    """CIELAB (D65, 2°) of the ten Monk swatches, decoded from their sRGB hex values (read-only)."""
    RGB = np.array([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for h in MONK_SRGB_HEX], dtype=np.float64) / 255
    XYZ = colour.sRGB_to_XYZ(RGB)
    Lab = XYZ_to_Lab_D65(XYZ)
    Lab.flags.writeable = False
    return Lab


def describe_skin_tone(Lab: ArrayLike) -> SkinToneDescription:
    """ITA° and its class, hue angle, chroma, undertone and the nearest Monk tone (by CIEDE2000)."""
    Lab = np.asarray(Lab, dtype=np.float64).reshape(3)
    hue = float(hue_angle_deg(Lab[1], Lab[2]))  # h_ab, degrees
    ita = float(ITA_from_Lab(Lab))
    delta_E = delta_E00(monk_Lab(), Lab)
    nearest = int(np.argmin(delta_E))
    return SkinToneDescription(
        ita_deg=ita,
        ita_class=ITA_class(ita),
        hue_deg=hue,
        chroma=float(np.hypot(Lab[1], Lab[2])),  # C*ab (CIE 15:2018)
        undertone=undertone_from_hue(hue),
        monk_tone=nearest + 1,
        monk_delta_E00=float(delta_E[nearest]),
    )
