"""Cheek regions: validation of what the app sends, and the skin pixel filter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from color.errors import InvalidRegions, RetakeNeeded
from color.measure import measure_photo
from color.skin import is_simple_polygon, parse_regions

SIZE = (1000, 750)
SQUARE = [[100, 100], [200, 100], [200, 200], [100, 200]]


def test_valid_regions_are_parsed() -> None:
    regions = parse_regions([{"name": "left_cheek", "polygon": SQUARE}], SIZE)
    assert regions[0].name == "left_cheek"
    assert regions[0].polygon.shape == (4, 2)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"name": "x", "polygon": SQUARE}, "non-empty list"),
        ([], "non-empty list"),
        ([{"name": "x"}], "exactly the keys"),
        ([{"name": "x", "polygon": SQUARE, "extra": 1}], "exactly the keys"),
        ([{"name": "", "polygon": SQUARE}], "name"),
        ([{"name": "x", "polygon": [[0, 0], [1, 1]]}], "3-500 points"),
        ([{"name": "x", "polygon": [[0, 0], [1, "a"], [2, 2]]}], "numbers"),
        ([{"name": "x", "polygon": [[0, 0, 0], [1, 1, 1], [2, 2, 2]]}], "numbers"),
        ([{"name": "x", "polygon": [[100, 100], [1200, 100], [1200, 200], [100, 200]]}], "outside"),
        ([{"name": "x", "polygon": [[-5, 100], [200, 100], [200, 200]]}], "outside"),
        ([{"name": "x", "polygon": [[100, 100], [200, 200], [200, 100], [100, 200]]}], "self-intersecting"),
        ([{"name": "x", "polygon": [[100, 100], [110, 100], [110, 110]]}], "fewer than"),
        ([{"name": "x", "polygon": SQUARE}, {"name": "x", "polygon": SQUARE}], "unique"),
        ([{"name": "x", "polygon": [[float("nan"), 1], [2, 2], [3, 1]]}], "finite"),
        ([{"name": "r", "polygon": SQUARE}] * 9, "At most"),
    ],
)
def test_bad_regions_are_refused_with_a_reason(document: object, message: str) -> None:
    with pytest.raises(InvalidRegions, match=message):
        parse_regions(document, SIZE)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(-50, 1100), st.floats(-50, 800)), min_size=0, max_size=12))
def test_arbitrary_polygons_never_crash(points: list[tuple[float, float]]) -> None:
    try:
        regions = parse_regions([{"name": "r", "polygon": [list(p) for p in points]}], SIZE)
    except InvalidRegions:
        return
    assert is_simple_polygon(regions[0].polygon)


def test_region_on_the_wall_is_not_skin(daylight_photo) -> None:  # type: ignore[no-untyped-def]
    wall = [{"name": "wall", "polygon": [[20, 20], [120, 20], [120, 120], [20, 120]]}]
    with pytest.raises(RetakeNeeded) as error:
        measure_photo(daylight_photo.jpeg, regions=wall)
    assert error.value.code == "too_little_skin"


def test_region_outside_the_photo_is_refused(daylight_photo) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRegions):
        measure_photo(daylight_photo.jpeg, regions=[{"name": "r", "polygon": [[900, 700], [1100, 700], [1000, 800]]}])


def test_cheeks_are_combined_and_compared(daylight_photo) -> None:  # type: ignore[no-untyped-def]
    measured = measure_photo(daylight_photo.jpeg, regions=daylight_photo.regions)
    assert [r.name for r in measured.regions] == ["left_cheek", "right_cheek"]
    assert measured.cheek_difference_dE00 < 1.0
    assert all(r.kept > 0.5 * r.pixels for r in measured.regions)
    assert {q.name for q in measured.quality} >= {"card_found", "glare", "calibration_fit", "cheeks_agree"}
    assert np.isfinite(measured.uncertainty_dE00_95)


def test_censored_mean_undoes_the_bias_of_clipping_at_zero() -> None:
    from color.skin import censored_mean

    rng = np.random.default_rng(0)
    true = rng.normal(0.0005, 0.003, 20_000)
    clipped = true <= 0.0001
    observed = np.where(clipped, 0.0, true)
    assert observed.mean() > 2.5 * 0.0005  # the plain mean of clipped values is far off
    assert censored_mean(observed, clipped, 0.0001) == pytest.approx(0.0005, abs=0.0001)
    unclipped = np.full(100, 0.3)
    assert censored_mean(unclipped, np.zeros(100, dtype=bool), 0.0001) == pytest.approx(0.3)
