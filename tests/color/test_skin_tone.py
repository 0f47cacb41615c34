"""ITA°, its classes, undertone and the Monk scale."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from color.skin_tone import (
    ITA_class,
    ITA_from_Lab,
    Undertone,
    describe_skin_tone,
    monk_Lab,
    undertone_from_hue,
)


def test_ITA_known_values() -> None:
    # atan2(L* - 50, b*): L*=50 is 0°, L* above 50 with b*>0 is positive.
    assert ITA_from_Lab([50, 10, 20]) == pytest.approx(0.0)
    assert ITA_from_Lab([70, 10, 20]) == pytest.approx(45.0)
    assert ITA_from_Lab([30, 10, 20]) == pytest.approx(-45.0)


def test_ITA_is_vectorised_over_the_last_axis() -> None:
    Lab = np.array([[[70, 10, 20], [30, 10, 20]], [[50, 0, 10], [60, 5, 10]]], dtype=float)
    ita = ITA_from_Lab(Lab)
    assert ita.shape == (2, 2)
    assert ita[0, 0] == pytest.approx(45.0)


def test_ITA_of_nan_is_nan() -> None:
    assert np.isnan(ITA_from_Lab([np.nan, 10, 20]))


@pytest.mark.parametrize(
    ("ita", "name"),
    [(60, "very_light"), (48, "light"), (30, "intermediate"), (20, "tan"), (0, "brown"), (-45, "dark")],
)
def test_ITA_classes_of_Del_Bino(ita: float, name: str) -> None:
    assert ITA_class(ita) == name


def test_undertone_bounds() -> None:
    assert undertone_from_hue(45) is Undertone.COOL
    assert undertone_from_hue(58) is Undertone.NEUTRAL
    assert undertone_from_hue(70) is Undertone.WARM


def test_monk_scale_runs_light_to_dark() -> None:
    L = monk_Lab()[:, 0]
    assert L.shape == (10,)
    # Darker from MST3 on; the published MST3 swatch is slightly lighter (L* 93.1) than MST2 (92.3).
    assert np.all(np.diff(L[2:]) < 0)
    assert L[0] > L[1]
    assert L[-1] < 20


def test_monk_Lab_matches_the_shared_table(shared_data: Path) -> None:
    with (shared_data / "skin_reflectance" / "monk_skin_tone_scale.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    expected = np.array([[float(r["L_star_D65"]), float(r["a_star_D65"]), float(r["b_star_D65"])] for r in rows])
    assert monk_Lab() == pytest.approx(expected, abs=0.01)


@given(st.integers(min_value=0, max_value=9))
def test_each_monk_swatch_describes_as_itself(index: int) -> None:
    description = describe_skin_tone(monk_Lab()[index])
    assert description.monk_tone == index + 1
    assert description.monk_delta_E00 == pytest.approx(0.0, abs=1e-9)
