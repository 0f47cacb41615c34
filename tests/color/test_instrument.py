"""Instrument readings to CIELAB D65 / 2°."""

from __future__ import annotations

import colour
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from color.errors import InvalidColorInput
from color.instrument import Lab_reading_to_D65, reflectance_to_Lab_D65, validate_Lab

OBSERVER = "CIE 1931 2 Degree Standard Observer"


def test_d65_reading_is_unchanged() -> None:
    assert Lab_reading_to_D65([55, 10, 15], "D65", "2").Lab_D65 == pytest.approx([55, 10, 15])


def test_white_maps_to_white() -> None:
    # Under any source illuminant, its own white adapts to D65's white: L*=100, a*=b*=0.
    for illuminant in ("A", "D50", "FL11"):
        assert Lab_reading_to_D65([100, 0, 0], illuminant, "2").Lab_D65 == pytest.approx([100, 0, 0], abs=1e-6)


@given(
    st.floats(min_value=5, max_value=95),
    st.floats(min_value=-40, max_value=40),
    st.floats(min_value=-40, max_value=40),
)
def test_adaptation_round_trip_through_d50(L: float, a: float, b: float) -> None:
    to_d65 = Lab_reading_to_D65([L, a, b], "D50", "2").Lab_D65
    d50 = colour.CCS_ILLUMINANTS[OBSERVER]["D50"]
    d65 = colour.CCS_ILLUMINANTS[OBSERVER]["D65"]
    XYZ_back = colour.adaptation.chromatic_adaptation_VonKries(
        colour.Lab_to_XYZ(to_d65, d65), colour.xy_to_XYZ(d65), colour.xy_to_XYZ(d50), transform="CAT02"
    )
    assert colour.XYZ_to_Lab(XYZ_back, d50) == pytest.approx([L, a, b], abs=1e-6)


@pytest.mark.parametrize(
    "Lab", [[np.nan, 0, 0], [50, np.inf, 0], [101, 0, 0], [-1, 0, 0], [50, 129, 0], [50, 0, -200], [50, 0]]
)
def test_impossible_Lab_is_refused(Lab: list[float]) -> None:
    with pytest.raises(InvalidColorInput):
        validate_Lab(Lab)


def test_ten_degree_Lab_is_refused_with_a_hint() -> None:
    with pytest.raises(InvalidColorInput) as error:
        Lab_reading_to_D65([50, 10, 10], "D65", "10")
    assert "spectrum" in (error.value.hint or "")


def test_flat_spectrum_is_neutral() -> None:
    wavelengths = np.arange(380, 781, 5)
    Lab = reflectance_to_Lab_D65(wavelengths, np.full(wavelengths.size, 0.5)).Lab_D65
    assert Lab[0] == pytest.approx(colour.XYZ_to_Lab([0, 0.5, 0])[0], abs=0.01)
    assert Lab[1:] == pytest.approx([0, 0], abs=0.05)


@pytest.mark.parametrize(
    ("wavelengths", "values"),
    [
        (np.arange(400, 701, 10), np.full(31, np.nan)),
        (np.arange(450, 701, 10), np.full(26, 0.4)),
        (np.arange(400, 701, 50), np.full(7, 0.4)),
        (np.array([400, 410, 430, 700]), np.full(4, 0.4)),
        (np.arange(400, 701, 10), np.full(31, -0.1)),
        (np.arange(400, 701, 10), np.full(30, 0.4)),
    ],
)
def test_bad_spectra_are_refused(wavelengths: np.ndarray, values: np.ndarray) -> None:
    with pytest.raises(InvalidColorInput):
        reflectance_to_Lab_D65(wavelengths, values)
