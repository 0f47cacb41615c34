"""The array versions of CIELAB and CIEDE2000 (``color.lab_arrays``) give ``color.colorimetry``'s values.

They exist for speed only: any difference beyond floating-point rounding is a bug.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from color import colorimetry, lab_arrays

# Sharma, Wu and Dalal (2005), Table 1: pairs (L*a*b* 1, L*a*b* 2, ΔE00), among them the hue-angle wrap
# (pairs 12 and 14), an achromatic colour (pair 7) and large differences (pair 17).
SHARMA_PAIRS = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize(("first", "second", "expected"), SHARMA_PAIRS)
def test_delta_E00_gives_sharmas_test_values(
    first: tuple[float, float, float], second: tuple[float, float, float], expected: float
) -> None:
    pair = np.array([first]), np.array([second])
    assert lab_arrays.delta_E00(*pair)[0] == pytest.approx(expected, abs=5e-5)
    assert lab_arrays.delta_E00(pair[1], pair[0])[0] == pytest.approx(expected, abs=5e-5)


def test_delta_E00_and_Lab_match_colorimetry_on_many_colours() -> None:
    rng = np.random.default_rng(7)
    XYZ = rng.uniform(0.0, 1.1, (5000, 3))
    XYZ[:50] *= 0.002  # under L* 8: the lightness function's linear part
    Lab = lab_arrays.XYZ_to_Lab_D65(XYZ)
    np.testing.assert_allclose(Lab, colorimetry.XYZ_to_Lab_D65(XYZ), atol=1e-9)
    np.testing.assert_allclose(lab_arrays.Y_to_L(XYZ[:, 1]), Lab[:, 0], atol=1e-9)
    other = Lab + rng.normal(0.0, 4.0, Lab.shape)
    other[:20, 1:] = 0.0  # achromatic: no hue
    other[20:30] = Lab[20:30]  # no difference
    np.testing.assert_allclose(lab_arrays.delta_E00(Lab, other), colorimetry.delta_E00(Lab, other), atol=1e-9)


def test_shapes_broadcast_as_colorimetrys() -> None:
    Lab = np.array([[50.0, 10.0, 20.0], [60.0, 5.0, 15.0]])
    assert lab_arrays.delta_E00(Lab, Lab[0]).shape == (2,)
    assert lab_arrays.delta_E00(Lab[0], Lab[1]).shape == ()
    assert lab_arrays.XYZ_to_Lab_D65(np.ones((4, 5, 3))).shape == (4, 5, 3)


@given(st.lists(st.floats(0.01, 2.0), min_size=3, max_size=3))
def test_uv_matches_colour_science(XYZ: list[float]) -> None:
    import colour

    expected = colour.xy_to_Luv_uv(colour.XYZ_to_xy(np.array(XYZ)))
    np.testing.assert_allclose(lab_arrays.XYZ_to_uv(np.array(XYZ)), expected, atol=1e-12)
