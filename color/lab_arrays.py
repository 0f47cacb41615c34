"""The vectorised CIELAB and CIEDE2000 behind ``color.colorimetry``: the one place where colour maths that
colour-science has is written out by hand, for speed.

colour-science's ``XYZ_to_Lab`` and ``delta_E`` check and convert their arguments on every call and evaluate every
branch of CIEDE2000's piecewise terms (``np.select``): about 0.1 ms a call whatever the number of colours, most of
their cost on the few thousand samples of a skin map and more than the work on a few colours. These compute the
same formulas (CIE 15:2018 for CIELAB; CIE 142-2001 as written by Sharma et al. 2005 for CIEDE2000,
k_L = k_C = k_H = 1) on the last axis of float64 arrays, without validation. colour-science stays the reference:
tests/color/test_lab_arrays.py checks them against it to 1e-10, on Sharma's test pairs and thousands of colours.
Use them through ``color.colorimetry`` (``XYZ_to_Lab_D65``, ``delta_E00``), which fixes the white.

References:
    CIE 15:2018 Colorimetry, 4th ed. (CIELAB, CIE 1976 u'v').
    Sharma, G., Wu, W., Dalal, E. N. (2005). The CIEDE2000 color-difference formula: implementation notes,
    supplementary test data, and mathematical observations. Color Res. Appl. 30(1), 21-30. doi:10.1002/col.20070
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

_EPSILON: Final = (24.0 / 116.0) ** 3  # CIE 15:2018: the cube root's range of the lightness function
_LINEAR_SLOPE: Final = 841.0 / 108.0
_25_POW_7: Final = 25.0**7
_PHASES: Final = tuple((float(np.cos(np.radians(d))), float(np.sin(np.radians(d)))) for d in (30.0, 6.0, 63.0))


def lab_f(ratio: NDArray[np.float64]) -> NDArray[np.float64]:
    """CIE 1976's lightness function f(t) of a tristimulus value over the white's (CIE 15:2018, eq. 8.4)."""
    cube_root = np.cbrt(ratio)
    if ratio.size and float(ratio.min()) > _EPSILON:  # the usual case: nothing darker than L* 8
        return cube_root
    return np.where(ratio > _EPSILON, cube_root, _LINEAR_SLOPE * ratio + 16.0 / 116.0)


def Y_to_L(Y: NDArray[np.float64]) -> NDArray[np.float64]:
    """CIE 1976 L* of luminance ``Y`` (white = 1)."""
    return 116.0 * lab_f(np.asarray(Y, dtype=np.float64)) - 16.0


def XYZ_to_Lab(XYZ: NDArray[np.float64], white_XYZ: NDArray[np.float64]) -> NDArray[np.float64]:
    """CIE XYZ (..., 3) to CIE 1976 L*a*b* relative to the white ``white_XYZ`` (3,) (CIE 15:2018, eqs. 8.1-8.4)."""
    f = lab_f(np.asarray(XYZ, dtype=np.float64) / white_XYZ)
    Lab = np.empty(f.shape, dtype=np.float64)
    Lab[..., 0] = 116.0 * f[..., 1] - 16.0
    Lab[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    Lab[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
    return Lab


def _hue_deg(b: NDArray[np.float64], a: NDArray[np.float64]) -> NDArray[np.float64]:
    """h' in [0, 360) degrees; 0 where a' = b' = 0 (Sharma et al. 2005, eq. 4)."""
    hue = np.degrees(np.arctan2(b, a))
    return np.where(hue < 0.0, hue + 360.0, np.where((a == 0) & (b == 0), 0.0, hue))


