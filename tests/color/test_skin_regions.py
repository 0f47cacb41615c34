"""Cheek regions: validation of what the app sends, and the skin pixel filter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from color.colorimetry import delta_E00
from color.decode import decode_photo
from color.errors import InvalidRegions, RetakeNeeded
from color.measure import find_card, measure_photo
from color.packaged_data import load_card
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
    assert error.value.code == "region_not_skin"
    assert "'wall'" in error.value.detail


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


def _shifted(region: dict[str, object], dx: float) -> dict[str, object]:
    polygon = np.asarray(region["polygon"], dtype=np.float64) + np.array([dx, 0.0])
    return {"name": region["name"], "polygon": polygon.tolist()}


def test_a_region_on_the_card_is_refused_and_named(daylight_photo) -> None:  # type: ignore[no-untyped-def]
    """Alone, a region on the card refuses the photo; beside a good cheek it is left out, and the result says so."""
    _, pose = find_card(decode_photo(daylight_photo.jpeg).BGR, [load_card("tm-skin-v1")])
    width, height = pose.layout.size_mm
    corners = pose.to_image(np.array([[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]]))
    centre = corners.mean(axis=0)
    on_card = {"name": "right_cheek", "polygon": (centre + 0.5 * (corners - centre)).tolist()}
    with pytest.raises(RetakeNeeded) as error:
        measure_photo(daylight_photo.jpeg, regions=[on_card])
    assert error.value.code == "region_not_skin"
    assert "'right_cheek'" in error.value.detail
    assert "card" in error.value.detail
    assert error.value.hint
    measured = measure_photo(daylight_photo.jpeg, regions=[daylight_photo.regions[0], on_card])
    assert [r.name for r in measured.regions] == ["left_cheek"]
    used = next(q for q in measured.quality if q.name == "regions_used")
    assert not used.passed
    assert (used.value, used.limit) == (1.0, 2.0)
    assert "right_cheek left out (region_not_skin" in used.detail
    assert float(delta_E00(measured.Lab_D65, daylight_photo.truth_Lab_D65)) < 1.5


def test_a_region_grazing_the_card_is_measured_without_it(daylight_photo) -> None:  # type: ignore[no-untyped-def]
    """The right cheek moved toward the card so that about a third of it lies on the card: that part is left out
    and the colour stays the cheek's (the card's skin-like patches would pull it by several ΔE00)."""
    plain = measure_photo(daylight_photo.jpeg, regions=daylight_photo.regions)
    grazing = [daylight_photo.regions[0], _shifted(daylight_photo.regions[1], 30)]
    measured = measure_photo(daylight_photo.jpeg, regions=grazing)
    assert float(delta_E00(measured.Lab_D65, plain.Lab_D65)) < 0.5
    check = next(q for q in measured.quality if q.name == "regions_on_skin")
    assert not check.passed
    assert check.value is not None
    assert 0.2 < check.value < 0.5


def test_a_region_half_on_the_background_is_refused(daylight_photo) -> None:  # type: ignore[no-untyped-def]
    # From the wall at the photo's left edge into the left cheek: about 40 % of it is skin.
    across_the_edge = {"name": "left_cheek", "polygon": [[10, 370], [250, 370], [250, 430], [10, 430]]}
    with pytest.raises(RetakeNeeded) as error:
        measure_photo(daylight_photo.jpeg, regions=[across_the_edge])
    assert error.value.code == "region_not_skin"
    assert "'left_cheek'" in error.value.detail
    measured = measure_photo(daylight_photo.jpeg, regions=[across_the_edge, daylight_photo.regions[1]])
    assert [r.name for r in measured.regions] == ["right_cheek"]


def test_one_surface_is_kept_whole_and_two_are_split() -> None:
    from color.skin import main_surface

    rng = np.random.default_rng(1)
    skin = rng.normal([62.0, 14.0, 17.0], 1.0, (700, 3))
    members, share, _, shadow = main_surface(skin)
    assert members.all()
    assert share == 1.0
    assert not shadow
    hair = rng.normal([25.0, 6.0, 10.0], 1.0, (300, 3))  # dark brown hair
    members, share, separation, shadow = main_surface(np.vstack([skin, hair]))
    assert share == pytest.approx(0.7, abs=0.01)
    assert members[:700].all()
    assert not members[700:].any()
    assert separation > 20
    # Brown hair has nearly skin's chromaticity: it is told apart as a darker surface, as a shadow is.
    assert shadow


def test_the_lit_part_of_a_half_shaded_cheek_is_its_skin() -> None:
    """The same skin with a third of the light on 60 % of the region: the lit 40 % is kept, not the larger part."""
    import colour

    from color.colorimetry import D65_xy, XYZ_to_Lab_D65
    from color.skin import main_surface

    rng = np.random.default_rng(2)
    XYZ = colour.Lab_to_XYZ(np.array([62.0, 14.0, 17.0]), D65_xy)
    lit = XYZ_to_Lab_D65(XYZ * rng.normal(1.0, 0.01, (400, 1)))
    shaded = XYZ_to_Lab_D65(XYZ * 0.35 * rng.normal(1.0, 0.01, (600, 1)))
    members, share, _, shadow = main_surface(np.vstack([lit, shaded]))
    assert shadow
    assert members[:400].all()
    assert not members[400:].any()
    assert share == pytest.approx(0.4, abs=0.01)


def test_a_region_split_between_skin_and_a_coloured_surface_keeps_the_larger() -> None:
    from color.skin import main_surface

    rng = np.random.default_rng(3)
    skin = rng.normal([62.0, 14.0, 17.0], 1.0, (650, 3))
    scarf = rng.normal([45.0, -20.0, -25.0], 1.0, (350, 3))  # a teal scarf at the jaw
    members, share, separation, shadow = main_surface(np.vstack([skin, scarf]))
    assert not shadow
    assert members[:650].all()
    assert share == pytest.approx(0.65, abs=0.01)
    assert separation > 20


def test_a_cheek_darkening_smoothly_toward_the_face_edge_is_one_surface() -> None:
    """A slope of light across a cheek splits into two groups as well, but nothing lies between two surfaces."""
    import colour

    from color.colorimetry import D65_xy, XYZ_to_Lab_D65
    from color.skin import main_surface

    XYZ = colour.Lab_to_XYZ(np.array([62.0, 14.0, 17.0]), D65_xy)
    slope = np.linspace(0.3, 1.0, 1000)[:, None]  # 70 % less light at one side of the region
    members, share, separation, _ = main_surface(XYZ_to_Lab_D65(XYZ * slope))
    assert separation > 10  # far enough apart to be two surfaces, were there a gap
    assert members.all()
    assert share == 1.0
