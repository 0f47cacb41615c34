"""Why the lab's QC tolerance is 1.0 ΔE00 on the masstone: how much a masstone error moves the colour on the skin.

For every other skin of the NIST set, the default library's recipe at medium and full coverage is perturbed four
ways (each base's fraction scaled by exp(t·z), z standard normal, for the bases the recipe uses) with t found by
bisection so that the opaque masstone (the drawdown the lab measures) is exactly 1.0 ΔE00 from the intended one;
then the film over that skin (``catalog.appearance.film_reflectance``) is compared with the intended film on it.
The printed ratio says how a masstone tolerance translates to the face (``catalog.correction.TOLERANCE_DE00``).

Usage: ``python -m bench.bench_qc_tolerance [--quick]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from bench.datasets import GRID_NM, skin_set
from catalog.appearance import Lab_under, film_reflectance
from catalog.bases import BaseLibrary
from catalog.correction import TOLERANCE_DE00
from catalog.packaged_data import load_library
from catalog.recipe import predict_recipe
from color.colorimetry import delta_E00
from color.simulate import skin_truth_Lab

PERTURBATIONS = 4
BISECTION_STEPS = 30


def _scale_to(masstone_dE00: Callable[[float], float], goal: float) -> float:
    """The step t at which the masstone is ``goal`` ΔE00 off (bisection; the error grows with t)."""
    low, high = 0.0, 1.0
    while masstone_dE00(high) < goal and high < 64:
        high *= 2
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        low, high = (middle, high) if masstone_dE00(middle) < goal else (low, middle)
    return high


def _ratio(
    library: BaseLibrary,
    fractions: NDArray[np.float64],
    coverage: str,
    skin: NDArray[np.float64],
    direction: NDArray[np.float64],
) -> float:
    """On-skin ΔE00 per masstone ΔE00 of the recipe moved along ``direction`` until its masstone is the tolerance
    off."""
    wavelengths = library.wavelengths_nm
    masstone = Lab_under(wavelengths, film_reflectance(library, fractions, coverage, None))
    on_skin = Lab_under(wavelengths, film_reflectance(library, fractions, coverage, skin))

    def perturbed(t: float) -> NDArray[np.float64]:
        return np.asarray(fractions * np.exp(t * direction))

    def masstone_off(t: float) -> float:
        return float(
            delta_E00(masstone, Lab_under(wavelengths, film_reflectance(library, perturbed(t), coverage, None)))
        )

    step = _scale_to(masstone_off, TOLERANCE_DE00)
    moved_on_skin = Lab_under(wavelengths, film_reflectance(library, perturbed(step), coverage, skin))
    return float(delta_E00(on_skin, moved_on_skin)) / masstone_off(step)


def on_skin_per_masstone(quick: bool, rng: np.random.Generator) -> dict[str, NDArray[np.float64]]:
    library = load_library()
    found: dict[str, list[float]] = {"medium": [], "full": []}
    for sample in skin_set()[:: 8 if quick else 2]:
        skin = np.interp(library.wavelengths_nm, GRID_NM, sample.reflectance)
        target = skin_truth_Lab(GRID_NM, sample.reflectance)
        for coverage, ratios in found.items():
            fractions = predict_recipe(library, target, coverage=coverage).fractions
            for _ in range(PERTURBATIONS):
                direction = rng.normal(size=fractions.shape) * (fractions > 0)
                ratios.append(_ratio(library, fractions, coverage, skin, direction))
    return {coverage: np.array(values) for coverage, values in found.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="every 8th skin instead of every other")
    parser.add_argument("--seed", type=int, default=1)
    arguments, _ = parser.parse_known_args(argv)
    started = time.perf_counter()
    print(f"QC tolerance: on-skin ΔE00 per ΔE00 of masstone, library {load_library().version}")
    for coverage, ratios in on_skin_per_masstone(arguments.quick, np.random.default_rng(arguments.seed)).items():
        print(
            f"  {coverage:<6} {len(ratios):4d} perturbed recipes: median {np.median(ratios):.2f}, "
            f"p95 {np.quantile(ratios, 0.95):.2f}, max {ratios.max():.2f}"
        )
    print(f"  ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
