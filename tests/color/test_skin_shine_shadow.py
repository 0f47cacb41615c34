"""Shine and shadow on a cheek: the region's colour stays the diffuse skin's, in the light the rest of it gets.

Rendered photos (``color.simulate``: a specular lobe in the light's colour, a cast shadow with a soft edge) are
compared with the same photo without them, so the calibration is the same and only the region's pixels differ.
The tolerances are what the filter achieves with margin; before it, the same photos measured 1.7-3.4 ΔE00 off
(highlights), 3.5-6.9 (shadows on darker skin) and 25 (a cheek mostly shine, then answered).
"""

from __future__ import annotations

from random import Random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from color.card import ReferenceCard
from color.colorimetry import delta_E00
from color.errors import RetakeNeeded
from color.measure import measure_photo
from color.simulate import Shadow, Shine
from color.skin import (
    LOWER_QUANTILES,
    LOWER_Z,
    RegionColour,
    _lower_side,
    _shadow_edge,
    shaded_pixels,
    specular_pixels,
)
from tests.color.conftest import render

LEFT_CHEEK = (-0.5, 0.15)  # the renderer's left cheek region, in face coordinates
SKIN_LIGHT, SKIN_MEDIUM, SKIN_TAN, SKIN_DARK = 20, 5, 43, 118  # L* 70, 48, 43, 35 (NIST; the last darkened)


def _left_cheek(card: ReferenceCard, skin_index: int, **scene_options: object) -> RegionColour:
    photo = render(card, skin_index=skin_index, **scene_options)
    return measure_photo(photo.jpeg, regions=[photo.regions[0]]).regions[0]


@pytest.fixture(scope="module")
def plain(card: ReferenceCard) -> dict[int, RegionColour]:
    return {skin: _left_cheek(card, skin) for skin in (SKIN_LIGHT, SKIN_MEDIUM, SKIN_TAN, SKIN_DARK)}


def test_a_plain_cheek_leaves_nothing_out(plain: dict[int, RegionColour]) -> None:
    assert all(region.left_out_share == 0.0 for region in plain.values())


@pytest.mark.parametrize(
    ("skin", "shine", "tolerance"),
    [
        # A small, strong highlight whose core clips (1.7 ΔE00 off before).
        (SKIN_MEDIUM, Shine(centre=LEFT_CHEEK, radius=0.05, strength=0.8), 0.8),
        # A wider, dimmer one off the region's centre (3.4 ΔE00 off before).
        (SKIN_LIGHT, Shine(centre=(-0.45, 0.12), radius=0.08, strength=0.3), 1.5),
    ],
)
def test_a_highlight_is_left_out_and_the_diffuse_colour_stays(
    card: ReferenceCard, plain: dict[int, RegionColour], skin: int, shine: Shine, tolerance: float
) -> None:
    shiny = _left_cheek(card, skin, shine=(shine,))
    assert float(delta_E00(shiny.Lab_D65, plain[skin].Lab_D65)) < tolerance
    assert 0.2 < shiny.left_out_share < 0.7  # the highlight is reported as left out


@pytest.mark.parametrize("skin", [SKIN_TAN, SKIN_DARK])
def test_a_shadow_over_half_the_cheek_leaves_the_lit_colour(
    card: ReferenceCard, plain: dict[int, RegionColour], skin: int
) -> None:
    """Half the region in a shadow with a soft, diagonal edge (3.5-4.6 ΔE00 off before: on darker skin lit and
    shaded sides are too close in CIELAB to count as two surfaces, so the shade was averaged in)."""
    shadow = Shadow(point=LEFT_CHEEK, direction_deg=135.0, fill=0.55, penumbra=0.06)
    shaded = _left_cheek(card, skin, shadows=(shadow,))
    assert float(delta_E00(shaded.Lab_D65, plain[skin].Lab_D65)) < 0.6
    assert shaded.left_out_share == pytest.approx(0.5, abs=0.1)


def test_a_dark_cheek_mostly_in_shadow_keeps_its_lit_part(card: ReferenceCard, plain: dict[int, RegionColour]) -> None:
    """60 % of a dark cheek at half the light (6.9 ΔE00 off before)."""
    shadow = Shadow(point=(-0.45, 0.15), direction_deg=180.0, fill=0.5, penumbra=0.04)
    shaded = _left_cheek(card, SKIN_DARK, shadows=(shadow,))
    assert float(delta_E00(shaded.Lab_D65, plain[SKIN_DARK].Lab_D65)) < 0.6
    assert shaded.left_out_share > 0.5


def test_a_cheek_mostly_shine_is_refused_and_the_other_measured(card: ReferenceCard) -> None:
    photo = render(card, skin_index=SKIN_MEDIUM, shine=(Shine(centre=LEFT_CHEEK, radius=0.08, strength=2.0),))
    with pytest.raises(RetakeNeeded) as error:
        measure_photo(photo.jpeg, regions=[photo.regions[0]])
    assert error.value.code == "region_not_skin"
    assert "'left_cheek'" in error.value.detail
    assert "shine" in error.value.detail
    measured = measure_photo(photo.jpeg, regions=photo.regions)
    assert [region.name for region in measured.regions] == ["right_cheek"]
    used = next(check for check in measured.quality if check.name == "regions_used")
    assert "left_cheek left out (region_not_skin" in used.detail
    assert float(delta_E00(measured.Lab_D65, photo.truth_Lab_D65)) < 1.5


