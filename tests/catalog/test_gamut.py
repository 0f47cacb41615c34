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
    lightness, chroma, hue = colour_gap(np.array([50.0, -10.0, 0.1]), np.array([53.0, -12.0, -0.1]))
    assert lightness == pytest.approx(3.0)
    assert chroma == pytest.approx(2.0, abs=1e-2)
    assert 0 < hue < 2  # 179.4° to 180.5°: a small step over the wrap, not −359°
    assert colour_gap(np.array([60.0, 10, 18]), np.array([60.0, 10, 18])) == pytest.approx((0, 0, 0))


def test_only_a_limit_whose_relaxation_helps_is_reported_and_the_largest_effect_comes_first() -> None:
    fractions = PHYSICAL.max_fraction * 0.0
    fractions[0], fractions[2] = PHYSICAL.max_fraction[0], PHYSICAL.max_fraction[2]  # white and red at their caps
    fractions[1] = PHYSICAL.pigment_load_range["medium"][1] - fractions.sum()  # total at the medium maximum
    gains = {"white": 0.05, "red": 0.8, "total": 1.5}

    def reoptimise(library: BaseLibrary, load: float, load_range: tuple[float, float] | None) -> float:
        if library.max_fraction[0] > PHYSICAL.max_fraction[0]:
            return 3.0 - gains["white"]
        if library.max_fraction[2] > PHYSICAL.max_fraction[2]:
            return 3.0 - gains["red"]
        assert load_range is not None
        return 3.0 - gains["total"]

    kinds = {kind for kind, _ in active_limits(PHYSICAL, fractions, "medium", 1e-6)}
    assert kinds == {"base_cap", "load_max"}
    limits = binding_limits(PHYSICAL, fractions, "medium", 3.0, reoptimise=reoptimise, tolerance=1e-6)
    assert [(limit.kind, limit.base) for limit in limits] == [("load_max", None), ("base_cap", "red")]
    assert limits[1].value == pytest.approx(PHYSICAL.max_fraction[2])
    assert limits[0].gain_dE00 == pytest.approx(1.5)


def test_no_binding_limit_means_the_spectra_cannot_make_the_colour() -> None:
    fractions = np.array([0.0, 0.01, 0.03, 0.0, 0.03, 0.0])  # inside every cap and the medium range
    limits = binding_limits(PHYSICAL, fractions, "medium", 3.0, reoptimise=lambda *_: 2.99, tolerance=1e-6)
    assert limits == (GamutLimit("spectral_shape", None, None, 0.0),)
    assert "spectra cannot make" in GamutGap(limits, 4.0, -5.6, -8.0).describe()


def test_a_fixed_load_library_relaxes_its_load_both_ways() -> None:
    demo = load_library("demo-2026.3")
    seen: list[tuple[float, float] | None] = []

    def reoptimise(library: BaseLibrary, load: float, load_range: tuple[float, float] | None) -> float:
        seen.append(load_range)
        return 1.0

    limits = binding_limits(
        demo, np.full(len(demo.names), 0.01), "full", 1.0 + BINDING_GAIN_DE00, reoptimise=reoptimise, tolerance=0
    )
    load = demo.pigment_load["full"]
    assert seen == [(pytest.approx(load / 1.5), pytest.approx(min(load * 1.5, 1.0)))]
    assert limits[0].kind == "load_fixed"
    assert "fixed at" in limits[0].describe()


def test_the_gap_reads_as_a_formulator_would_say_it() -> None:
    text = GamutGap((GamutLimit("base_cap", "black", 0.04, 0.8),), 4.0, -5.6, -8.0).describe()
    assert text == (
        "nearest reachable colour: 4.0 L* lighter, 5.6 C* duller, 8° redder; held back by black at its cap of "
        "4.0 % (relaxed by half: 0.80 ΔE00 closer)"
    )
    assert "0.3 L*" not in GamutGap((), 0.3, 0.2, 0.5).describe()  # below what a formulator would act on


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
