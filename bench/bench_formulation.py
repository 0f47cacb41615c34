"""Formulation: reach of the demo bases over human skin, metamerism, and speed.

Reach uses the example library ``demo-2026.3`` (the shipped physical default has its own benchmark,
``bench.bench_pigments``); speed and concurrency use the default library, the one the service runs.

Reach: every skin colour of the NIST set and its darker versions (ITA to about −60°) gets a recipe; the
benchmark prints the distribution of CIEDE2000 to the target after rounding (goal: every one ≤ 0.5) and the
worst cases. Metamerism: the recipe film on the skin against the bare skin under A, FL11 and LED-B3 (goal:
median under A ≤ 1.0). Speed: one recipe (prediction and rounding) and one nearest-shade search over 10,000
shades, beside one vectorised ``colour.delta_E`` over the same shades measured in the same run.

Usage: ``python -m bench.bench_formulation [--quick]``
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import colour
import numpy as np

from bench.datasets import GRID_NM, shared_data, skin_set
from catalog.appearance import Lab_under, film_reflectance
from catalog.packaged_data import load_library
from catalog.recipe import predict_recipe
from catalog.shades import Shade, ShadeIndex, parse_catalogue
from color.colorimetry import delta_E00
from color.simulate import skin_truth_Lab
from color.skin_tone import ITA_from_Lab

DEMO = "demo-2026.3"


def reach(quick: bool) -> None:
    library = load_library(DEMO)
    samples = skin_set()[:: 6 if quick else 1]
    for coverage in ("medium", "full"):
        errors, metamerism, worst = [], {"A": [], "FL11": [], "LED-B3": []}, []
        true_skin: dict[str, list[float]] = {"D65": [], "A": []}
        started = time.perf_counter()
        for sample in samples:
            target = skin_truth_Lab(GRID_NM, sample.reflectance)
            recipe = predict_recipe(library, target, coverage=coverage)
            errors.append(recipe.delta_E00)
            for name, value in recipe.metamerism_dE00.items():
                metamerism[name].append(value)
            worst.append((recipe.delta_E00, sample.name, float(ITA_from_Lab(target))))
            # The same recipe on the subject's measured spectrum, not the one estimated from its CIELAB.
            skin = np.interp(library.wavelengths_nm, GRID_NM, sample.reflectance)
            on_skin = film_reflectance(library, recipe.fractions, coverage, skin)
            for light, values in true_skin.items():
                film_Lab = Lab_under(library.wavelengths_nm, on_skin, light)
                skin_Lab = Lab_under(library.wavelengths_nm, skin, light)
                values.append(float(delta_E00(film_Lab, skin_Lab)))
        elapsed = time.perf_counter() - started
        e = np.array(errors)
        ita = [w[2] for w in worst]
        print(f"reach, {coverage} coverage, library {library.version}: {len(e)} skins, ITA {min(ita):.0f}° to "
              f"{max(ita):.0f}°, in {elapsed:.0f} s")  # fmt: skip
        print(f"  ΔE00 to target after rounding: median {np.median(e):.3f}  p95 {np.percentile(e, 95):.3f}  "
              f"max {e.max():.3f}  share ≤ 0.5: {100 * np.mean(e <= 0.5):.1f} %")  # fmt: skip
        print("  worst: " + ", ".join(f"{name} (ITA {ita:.0f}°) {d:.2f}" for d, name, ita in sorted(worst)[-3:]))
        for name, values in metamerism.items():
            v = np.array(values)
            print(f"  metamerism, {name:6s} (ΔE00 on skin): median {np.median(v):.2f}  p95 {np.percentile(v, 95):.2f}")
        d65, a = np.array(true_skin["D65"]), np.array(true_skin["A"])
        print("  on the measured skin spectrum instead of the estimated one: ΔE00 under D65 median "
              f"{np.median(d65):.2f}  p95 {np.percentile(d65, 95):.2f}; under A median {np.median(a):.2f}  "
              f"p95 {np.percentile(a, 95):.2f}")  # fmt: skip


def real_catalogue() -> ShadeIndex | None:
    """The Pudding foundation shades (hex sampled from web images: approximate), when ../shared is present."""
    root = shared_data()
    if root is None:
        return None
    with (root / "foundation_shades" / "foundation_shades_combined_lab.csv").open() as handle:
        rows = [
            {"brand": r["brand"], "product": r["product"], "shade_name": r["shade_name"],
             "shade_code": r["shade_code"] or f"row {i}", "colour_space": "sRGB", "hex": r["hex"], "approximate": "yes"}
            for i, r in enumerate(csv.DictReader(handle)) if r["hex"]
        ]  # fmt: skip
    return ShadeIndex(parse_catalogue(json.dumps(rows), "json"))


def speed(repeats: int = 5) -> None:
    library = load_library()
    rng = np.random.default_rng(0)
    Lab = np.column_stack([rng.uniform(20, 90, 10_000), rng.uniform(0, 25, 10_000), rng.uniform(5, 30, 10_000)])
    shades = [Shade("b", "p", f"s{i}", str(i), tuple(row), "CIELAB D65", False) for i, row in enumerate(Lab)]
    index = ShadeIndex(shades)  # type: ignore[arg-type]
    target = np.array([55.0, 12.0, 17.0])
    timings: dict[str, list[float]] = {"recipe": [], "nearest": [], "delta_E": []}
    predict_recipe(library, target)  # warm caches
    for _ in range(repeats):
        started = time.perf_counter()
        predict_recipe(library, target, coverage="medium")
        timings["recipe"].append(time.perf_counter() - started)
        started = time.perf_counter()
        index.nearest(target, 5)
        timings["nearest"].append(time.perf_counter() - started)
        started = time.perf_counter()
        colour.delta_E(Lab, np.broadcast_to(target, Lab.shape), method="CIE 2000")
        timings["delta_E"].append(time.perf_counter() - started)
    yardstick = float(np.median(timings["delta_E"]))
    print(f"speed, median of {repeats} runs in one process:")
    print(f"  colour.delta_E over 10,000 shades (yardstick)   {1000 * yardstick:8.2f} ms")
    nearest = float(np.median(timings["nearest"]))
    print(f"  nearest 5 of 10,000 shades                      {1000 * nearest:8.2f} ms  {nearest / yardstick:6.2f}×")
    real = real_catalogue()
    if real is not None:
        started = time.perf_counter()
        matches = real.nearest(target, 3)
        elapsed = time.perf_counter() - started
        names = ", ".join(f"{m.shade.brand} {m.shade.name or m.shade.code} ({m.delta_E00:.2f})" for m in matches)
        print(f"  nearest 3 of the real catalogue ({len(real.shades)} shades, approximate colours) "
              f"{1000 * elapsed:6.2f} ms: {names}")  # fmt: skip
    recipe = float(np.median(timings["recipe"]))
    print(f"  one recipe (prediction and rounding)            {1000 * recipe:8.2f} ms  {recipe / yardstick:6.1f}×")


def concurrency(recipes: int = 12) -> None:
    """Recipes computed one after another against two at a time (the service's default
    ``TONEMATCH_MEASUREMENT_WORKERS``), as the API runs them: in worker threads."""
    library = load_library()
    rng = np.random.default_rng(1)
    targets = [np.array([rng.uniform(30, 75), rng.uniform(8, 16), rng.uniform(12, 22)]) for _ in range(recipes)]
    predict_recipe(library, targets[0])  # warm caches
    started = time.perf_counter()
    for target in targets:
        predict_recipe(library, target)
    serial = time.perf_counter() - started
    with ThreadPoolExecutor(max_workers=2) as pool:
        started = time.perf_counter()
        list(pool.map(lambda t: predict_recipe(library, t), targets))
        threaded = time.perf_counter() - started
    with ProcessPoolExecutor(max_workers=2) as processes:
        list(processes.map(_recipe_in_process, targets[:2]))  # start and warm both processes
        started = time.perf_counter()
        list(processes.map(_recipe_in_process, targets))
        two_processes = time.perf_counter() - started
    print(f"concurrency, {recipes} recipes: one at a time {serial:.2f} s; two threads {threaded:.2f} s "
          f"({serial / threaded:.2f}× the throughput); two processes {two_processes:.2f} s "
          f"({serial / two_processes:.2f}×)")  # fmt: skip


def _recipe_in_process(target: np.ndarray) -> float:
    return predict_recipe(load_library(), target).delta_E00


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args(argv if argv is not None else [])
    reach(arguments.quick)
    speed()
    concurrency()


if __name__ == "__main__":
    main(sys.argv[1:])