def _T(h_bar_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sharma et al. 2005's T (eq. 15), its four cosines from cos h and sin h by the multiple-angle formulas."""
    h = np.radians(h_bar_deg)
    c, s = np.cos(h), np.sin(h)
    c2, s2 = 2.0 * c * c - 1.0, 2.0 * s * c
    c3, s3 = c * (4.0 * c * c - 3.0), s * (3.0 - 4.0 * s * s)
    c4, s4 = 2.0 * c2 * c2 - 1.0, 2.0 * s2 * c2
    (cos_30, sin_30), (cos_6, sin_6), (cos_63, sin_63) = _PHASES
    return (
        1.0
        - 0.17 * (c * cos_30 + s * sin_30)
        + 0.24 * c2
        + 0.32 * (c3 * cos_6 - s3 * sin_6)
        - 0.20 * (c4 * cos_63 + s4 * sin_63)
    )


def delta_E00(Lab_1: NDArray[np.float64], Lab_2: NDArray[np.float64]) -> NDArray[np.float64]:
    """CIEDE2000 between L*a*b* arrays (..., 3) of one shape or broadcastable (Sharma et al. 2005, eqs. 1-22)."""
    Lab_1, Lab_2 = np.broadcast_arrays(np.asarray(Lab_1, dtype=np.float64), np.asarray(Lab_2, dtype=np.float64))
    shape = Lab_1.shape[:-1]
    Lab_1, Lab_2 = Lab_1.reshape(-1, 3), Lab_2.reshape(-1, 3)
    L_1, a_1, b_1 = Lab_1[:, 0], Lab_1[:, 1], Lab_1[:, 2]
    L_2, a_2, b_2 = Lab_2[:, 0], Lab_2[:, 1], Lab_2[:, 2]
    C_bar_7 = (0.5 * (np.sqrt(a_1 * a_1 + b_1 * b_1) + np.sqrt(a_2 * a_2 + b_2 * b_2))) ** 7
    G_1 = 1.5 - 0.5 * np.sqrt(C_bar_7 / (C_bar_7 + _25_POW_7))  # 1 + G
    a_p_1, a_p_2 = G_1 * a_1, G_1 * a_2
    C_p_1, C_p_2 = np.sqrt(a_p_1 * a_p_1 + b_1 * b_1), np.sqrt(a_p_2 * a_p_2 + b_2 * b_2)
    h_p_1, h_p_2 = _hue_deg(b_1, a_p_1), _hue_deg(b_2, a_p_2)
    C_product = C_p_1 * C_p_2
    achromatic = C_product == 0
    difference = h_p_2 - h_p_1
    wraps = np.abs(difference) > 180.0
    delta_h = np.where(achromatic, 0.0, np.where(wraps, difference - np.copysign(360.0, difference), difference))
    delta_H = 2.0 * np.sqrt(C_product) * np.sin(np.radians(0.5) * delta_h)
    h_sum = h_p_1 + h_p_2
    h_bar = np.where(wraps, np.where(h_sum < 360.0, h_sum + 360.0, h_sum - 360.0), h_sum)
    h_bar = np.where(achromatic, h_sum, 0.5 * h_bar)
    C_bar_p = 0.5 * (C_p_1 + C_p_2)
    C_bar_p_7 = C_bar_p**7
    L_bar_m50_2 = (0.5 * (L_1 + L_2) - 50.0) ** 2
    S_L = 1.0 + 0.015 * L_bar_m50_2 / np.sqrt(20.0 + L_bar_m50_2)
    S_C = 1.0 + 0.045 * C_bar_p
    S_H = 1.0 + 0.015 * C_bar_p * _T(h_bar)
    delta_theta_rad = np.radians(30.0) * np.exp(-(((h_bar - 275.0) / 25.0) ** 2))
    R_T = -2.0 * np.sqrt(C_bar_p_7 / (C_bar_p_7 + _25_POW_7)) * np.sin(2.0 * delta_theta_rad)
    lightness = (L_2 - L_1) / S_L
    chroma = (C_p_2 - C_p_1) / S_C
    hue = delta_H / S_H
    distance: NDArray[np.float64] = np.sqrt(lightness**2 + chroma**2 + hue**2 + R_T * chroma * hue)
    return distance.reshape(shape)


def XYZ_to_uv(XYZ: NDArray[np.float64]) -> NDArray[np.float64]:
    """CIE 1976 u'v' chromaticity of XYZ (..., 3): u' = 4X / (X + 15Y + 3Z), v' = 9Y / (X + 15Y + 3Z) (CIE 15:2018)."""
    XYZ = np.asarray(XYZ, dtype=np.float64)
    denominator = XYZ[..., 0] + 15.0 * XYZ[..., 1] + 3.0 * XYZ[..., 2]
    return np.stack([4.0 * XYZ[..., 0], 9.0 * XYZ[..., 1]], axis=-1) / denominator[..., None]
