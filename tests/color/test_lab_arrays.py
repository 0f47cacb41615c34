"""The vectorised CIELAB and CIEDE2000 (``color.lab_arrays``, behind ``color.colorimetry``) give colour-science's
values.

They are written out by hand for speed only, an exception to the rule that colour-science computes the colour
maths it has: colour-science stays the reference, and any difference beyond floating-point rounding is a bug.
"""

from __future__ import annotations

import colour
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from color import colorimetry, lab_arrays
from color.colorimetry import D65_xy

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
AGREEMENT = 1e-10  # with colour-science: rounding only


@pytest.mark.parametrize(("first", "second", "expected"), SHARMA_PAIRS)
def test_delta_E00_gives_sharmas_test_values(
    first: tuple[float, float, float], second: tuple[float, float, float], expected: float
) -> None:
    pair = np.array([first]), np.array([second])
    assert lab_arrays.delta_E00(*pair)[0] == pytest.approx(expected, abs=5e-5)
    assert lab_arrays.delta_E00(pair[1], pair[0])[0] == pytest.approx(expected, abs=5e-5)


def test_delta_E00_and_Lab_match_colour_science_on_many_colours() -> None:
    rng = np.random.default_rng(7)
    XYZ = rng.uniform(0.0, 1.1, (5000, 3))
    XYZ[:50] *= 0.002  # under L* 8: the lightness function's linear part
    Lab = colorimetry.XYZ_to_Lab_D65(XYZ)
    np.testing.assert_allclose(Lab, colour.XYZ_to_Lab(XYZ, D65_xy), rtol=0, atol=AGREEMENT)
    np.testing.assert_allclose(lab_arrays.Y_to_L(XYZ[:, 1]), Lab[:, 0], rtol=0, atol=AGREEMENT)
    other = Lab + rng.normal(0.0, 4.0, Lab.shape)
    other[:20, 1:] = 0.0  # achromatic: no hue
    other[20:30] = Lab[20:30]  # no difference
    other[30:40, 1:] = -Lab[30:40, 1:]  # opposite hues: h' differs by 180°, the wrap of the mean hue
    expected = colour.delta_E(Lab, other, method="CIE 2000")
    np.testing.assert_allclose(colorimetry.delta_E00(Lab, other), expected, rtol=0, atol=AGREEMENT)


def test_Lab_of_a_whole_image_and_of_a_dark_one_match_colour_science() -> None:
    XYZ = np.random.default_rng(3).uniform(0.0, 0.9, (40, 30, 3))
    for image in (XYZ, XYZ * 0.005):  # bright; all below L* 8
        np.testing.assert_allclose(
            colorimetry.XYZ_to_Lab_D65(image), colour.XYZ_to_Lab(image, D65_xy), rtol=0, atol=AGREEMENT
        )


def test_nan_propagates_as_in_colour_science() -> None:
    XYZ = np.array([[0.2, 0.3, np.nan], [0.2, 0.3, 0.4]])
    Lab = colorimetry.XYZ_to_Lab_D65(XYZ)
    assert np.isnan(Lab[0, 2])
    assert np.isfinite(Lab[1]).all()
    assert np.isnan(colorimetry.delta_E00(Lab[0], Lab[1]))


def test_shapes_broadcast_as_colour_sciences() -> None:
    Lab = np.array([[50.0, 10.0, 20.0], [60.0, 5.0, 15.0]])
    assert colorimetry.delta_E00(Lab, Lab[0]).shape == (2,)
    assert colorimetry.delta_E00(Lab[0], Lab[1]).shape == ()
    assert colorimetry.delta_E00([50.0, 10.0, 20.0], [[50.0, 10.0, 20.0]] * 3).shape == (3,)
    assert colorimetry.XYZ_to_Lab_D65(np.ones((4, 5, 3))).shape == (4, 5, 3)
    assert colorimetry.XYZ_to_Lab_D65([0.5, 0.5, 0.5]).shape == (3,)


@given(st.lists(st.floats(0.01, 2.0), min_size=3, max_size=3))
def test_uv_matches_colour_science(XYZ: list[float]) -> None:
    expected = colour.xy_to_Luv_uv(colour.XYZ_to_xy(np.array(XYZ)))
    np.testing.assert_allclose(lab_arrays.XYZ_to_uv(np.array(XYZ)), expected, atol=1e-12)


LIGHTNESS = st.floats(0.0, 100.0)
OPPONENT = st.floats(-60.0, 60.0)


@given(st.tuples(LIGHTNESS, OPPONENT, OPPONENT), st.tuples(LIGHTNESS, OPPONENT, OPPONENT))
def test_delta_E00_matches_colour_science_anywhere(
    Lab_1: tuple[float, float, float], Lab_2: tuple[float, float, float]
) -> None:
    expected = float(colour.delta_E(np.array(Lab_1), np.array(Lab_2), method="CIE 2000"))
    assert float(colorimetry.delta_E00(Lab_1, Lab_2)) == pytest.approx(expected, abs=AGREEMENT)
