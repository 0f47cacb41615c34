"""Why the lab's QC tolerance is 1.0 ΔE00 on each reading of a drawdown: how much a reading's error moves the colour
on the skin, for the opaque masstone and for the drawdown over the chart's black and over its white.

For every other skin of the NIST set, the library's recipe at medium and full coverage is perturbed four ways (each
base's fraction scaled by exp(t·z), z standard normal, for the bases the recipe uses) with t found by bisection so
that the reading (masstone, or the drawdown over black or white of ``catalog.drawdown_targets``) is exactly 1.0 ΔE00
from its target; then the film over that skin (``catalog.appearance.film_reflectance``) is compared with the intended
film on it. The printed ratios say how a reading's tolerance translates to the face (``TOLERANCE_DE00``).

The same run prints the drawdown targets themselves: the contrast ratio, how far over black and over white lie from
the masstone, and how far each moves when the applicator lays a film 10 % thinner than rated (its own tolerance).

Usage: ``python -m bench.bench_qc_tolerance [--quick] [--library VERSION]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

import numpy as np
from numpy.typing import NDArray

from bench.datasets import GRID_NM, skin_set
from catalog.appearance import Lab_under, film_reflectance
from catalog.bases import BaseLibrary
from catalog.correction import TOLERANCE_DE00
from catalog.drawdown_targets import DEFAULT_DRAWDOWN, DrawdownConditions, drawdown_Lab, drawdown_targets
from catalog.packaged_data import load_library
from catalog.recipe import predict_recipe
from color.colorimetry import delta_E00
from color.simulate import skin_truth_Lab

PERTURBATIONS = 4
BISECTION_STEPS = 30
READINGS = ("opaque", "black", "white")
THINNER = 0.9  # a film 10 % thinner than the applicator's rating (assumed applicator and levelling tolerance)
Reading = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def _scale_to(reading_dE00: Callable[[float], float], goal: float) -> float:
    """The step t at which the reading is ``goal`` ΔE00 off (bisection; the error grows with t)."""
    low, high = 0.0, 1.0
    while reading_dE00(high) < goal and high < 64:
        high *= 2
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        low, high = (middle, high) if reading_dE00(middle) < goal else (low, middle)
    return high


def _ratio(
    library: BaseLibrary,
    fractions: NDArray[np.float64],
    coverage: str,
    skin: NDArray[np.float64],
    direction: NDArray[np.float64],
    *,
    reading: Reading,
) -> float:
    """On-skin ΔE00 per ΔE00 of the reading, for the recipe moved along ``direction`` until the reading is the
    tolerance off."""
    wavelengths = library.wavelengths_nm
    target = reading(fractions)
    on_skin = Lab_under(wavelengths, film_reflectance(library, fractions, coverage, skin))

    def perturbed(t: float) -> NDArray[np.float64]:
        return np.asarray(fractions * np.exp(t * direction))

    def reading_off(t: float) -> float:
        return float(delta_E00(target, reading(perturbed(t))))

    step = _scale_to(reading_off, TOLERANCE_DE00)
    moved_on_skin = Lab_under(wavelengths, film_reflectance(library, perturbed(step), coverage, skin))
    return float(delta_E00(on_skin, moved_on_skin)) / reading_off(step)


def _readings(library: BaseLibrary) -> dict[str, Reading]:
    return {over: partial(drawdown_Lab, library, over=over) for over in READINGS}


def _drawdown_figures(library: BaseLibrary, fractions: NDArray[np.float64]) -> dict[str, float]:
    """Contrast ratio, over black and over white against the masstone, and each against a film 10 % thinner."""
    targets = drawdown_targets(library, fractions)
    thin = DrawdownConditions(wet_film_um=DEFAULT_DRAWDOWN.wet_film_um * THINNER)
    return {
        "contrast ratio": targets.contrast_ratio,
        "black vs masstone": float(delta_E00(targets.over_black_Lab, targets.masstone_Lab)),
        "white vs masstone": float(delta_E00(targets.over_white_Lab, targets.masstone_Lab)),
        "black, film -10 %": float(delta_E00(targets.over_black_Lab, drawdown_Lab(library, fractions, "black", thin))),
        "white, film -10 %": float(delta_E00(targets.over_white_Lab, drawdown_Lab(library, fractions, "white", thin))),
    }


def on_skin_per_reading(
    library: BaseLibrary, quick: bool, rng: np.random.Generator
) -> tuple[dict[tuple[str, str], NDArray[np.float64]], dict[tuple[str, str], NDArray[np.float64]]]:
    """Per (coverage, reading): on-skin ΔE00 per reading ΔE00; per (coverage, figure): the drawdown figures."""
    readings = _readings(library)
    ratios: dict[tuple[str, str], list[float]] = {}
    figures: dict[tuple[str, str], list[float]] = {}
    for sample in skin_set()[:: 8 if quick else 2]:
        skin = np.interp(library.wavelengths_nm, GRID_NM, sample.reflectance)
        target = skin_truth_Lab(GRID_NM, sample.reflectance)
        for coverage in ("medium", "full"):
            fractions = predict_recipe(library, target, coverage=coverage).fractions
            for name, value in _drawdown_figures(library, fractions).items():
                figures.setdefault((coverage, name), []).append(value)
            for _ in range(PERTURBATIONS):
                direction = rng.normal(size=fractions.shape) * (fractions > 0)
                for over, reading in readings.items():
                    ratio = _ratio(library, fractions, coverage, skin, direction, reading=reading)
                    ratios.setdefault((coverage, over), []).append(ratio)
    return (
        {key: np.array(values) for key, values in ratios.items()},
        {key: np.array(values) for key, values in figures.items()},
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="every 8th skin instead of every other")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--library", default=None, help="a packaged base library (default: the default library)")
    arguments, _ = parser.parse_known_args(argv)
    started = time.perf_counter()
    library = load_library(arguments.library)
    conditions = DEFAULT_DRAWDOWN
    print(
        f"QC tolerance, library {library.version}: drawdown {conditions.wet_film_um:g} µm wet over a chart of black "
        f"{conditions.black_reflectance:g} and white {conditions.white_reflectance:g}"
    )
    ratios, figures = on_skin_per_reading(library, arguments.quick, np.random.default_rng(arguments.seed))
    print("  on-skin ΔE00 per ΔE00 of the reading:")
    for (coverage, over), values in ratios.items():
        print(
            f"    {coverage:<6} {over:<6} {len(values):4d} perturbed recipes: median {np.median(values):.2f}, "
            f"p95 {np.quantile(values, 0.95):.2f}, max {values.max():.2f}"
        )
    print("  the drawdown targets (per recipe):")
    for (coverage, name), values in figures.items():
        print(
            f"    {coverage:<6} {name:<18} min {values.min():.3f}, median {np.median(values):.3f}, "
            f"p95 {np.quantile(values, 0.95):.3f}, max {values.max():.3f}"
        )
    print(f"  ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
