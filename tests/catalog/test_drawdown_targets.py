"""The drawdown a lab measures: over the chart's black and white at a stated wet film, the contrast ratio, the opaque
masstone as their limit, the thickness unit of each library, and corrections against a drawdown target."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from catalog.bases import BaseLibrary
from catalog.correction import batch_grams, batch_Lab, correct_batch, masstone_Lab, target_drawdown_Lab
from catalog.drawdown_targets import (
    DEFAULT_DRAWDOWN,
    DrawdownConditions,
    check_over,
    contrast_ratio,
    drawdown_Lab,
    drawdown_reflectance,
    drawdown_targets,
    film_units_per_um,
)
from catalog.packaged_data import load_library
from catalog.recipe import grams_for_batch, predict_recipe
from color.colorimetry import delta_E00_between
from color.errors import InvalidColorInput

DEMO = load_library("demo-2026.3")
PHYSICAL = load_library("phys-2026.2")
LIBRARIES = {"demo": DEMO, "physical": PHYSICAL}
THIN = DrawdownConditions(wet_film_um=10.0)  # a film thin enough that black and white show through clearly


def _mix(library: BaseLibrary, white: float, others: list[float]) -> NDArray[np.float64]:
    """A recipe: ``white`` of the white base and ``others`` of the first coloured bases."""
    mix = np.zeros(len(library.names))
    mix[library.names.index("white")] = white
    coloured = [i for i, name in enumerate(library.names) if name != "white"]
    for index, fraction in zip(coloured, others, strict=False):
        mix[index] = fraction
    return mix


recipes = st.tuples(
    st.sampled_from(sorted(LIBRARIES)),
    st.floats(0.005, 0.25),
    st.lists(st.floats(0.0, 0.08), min_size=1, max_size=4),
)


@settings(max_examples=40, deadline=None)
@given(recipe=recipes, thickness=st.floats(1.0, 200.0))
def test_over_white_is_lighter_than_over_black_and_the_contrast_ratio_is_in_0_1(
    recipe: tuple[str, float, list[float]], thickness: float
) -> None:
    library = LIBRARIES[recipe[0]]
    mix = _mix(library, recipe[1], recipe[2])
    conditions = DrawdownConditions(wet_film_um=thickness)
    black, white = (drawdown_reflectance(library, mix, over, conditions) for over in ("black", "white"))
    assert np.all(white >= black - 1e-12)
    L_white, L_black = (drawdown_Lab(library, mix, over, conditions)[0] for over in ("white", "black"))
    assert L_white >= L_black - 1e-9  # equal, to rounding, once the film hides the chart
    ratio = float(contrast_ratio(library, mix, conditions))
    assert 0 < ratio <= 1 + 1e-12


@settings(max_examples=25, deadline=None)
@given(recipe=recipes, thickness=st.floats(2.0, 60.0))
def test_both_readings_approach_the_masstone_and_the_ratio_rises_as_the_film_thickens(
    recipe: tuple[str, float, list[float]], thickness: float
) -> None:
    library = LIBRARIES[recipe[0]]
    mix = _mix(library, recipe[1], recipe[2])
    masstone = drawdown_Lab(library, mix, "opaque")
    thin, thick = DrawdownConditions(wet_film_um=thickness), DrawdownConditions(wet_film_um=thickness * 2)
    for over in ("black", "white"):
        nearer = delta_E00_between(drawdown_Lab(library, mix, over, thick), masstone)
        assert nearer <= delta_E00_between(drawdown_Lab(library, mix, over, thin), masstone) + 1e-9
    assert float(contrast_ratio(library, mix, thick)) >= float(contrast_ratio(library, mix, thin)) - 1e-12


@pytest.mark.parametrize("name", sorted(LIBRARIES))
def test_a_thick_film_is_the_masstone(name: str) -> None:
    library = LIBRARIES[name]
    mix = predict_recipe(library, [60.0, 11.0, 17.0], coverage="medium").fractions
    masstone = drawdown_Lab(library, mix, "opaque")
    thick = DrawdownConditions(wet_film_um=1000.0)
    for over in ("black", "white"):
        assert delta_E00_between(drawdown_Lab(library, mix, over, thick), masstone) < 0.01
        assert delta_E00_between(drawdown_Lab(library, mix, over, THIN), masstone) > 0.5  # the test can fail
    assert float(contrast_ratio(library, mix, thick)) == pytest.approx(1.0, abs=1e-4)


def test_a_vanishing_film_shows_the_chart_and_the_masstone_is_the_opaque_reading() -> None:
    mix = _mix(DEMO, 0.1, [0.02, 0.01])
    bare = DrawdownConditions(wet_film_um=1e-6)
    np.testing.assert_allclose(drawdown_reflectance(DEMO, mix, "black", bare), 0.02, atol=1e-6)
    np.testing.assert_allclose(drawdown_reflectance(DEMO, mix, "white", bare), 0.80, atol=1e-6)
    np.testing.assert_allclose(drawdown_Lab(DEMO, mix, "opaque"), masstone_Lab(DEMO, mix * 30, 30.0), atol=1e-9)


def test_readings_are_vectorised_over_recipes() -> None:
    mixes = np.stack([_mix(PHYSICAL, 0.05, [0.02]), _mix(PHYSICAL, 0.1, [0.01, 0.01])])
    reflectance = drawdown_reflectance(PHYSICAL, mixes, "black")
    assert reflectance.shape == (2, PHYSICAL.wavelengths_nm.size)
    np.testing.assert_allclose(reflectance[1], drawdown_reflectance(PHYSICAL, mixes[1], "black"))
    assert contrast_ratio(PHYSICAL, mixes).shape == (2,)


def test_each_library_says_how_thick_its_film_unit_is() -> None:
    assert film_units_per_um(PHYSICAL) == 1.0  # K and S per µm of wet film (its metadata)
    assert film_units_per_um(DEMO) == pytest.approx(0.1)  # medium coverage, 1.0 of its unit, read as 10 µm


@pytest.mark.parametrize("name", sorted(LIBRARIES))
def test_the_stated_drawdown_nearly_hides_the_chart_for_real_recipes(name: str) -> None:
    """The 75 µm film was chosen so that a foundation nearly hides the chart: its targets are close to the masstone
    (bench/bench_qc_tolerance.py measures how close over 50 skins)."""
    library = LIBRARIES[name]
    for skin in ([68.0, 9.0, 15.0], [52.0, 13.0, 20.0], [32.0, 10.0, 14.0]):
        targets = drawdown_targets(library, predict_recipe(library, skin, coverage="medium").fractions)
        assert targets.conditions == DEFAULT_DRAWDOWN
        assert 0.99 < targets.contrast_ratio <= 1.0
        assert targets.over_white_Lab[0] >= targets.over_black_Lab[0]
        for reading in (targets.over_black_Lab, targets.over_white_Lab):
            assert delta_E00_between(reading, targets.masstone_Lab) < 0.5


def test_the_target_does_not_depend_on_the_batch_size() -> None:
    fractions = predict_recipe(DEMO, [58.0, 12.0, 17.0], coverage="medium").fractions
    target = target_drawdown_Lab(DEMO, fractions, "black", THIN)
    np.testing.assert_allclose(target, drawdown_targets(DEMO, fractions, THIN).over_black_Lab)
    for size in (15.0, 30.0, 500.0):
        grams, _ = grams_for_batch(fractions, size, 0.01)
        assert delta_E00_between(batch_Lab(DEMO, grams, size, "black", THIN), target) < 0.3  # only rounding


@pytest.mark.parametrize("over", ["black", "white"])
def test_a_correction_works_against_either_drawdown_target(over: str) -> None:
    fractions = predict_recipe(DEMO, [58.0, 12.0, 17.0], coverage="medium").fractions
    grams, _ = grams_for_batch(fractions, 30.0, 0.01)
    targets = drawdown_targets(DEMO, fractions, THIN)
    target = targets.for_reading(over)
    on_target = correct_batch(DEMO, grams, 30.0, target, target_Lab=target, over=over, conditions=THIN)
    assert on_target.within_tolerance_before
    light = target + np.array([2.5, 0.0, 0.0])
    corrected = correct_batch(DEMO, grams, 30.0, light, target_Lab=target, over=over, conditions=THIN)
    assert not corrected.within_tolerance_before
    assert corrected.additions_g.sum() > 0
    assert corrected.within_tolerance_after
    assert corrected.predicted_delta_E00_after < corrected.delta_E00_before


def test_a_reading_is_judged_against_its_own_target() -> None:
    """At a thin film the two targets differ: the black target read as over white is a failed batch."""
    fractions = predict_recipe(DEMO, [58.0, 12.0, 17.0], coverage="medium").fractions
    grams, _ = grams_for_batch(fractions, 30.0, 0.01)
    targets = drawdown_targets(DEMO, fractions, THIN)
    assert delta_E00_between(targets.over_black_Lab, targets.over_white_Lab) > 1.0
    black = targets.over_black_Lab
    assert correct_batch(
        DEMO, grams, 30.0, black, target_Lab=black, over="black", conditions=THIN
    ).within_tolerance_before
    white = targets.for_reading("white")
    assert not correct_batch(
        DEMO, grams, 30.0, black, target_Lab=white, over="white", conditions=THIN
    ).within_tolerance_before


@pytest.mark.parametrize("over", ["grey", "Black", "", "masstone"])
def test_an_unknown_reading_is_refused_with_the_choices(over: str) -> None:
    with pytest.raises(InvalidColorInput, match=r"'black' or 'white'.*'opaque'") as refused:
        check_over(over)
    assert refused.value.hint
    with pytest.raises(InvalidColorInput):
        drawdown_Lab(DEMO, _mix(DEMO, 0.1, [0.01]), over)


@pytest.mark.parametrize(
    "conditions",
    [
        {"wet_film_um": 0.0},
        {"wet_film_um": float("nan")},
        {"wet_film_um": 5000.0},
        {"black_reflectance": 0.9},
        {"white_reflectance": 1.2},
        {"black_reflectance": 0.0},
    ],
)
def test_impossible_drawdown_conditions_are_refused(conditions: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"wet film|reflectances"):
        DrawdownConditions(**conditions)  # type: ignore[arg-type]


@pytest.mark.parametrize("fractions", [[0.1], [np.nan] * 8, [-0.1] + [0.0] * 7, [0.5] * 8])
def test_a_recipe_that_is_not_one_is_refused(fractions: list[float]) -> None:
    with pytest.raises(ValueError, match="one mass fraction per base"):
        drawdown_targets(DEMO, fractions)


def test_no_addition_is_offered_when_none_brings_the_batch_nearer() -> None:
    """A batch far darker over white than its target, with the physical library: additions of at most a tenth of the
    batch cannot lighten it (the least-squares step in CIELAB made it worse in ΔE00 before). None is offered and the
    error stays what it was, so the lab remakes the batch."""
    fractions = predict_recipe(PHYSICAL, [58.0, 12.0, 17.0], coverage="medium").fractions
    grams, _ = grams_for_batch(fractions, 30.0, 0.01)
    targets = drawdown_targets(PHYSICAL, fractions, THIN)
    corrected = correct_batch(
        PHYSICAL, grams, 30.0, targets.over_black_Lab, target_Lab=targets.over_white_Lab, over="white", conditions=THIN
    )
    assert corrected.delta_E00_before > 10
    assert not corrected.additions_g.any()
    assert corrected.predicted_delta_E00_after == corrected.delta_E00_before
    assert not corrected.within_tolerance_after


def test_a_small_batch_is_rounded_to_keep_its_drawdowns_near_the_recipe() -> None:
    """A light skin's physical recipe holds a few tenths of a per cent of red and yellow: a few 0.01 g steps in a
    15 g batch. Largest remainders alone put that batch 1.39 ΔE00 from its target (over the QC tolerance); the
    search on the dispenser's grid brings the worst reading under half the tolerance, within every cap."""
    fractions = predict_recipe(PHYSICAL, [75.0, 7.0, 14.0], coverage="medium").fractions
    targets = {over: drawdown_Lab(PHYSICAL, fractions, over) for over in ("black", "white", "opaque")}

    def worst(grams: NDArray[np.float64]) -> float:
        return max(delta_E00_between(drawdown_Lab(PHYSICAL, grams / 15.0, o), t) for o, t in targets.items())

    plain, _ = grams_for_batch(fractions, 15.0, 0.01)
    searched, vehicle = batch_grams(PHYSICAL, fractions, 15.0, 0.01)
    assert worst(plain) > 1.0
    assert worst(searched) < 0.5
    assert np.allclose(searched / 0.01, np.round(searched / 0.01))
    assert searched.sum() + vehicle == pytest.approx(15.0)
    assert np.all(searched <= PHYSICAL.max_fraction * 15.0 + 1e-9)
    at_bottle, _ = batch_grams(PHYSICAL, fractions, 30.0, 0.01)  # the recipe's own size: its own grams
    assert np.allclose(at_bottle, fractions * 30.0)