def _cheek(highlight: float = 0.0, rows: int = 60, columns: int = 70) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """A region's linear pixels in raster order (as ``region_pixels`` gives them): skin with texture and noise,
    plus a white highlight of peak ``highlight`` (relative to the skin's brightness) at the grid's centre."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:rows, 0:columns]
    m = highlight * 0.33 * np.exp(-((x - columns / 2) ** 2 + (y - rows / 2) ** 2) / (2 * 8.0**2))
    texture = 1 + 0.04 * rng.standard_normal((rows, columns))
    linear = np.array([0.45, 0.32, 0.22]) * texture[..., None] + m[..., None]
    linear += 0.004 * rng.standard_normal(linear.shape)
    return linear.reshape(-1, 3), (m / 0.33).ravel() > 0.1  # where the shine adds over a tenth of the skin's light


def test_specular_pixels_find_the_highlight_and_nothing_on_clean_skin() -> None:
    clean, _ = _cheek()
    assert not specular_pixels(clean).any()
    shiny, strong = _cheek(highlight=0.6)
    found = specular_pixels(shiny)
    assert found[strong].mean() > 0.95  # nearly every pixel with over a tenth of added light
    assert found.mean() < 2 * strong.mean()  # and not far beyond the highlight


def _brightness_profile(light: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    rng = np.random.default_rng(3)
    skin_XYZ = np.array([0.30, 0.28, 0.20])  # any one chromaticity: a shadow scales it
    scale = light * (1 + 0.03 * rng.standard_normal(light.shape))
    return np.array([0.45, 0.32, 0.22]) * scale[:, None], skin_XYZ * scale[:, None]


def test_shaded_pixels_take_the_shadow_and_its_edge_not_a_slope_of_light() -> None:
    across = np.linspace(-1.0, 1.0, 4000)  # position across the region; the shadow's edge at 0.2, 0.1 wide
    step = np.clip((across - 0.15) / 0.1, 0.0, 1.0)
    light = 1.0 - 0.6 * step * step * (3 - 2 * step)
    linear, XYZ = _brightness_profile(light)
    shade = shaded_pixels(linear, XYZ)
    assert shade[across > 0.25].all()  # the shadow
    assert shade[across < 0.1].mean() < 0.01  # the lit side: its noise's far tail at most
    assert shade[(across > 0.15) & (across < 0.25)].mean() > 0.5  # most of the soft edge
    slope, slope_XYZ = _brightness_profile(np.linspace(0.6, 1.0, 4000))  # a cheek turning from the light
    assert not shaded_pixels(slope, slope_XYZ).any()


def test_the_skin_hue_half_planes_match_the_hue_angle() -> None:
    """The skin filter tests a*, b* against the two rays bounding ``SKIN_HUE_RANGE_DEG`` instead of computing the
    hue angle of every pixel: the same pixels pass."""
    from color.colorimetry import hue_angle_deg
    from color.skin_colour import SKIN_HUE_RANGE_DEG, _skin_hue

    rng = np.random.default_rng(11)
    Lab = np.column_stack([rng.uniform(0, 100, 20_000), rng.normal(0, 30, (20_000, 2))])
    hue = hue_angle_deg(Lab[:, 1], Lab[:, 2])
    inside = (hue >= SKIN_HUE_RANGE_DEG[0]) & (hue <= SKIN_HUE_RANGE_DEG[1])
    assert np.array_equal(_skin_hue(Lab), inside)


@given(st.lists(st.integers(0, 255), min_size=20, max_size=400), st.randoms(use_true_random=False))
def test_the_order_statistics_found_by_partial_sorts_are_the_sorted_ones(codes: list[int], shuffle: Random) -> None:
    """``_lower_side`` reads the lower quantiles (linear interpolation between the sorted values, as np.quantile)
    from a partial sort, and ``_shadow_edge`` takes its values in any order: 8-bit codes, so with many ties."""
    values = np.log(np.array(codes, dtype=np.float64) + 1.0)
    ordered = np.sort(values)
    position = np.multiply(LOWER_QUANTILES, len(values) - 1)
    index = position.astype(int)
    low, high = ordered[index] + (position - index) * (ordered[np.minimum(index + 1, len(values) - 1)] - ordered[index])
    sigma = max(float(high - low) / (LOWER_Z[1] - LOWER_Z[0]), 1e-12)
    assert _lower_side(values) == (float(high) - LOWER_Z[1] * sigma, sigma)
    assert [low, high] == pytest.approx(np.quantile(values, LOWER_QUANTILES), abs=1e-12)
    shuffled = list(values)
    shuffle.shuffle(shuffled)
    assert _shadow_edge(np.array(shuffled)) == _shadow_edge(np.sort(values))
