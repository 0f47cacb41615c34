"""All of a photo's regions measured in one batch give what each region measured alone gives.

``region_colours`` shares its colour conversions and CIEDE2000 calls between regions for speed; nothing a region
measures may depend on the other regions, and a refused region must not take the others with it.
"""

from __future__ import annotations

import numpy as np
import pytest

from color.calibrate import DEFAULT_METHOD, Calibration, fit, prepare
from color.card import ReferenceCard
from color.decode import decode_photo
from color.detect import locate_card
from color.errors import RetakeNeeded
from color.packaged_data import load_virtual_skin
from color.sampling import sample_patches
from color.simulate import RenderedPhoto, Shine
from color.skin import main_surface, parse_regions, region_pixels, surface_centres, surface_members
from color.skin_colour import RegionCodes, region_colour, region_colours, rough_skin_XYZ
from tests.color.conftest import render

WALL = {"name": "wall", "polygon": [[20, 20], [120, 20], [120, 120], [20, 120]]}


@pytest.fixture(scope="module")
def shiny_photo(card: ReferenceCard) -> RenderedPhoto:
    """A highlight on the left cheek: shine is left out there, none on the right one."""
    return render(card, skin_index=5, shine=(Shine(centre=(-0.5, 0.15), radius=0.05, strength=0.8),))


@pytest.fixture(scope="module")
def measured_inputs(card: ReferenceCard, shiny_photo: RenderedPhoto) -> tuple[list[RegionCodes], Calibration]:
    decoded = decode_photo(shiny_photo.jpeg)
    samples = sample_patches(decoded.BGR, locate_card(decoded.BGR, [card.layout]))
    calibration = fit(prepare(card, samples, load_virtual_skin()))
    regions = parse_regions([*shiny_photo.regions, WALL], decoded.size)
    ratios = (1.0, 1.08, 1.0)  # a region lit differently from the card divides its response by its own ratio
    items = [
        RegionCodes(region, region_pixels(decoded.BGR, region)[0], 0.9, ratio)
        for region, ratio in zip(regions, ratios, strict=True)
    ]
    return items, calibration


def test_a_batch_of_regions_measures_each_as_it_would_alone(
    measured_inputs: tuple[list[RegionCodes], Calibration],
) -> None:
    items, calibration = measured_inputs
    batch = region_colours(items, calibration)
    assert [type(result) for result in batch] == [type(batch[0]), type(batch[0]), RetakeNeeded]
    for item, together in zip(items[:2], batch[:2], strict=True):
        alone = region_colour(
            item.codes, item.region, calibration, off_card_share=item.off_card_share, light_ratio=item.light_ratio
        )
        assert not isinstance(together, RetakeNeeded)
        assert together.name == alone.name == item.region.name
        assert (together.kept, together.pixels) == (alone.kept, alone.pixels)
        np.testing.assert_allclose(together.Lab_D65, alone.Lab_D65, rtol=0, atol=1e-9)
        np.testing.assert_allclose(together.XYZ_D65, alone.XYZ_D65, rtol=0, atol=1e-12)
        assert together.spread_dE00 == pytest.approx(alone.spread_dE00, abs=1e-9)
        assert together.left_out_share == pytest.approx(alone.left_out_share, abs=1e-12)
    assert batch[0].left_out_share > batch[1].left_out_share + 0.1  # type: ignore[union-attr]  # the shine went


def test_a_refused_region_in_a_batch_is_named_and_raised_alone(
    measured_inputs: tuple[list[RegionCodes], Calibration],
) -> None:
    items, calibration = measured_inputs
    refusal = region_colours(items, calibration)[2]
    assert isinstance(refusal, RetakeNeeded)
    assert refusal.code == "region_not_skin"
    assert "'wall'" in refusal.detail
    assert refusal.__traceback__ is None  # kept without the frames that hold the photo's arrays
    wall = items[2]
    with pytest.raises(RetakeNeeded) as error:
        region_colour(wall.codes, wall.region, calibration)
    assert error.value.code == "region_not_skin"
    assert region_colours([], calibration) == []


