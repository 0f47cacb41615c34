"""Kubelka-Munk and Saunderson: known values, limits and round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from color.kubelka_munk import (
    KS_from_reflectance,
    mixture_KS,
    reflectance_infinite,
    reflectance_layer,
    saunderson_to_internal,
    saunderson_to_measured,
)


def test_known_value_of_R_infinity() -> None:
    # K/S = 0.5: R∞ = 1 + 0.5 − √(0.25 + 1) = 0.381966 (the golden ratio's conjugate).
    assert reflectance_infinite(0.5, 1.0) == pytest.approx(0.3819660112501051)


@given(st.floats(min_value=1e-3, max_value=50.0))
def test_KS_round_trip(ratio: float) -> None:
    assert KS_from_reflectance(reflectance_infinite(ratio, 1.0)) == pytest.approx(ratio, rel=1e-9)


@given(st.floats(min_value=0.001, max_value=0.99), st.booleans())
def test_saunderson_round_trip(R: float, specular_included: bool) -> None:
    measured = saunderson_to_measured(R, specular_included=specular_included)
    assert saunderson_to_internal(measured, specular_included=specular_included) == pytest.approx(R, rel=1e-9)


def test_thick_layer_is_opaque_and_thin_layer_shows_background() -> None:
    K, S = np.array([0.2, 1.0, 4.0]), np.array([2.0, 2.0, 2.0])
    assert reflectance_layer(K, S, 1e3, 0.9) == pytest.approx(reflectance_infinite(K, S))
    assert reflectance_layer(K, S, 1e-6, 0.9) == pytest.approx([0.9, 0.9, 0.9], abs=1e-4)


def test_mixture_is_the_concentration_weighted_sum_and_vectorised() -> None:
    K_unit = np.array([[1.0, 2.0], [3.0, 4.0]])
    S_unit = np.array([[5.0, 6.0], [7.0, 8.0]])
    K, S = mixture_KS(np.array([[0.25, 0.75], [1.0, 0.0]]), K_unit, S_unit)
    assert pytest.approx(np.array([[2.5, 3.5], [1.0, 2.0]])) == K
    assert pytest.approx(np.array([[6.5, 7.5], [5.0, 6.0]])) == S


@given(st.floats(min_value=0.0, max_value=1.0))
def test_more_absorber_never_brightens(share: float) -> None:
    K_unit = np.array([[0.05], [5.0]])
    S_unit = np.array([[5.0], [0.5]])
    lighter = reflectance_infinite(*mixture_KS(np.array([1.0 - share, share]), K_unit, S_unit))
    darker = reflectance_infinite(*mixture_KS(np.array([1.0 - share, share + 0.01]), K_unit, S_unit))
    assert darker <= lighter + 1e-12
