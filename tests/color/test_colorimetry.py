"""General colorimetry: known values from the standards, vectorised shapes, and the hue angle's range."""

from __future__ import annotations

import colour
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from color.colorimetry import (
    LUMA_WEIGHTS,
    WAVELENGTHS_NM,
    D65_xy,
    XYZ_to_Lab_D65,
    delta_E00,
    delta_E00_between,
    hue_angle_deg,
)

# Sharma, Wu & Dalal (2005), Table 1: the first pairs of the CIEDE2000 test data and their ΔE00.
SHARMA_2005 = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 2.8361, -74.0200), (50.0, 0.0, -82.7485), 3.4412),
    ((50.0, -1.3802, -84.2814), (50.0, 0.0, -82.7485), 1.0000),
]


def test_constants() -> None:
    assert D65_xy == pytest.approx([0.3127, 0.3290], abs=1e-4)  # CIE 15:2018, D65 for the 2° observer
    assert WAVELENGTHS_NM[0] == 380.0
    assert WAVELENGTHS_NM[-1] == 730.0
    assert np.all(np.diff(WAVELENGTHS_NM) == 10.0)
    assert LUMA_WEIGHTS.sum() == pytest.approx(1.0)  # white has Y = 1


def test_white_and_black_in_CIELAB() -> None:
    white = XYZ_to_Lab_D65(colour.xy_to_XYZ(D65_xy))
    assert white == pytest.approx([100.0, 0.0, 0.0], abs=1e-9)
    assert XYZ_to_Lab_D65([0.0, 0.0, 0.0]) == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


@pytest.mark.parametrize(("Lab_1", "Lab_2", "expected"), SHARMA_2005)
def test_delta_E00_on_Sharma_2005_pairs(Lab_1: tuple[float, ...], Lab_2: tuple[float, ...], expected: float) -> None:
    assert delta_E00_between(Lab_1, Lab_2) == pytest.approx(expected, abs=5e-5)
    assert delta_E00_between(Lab_2, Lab_1) == pytest.approx(expected, abs=5e-5)  # symmetric


def test_delta_E00_works_on_the_last_axis() -> None:
    Lab_1 = np.array([pair[0] for pair in SHARMA_2005])
    Lab_2 = np.array([pair[1] for pair in SHARMA_2005])
    differences = delta_E00(Lab_1, Lab_2)
    assert differences.shape == (4,)
    assert differences == pytest.approx([pair[2] for pair in SHARMA_2005], abs=5e-5)
    assert delta_E00(Lab_1.reshape(2, 2, 3), Lab_2.reshape(2, 2, 3)).shape == (2, 2)
    assert XYZ_to_Lab_D65(np.full((2, 5, 3), 0.5)).shape == (2, 5, 3)


def test_delta_E00_between_takes_one_pair_only() -> None:
    with pytest.raises(TypeError):
        delta_E00_between(np.zeros((2, 3)), np.ones((2, 3)))


@pytest.mark.parametrize(
    ("a", "b", "hue"),
    [(10.0, 0.0, 0.0), (0.0, 10.0, 90.0), (-10.0, 0.0, 180.0), (0.0, -10.0, 270.0), (1.0, -1.0, 315.0)],
)
def test_hue_angle_known_values(a: float, b: float, hue: float) -> None:
    assert float(hue_angle_deg(a, b)) == pytest.approx(hue)


def test_hue_angle_is_vectorised_and_nan_propagates() -> None:
    hues = hue_angle_deg([10.0, 0.0, np.nan], [0.0, 10.0, 1.0])
    assert hues.shape == (3,)
    assert hues[:2] == pytest.approx([0.0, 90.0])
    assert np.isnan(hues[2])


@given(st.floats(-128, 128), st.floats(-128, 128))
def test_hue_angle_lies_in_0_to_360(a: float, b: float) -> None:
    hue = float(hue_angle_deg(a, b))
    assert 0.0 <= hue < 360.0