def test_the_rough_skin_colour_is_the_mean_of_the_regions(
    measured_inputs: tuple[list[RegionCodes], Calibration],
) -> None:
    items, calibration = measured_inputs
    both = rough_skin_XYZ(items[:2], calibration)
    each = [rough_skin_XYZ([item], calibration) for item in items[:2]]
    np.testing.assert_allclose(both, np.mean(each, axis=0), rtol=1e-12)
    assert not np.allclose(each[0], each[1])


def test_main_surface_is_its_two_steps() -> None:
    rng = np.random.default_rng(3)
    skin = rng.normal([60.0, 14.0, 18.0], 1.5, (400, 3))
    hair = rng.normal([20.0, 4.0, 6.0], 1.5, (300, 3))
    for Lab in (skin, np.vstack([skin, hair]), skin[:10]):
        split = surface_centres(Lab)
        whole = main_surface(Lab)
        if split is None:
            parts = surface_members(Lab, None, None, 0.0)
        else:
            sample, centres = split
            parts = surface_members(Lab, sample, centres, whole[2])
        assert np.array_equal(parts[0], whole[0])
        assert parts[1:] == whole[1:]
    assert surface_centres(skin[:10]) is None


def test_an_unscored_first_fit_has_the_scored_correction(card: ReferenceCard, shiny_photo: RenderedPhoto) -> None:
    decoded = decode_photo(shiny_photo.jpeg)
    prepared = prepare(card, sample_patches(decoded.BGR, locate_card(decoded.BGR, [card.layout])), load_virtual_skin())
    scored = fit(prepared, methods=(DEFAULT_METHOD,), leave_one_out=False)
    unscored = fit(prepared, methods=(DEFAULT_METHOD,), leave_one_out=False, scored=False)
    np.testing.assert_array_equal(unscored.matrix, scored.matrix)
    assert unscored.method == scored.method == DEFAULT_METHOD
    assert np.isnan(unscored.residual_dE00).all()
    assert np.isfinite(scored.residual_dE00).all()
    with pytest.raises(ValueError, match="one method"):
        fit(prepared, scored=False, leave_one_out=False)
    with pytest.raises(ValueError, match="one method"):
        fit(prepared, methods=(DEFAULT_METHOD,), scored=False)


def test_a_noisy_skin_region_keeps_both_sides_of_its_pixel_cloud_at_the_hue_edge() -> None:
    """A cheek whose pixels scatter widely (a stacked-layer sensor's amplified noise: sd 5 in a* and b*) around a
    skin colour near the hue wedge's red edge (h 22°): the strict wedge drops the pixels that noise pushed past the
    edge and the mean of the rest moves; read through the noise, the kept mean stays where the skin is."""
    from color.skin_colour import _hue_tolerance, _skin_hue

    rng = np.random.default_rng(7)
    skin = np.array([60.0, 14.0, 5.7])  # hue 22°, 7° inside the 15° edge
    Lab = skin + rng.normal(0.0, [0.5, 5.0, 5.0], size=(4000, 3))
    strict = Lab[_skin_hue(Lab)]
    tolerance = _hue_tolerance(Lab)
    assert 2.5 * 4.5 < tolerance < 2.5 * 5.5  # 2.5 σ of the pixel noise
    read = Lab[_skin_hue(Lab, tolerance)]
    assert abs(strict[:, 2].mean() - skin[2]) > 1.0  # the strict wedge biases b* by more than a unit
    assert abs(read[:, 2].mean() - skin[2]) < 0.3
    assert len(read) > 0.97 * len(Lab)


def test_a_region_that_is_not_skin_hued_gets_no_noise_allowance() -> None:
    """Hair, a wall or fabric (here a blue-grey, h 230°): the strict wedge stays, so such a region is refused."""
    from color.skin_colour import _hue_tolerance

    rng = np.random.default_rng(8)
    Lab = np.array([40.0, -6.0, -7.0]) + rng.normal(0.0, 5.0, size=(2000, 3))
    assert _hue_tolerance(Lab) == 0.0
    assert _hue_tolerance(np.array([[60.0, 14.0, 5.7]] * 10)) == 0.0  # too few pixels to read a noise from
