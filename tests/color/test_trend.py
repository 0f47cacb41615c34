"""Robust trends and changes beyond measurement noise."""

from __future__ import annotations

import numpy as np
import pytest

from color.trend import DAYS_PER_MONTH, change, trend


def test_a_steady_rise_is_found_with_its_rate_and_one_bad_photo_barely_moves_it() -> None:
    days = np.arange(0, 180, 15.0)
    values = 2.0 + 0.5 * days / DAYS_PER_MONTH  # +0.5 a month
    found = trend(days, values)
    assert found is not None
    assert found.slope_per_month == pytest.approx(0.5)
    assert found.changing
    spoiled = values.copy()
    spoiled[5] += 6.0  # one photo far off
    robust = trend(days, spoiled)
    assert robust is not None
    assert robust.slope_per_month == pytest.approx(0.5, abs=0.05)
    least_squares = np.polyfit(days, spoiled, 1)[0] * DAYS_PER_MONTH
    assert abs(least_squares - 0.5) > 3 * abs(robust.slope_per_month - 0.5)


def test_noise_alone_is_not_a_trend() -> None:
    rng = np.random.default_rng(3)
    days = np.arange(0, 240, 20.0)
    found = trend(days, 5.0 + rng.normal(0, 0.3, days.size))
    assert found is not None
    assert not found.changing
    assert found.low_per_month < 0 < found.high_per_month


@pytest.mark.parametrize(("days", "values"), [([0.0], [1.0]), ([0.0, 30.0], [1.0, 2.0]), ([5.0, 5.2, 5.4], [1, 2, 3])])
def test_too_few_measurements_give_no_trend(days: list[float], values: list[float]) -> None:
    assert trend(days, values) is None


def test_a_change_counts_only_beyond_the_combined_uncertainty() -> None:
    assert change(1.0, 0.3, 1.6, 0.4).beyond_noise is True  # 0.6 > 0.5
    assert change(1.0, 0.3, 1.4, 0.4).beyond_noise is False  # 0.4 < 0.5
    assert change(1.0, None, 3.0, 0.4).beyond_noise is None
    assert change(1.0, 0.3, 1.6, 0.4).combined_95 == pytest.approx(0.5)
