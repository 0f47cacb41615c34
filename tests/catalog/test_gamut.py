"""Out-of-gamut recipes say which limit binds and how the nearest reachable colour differs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from catalog.bases import BaseLibrary
from catalog.gamut import BINDING_GAIN_DE00, GamutGap, GamutLimit, active_limits, binding_limits, colour_gap
from catalog.packaged_data import load_library
from catalog.recipe import IN_GAMUT_DE00, predict_recipe

PHYSICAL = load_library("phys-2026.2")


def test_colour_gap_is_lightness_chroma_and_signed_hue_across_the_wrap() -> None:
    gap = colour_gap(np.array([50.0, -10.0, 0.1]), np.array([53.0, -12.0, -0.1]))
    assert gap["lightness"] == pytest.approx(3.0)
    assert gap["chroma"] == pytest.approx(2.0, abs=1e-2)
    assert 0 < gap["hue_deg"] < 2  # 179.4° to 180.5°: a small step over the wrap, not −359°
    same = colour_gap(np.array([60.0, 10, 18]), np.array([60.0, 10, 18]))
    assert (same["lightness"], same["chroma"], same["hue_deg"]) == pytest.approx((0, 0, 0))


def test_no_hue_difference_is_stated_for_a_nearly_grey_colour() -> None:
    gap = colour_gap(np.array([98.0, 0.0, 0.0]), np.array([95.0, 2.0, 6.0]))
    assert gap["hue_deg"] is None
    assert "°" not in GamutGap((GamutLimit("spectral_shape", None, None, 0.0),), **gap).describe()


def test_yellower_and_redder_are_said_only_in_skins_quadrant() -> None:
    skin = GamutGap((), 0.0, 0.0, 8.0, target_hue_deg=55.0).describe()
    assert "8° yellower" in skin
    cyan = GamutGap((), 0.0, 0.0, 7.0, target_hue_deg=225.0).describe()
    assert "hue angle +7°" in cyan
    assert "yellower" not in cyan


# Three bases at their caps cannot be: white alone at its cap is over the medium maximum. A legal recipe on its
# limits: red at its cap and the total at the medium minimum.
def _red_at_cap_and_total_at_minimum() -> np.ndarray:
    fractions = np.zeros(len(PHYSICAL.names))
    red = PHYSICAL.names.index("red")
    fractions[red] = PHYSICAL.max_fraction[red]
    fractions[0] = PHYSICAL.pigment_load_range["medium"][0] - fractions[red]
    return fractions


def test_only_a_limit_whose_relaxation_helps_is_reported_and_the_largest_effect_comes_first() -> None:
    fractions = _red_at_cap_and_total_at_minimum()
    red = PHYSICAL.names.index("red")
    least, most = PHYSICAL.pigment_load_range["medium"]
    assert least <= fractions.sum() <= most
    assert (fractions <= PHYSICAL.max_fraction).all()

    def reoptimise(library: BaseLibrary, load: float, load_range: tuple[float, float] | None) -> float:
        if library.max_fraction[red] > PHYSICAL.max_fraction[red]:
            return 2.2  # relaxing red's cap: 0.8 closer than the control
        assert load_range is not None
        return 1.5 if load_range[0] < least else 3.0  # relaxing the minimum: 1.5 closer; the control: 3.0

    assert {kind for kind, _ in active_limits(PHYSICAL, fractions, "medium")} == {"base_cap", "load_min"}
    limits = binding_limits(PHYSICAL, fractions, "medium", reoptimise=reoptimise)
    assert [(limit.kind, limit.base) for limit in limits] == [("load_min", None), ("base_cap", "red")]
    assert limits[0].gain_dE00 == pytest.approx(1.5)
    assert limits[1].gain_dE00 == pytest.approx(0.8)
    assert limits[1].value == pytest.approx(PHYSICAL.max_fraction[red])


def test_the_gain_is_measured_against_a_control_run_not_the_optimum() -> None:
    """The re-optimisation from the optimum may itself end lower than the optimum: that is no binding limit."""
    fractions = _red_at_cap_and_total_at_minimum()
    limits = binding_limits(PHYSICAL, fractions, "medium", reoptimise=lambda *_: 2.5)
    assert [limit.kind for limit in limits] == ["spectral_shape"]


def test_limits_that_bind_only_together_are_combined() -> None:
    fractions = _red_at_cap_and_total_at_minimum()
    red = PHYSICAL.names.index("red")

    def reoptimise(library: BaseLibrary, load: float, load_range: tuple[float, float] | None) -> float:
        both = (
            library.max_fraction[red] > PHYSICAL.max_fraction[red]
            and load_range is not None
            and (load_range[0] < PHYSICAL.pigment_load_range["medium"][0])
        )
        return 2.0 if both else 3.0

    limits = binding_limits(PHYSICAL, fractions, "medium", reoptimise=reoptimise)
    assert [(limit.kind, limit.gain_dE00) for limit in limits] == [("combined", pytest.approx(1.0))]
    assert "together" in limits[0].describe()


def test_no_binding_limit_means_the_spectra_cannot_make_the_colour() -> None:
    fractions = np.array([0.0, 0.03, 0.03, 0.0, 0.03, 0.0])  # inside every cap and the medium range
    least, most = PHYSICAL.pigment_load_range["medium"]
    assert least < fractions.sum() < most
    assert active_limits(PHYSICAL, fractions, "medium") == []
    limits = binding_limits(PHYSICAL, fractions, "medium", reoptimise=lambda *_: 3.0)
    assert limits == (GamutLimit("spectral_shape", None, None, 0.0),)
    assert "spectra cannot make" in GamutGap(limits, 4.0, -5.6, -8.0).describe()


def test_a_fixed_load_library_relaxes_its_load_both_ways() -> None:
    demo = load_library("demo-2026.3")
    seen: list[tuple[float, float] | None] = []

    def reoptimise(library: BaseLibrary, load: float, load_range: tuple[float, float] | None) -> float:
        seen.append(load_range)
        return 3.0 if load_range is None else 3.0 - BINDING_GAIN_DE00

    limits = binding_limits(demo, np.full(len(demo.names), 0.01), "full", reoptimise=reoptimise)
    load = demo.pigment_load["full"]
    assert seen == [None, (pytest.approx(load / 1.5), pytest.approx(min(load * 1.5, 1.0)))]  # control, relaxed
    assert limits[0].kind == "load_fixed"
    assert "fixed at" in limits[0].describe()


def test_the_gap_reads_as_a_formulator_would_say_it() -> None:
    text = GamutGap((GamutLimit("base_cap", "black", 0.04, 0.8),), 4.0, -5.6, -8.0).describe()
    assert text == (
        "nearest reachable colour: 4.0 L* lighter, 5.6 C* duller, 8° redder; held back by black at its cap of "
        "4.0 % (relaxed by half: 0.80 ΔE00 closer)"
    )
    assert "0.3 L*" not in GamutGap((), 0.3, 0.2, 0.5).describe()  # below what a formulator would act on


def test_a_target_lost_only_to_rounding_blames_the_dispenser_step() -> None:
    """A light skin in a 5 g bottle: reached before rounding, not after 0.01 g steps of pigments at 0.1-0.5 %."""
    recipe = predict_recipe(PHYSICAL, [80, 5, 12], coverage="medium", size_g=5.0)
    assert not recipe.in_gamut
    assert recipe.gap is not None
    assert [limit.kind for limit in recipe.gap.limits] == ["resolution"]
    assert recipe.gap.limits[0].value == pytest.approx(0.01 / 5.0)
    assert "larger bottle" in recipe.gap.describe()
    assert predict_recipe(PHYSICAL, [80, 5, 12], coverage="medium", size_g=100.0).in_gamut


def test_a_capped_white_is_named_as_the_limit_for_a_light_skin() -> None:
    """A library whose white is capped at 3 % cannot lighten a light skin: the recipe says so."""
    caps = PHYSICAL.max_fraction.copy()
    caps[0] = 0.03
    recipe = predict_recipe(replace(PHYSICAL, max_fraction=caps), [72, 8, 15], coverage="medium")
    assert not recipe.in_gamut
    assert recipe.gap is not None
    assert recipe.gap.lightness < -5  # the nearest reachable colour is darker
    assert ("base_cap", "white") in [(limit.kind, limit.base) for limit in recipe.gap.limits]


def test_a_deep_saturated_skin_is_out_of_reach_of_iron_oxides_by_their_spectra() -> None:
    recipe = predict_recipe(PHYSICAL, [20, 9, 17], coverage="medium")
    assert recipe.delta_E00 > IN_GAMUT_DE00
    assert recipe.gap is not None
    assert [limit.kind for limit in recipe.gap.limits] == ["spectral_shape"]
    assert recipe.gap.lightness > 0  # the deepest reachable is lighter and duller
    assert recipe.gap.chroma < 0


def test_an_in_gamut_recipe_has_no_gap() -> None:
    recipe = predict_recipe(PHYSICAL, [60, 10, 18], coverage="medium")
    assert recipe.in_gamut
    assert recipe.gap is None
