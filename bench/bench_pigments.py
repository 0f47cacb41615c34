"""Formulation with the physical base library: reach, metamerism and what limits it, and its sensitivity.

Reach is measured with the shipped default library (``catalog.packaged_data.load_library()``), checked against a
rebuild from the optical constants in ``../shared/data/pigments`` (``catalog.physical_bases``), which also feeds
the sensitivity study (skipped without that folder). The skins are ``bench.datasets.skin_set()``: the 100 NIST
subjects and their melanin-darkened versions (200, ITA about −60° to +63°), as in ``bench_formulation``. What was
tuned on what: goethite's k (edge height, width, tail) on an assumed yellow iron oxide masstone (L* 60, a* 10,
b* 50); magnetite's flat k (0.5) on the pigment alone (an opaque, near-neutral black); particle sizes and the
vehicle's index from the literature (no fit); no pigment parameter was fitted to these skins. The per-coverage
load ranges (medium 8-18 %, full 14-25 %) were chosen after looking at every 8th skin, so the figures are also
printed for the other skins alone ("held out"). Printed first: each base's masstone (the pigment-level check).
Each skin gets the product's own ``predict_recipe`` at medium and full coverage. Printed: the share within 0.5
ΔE00 after rounding, median and p95, metamerism under A and FL11 (median), the same by ITA class, every skin left
out of gamut with the nearest reachable colour and the limits that bind (``catalog.gamut``), and every recipe with
its loadings, checked against the library's caps and load range. Then the share etc. with every particle diameter
30 % smaller and larger, and with the vehicle's index 1.45 and 1.50 instead of 1.47.
Goals (issue 14): ≥ 95 % within 0.5 at medium and ≥ 90 % at full coverage; A median ≤ 1.2, FL11 ≤ 2.0.

Usage: ``python -m bench.bench_pigments [--quick]``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bench.datasets import GRID_NM, shared_data, skin_set
from catalog.appearance import Lab_under, film_reflectance
from catalog.bases import BaseLibrary
from catalog.packaged_data import load_library
from catalog.physical_bases import N_MEDIUM, physical_library
from catalog.recipe import IN_GAMUT_DE00, predict_recipe
from color.simulate_scene import skin_truth_Lab
from color.skin_tone import ITA_CLASSES, ITA_class, ITA_from_Lab

CONSTANTS = "pigments/pigment_optical_constants_nk_300-1000nm.csv"
LOAD_RANGE_LOOKED_AT = 8  # the load ranges were chosen after looking at every 8th skin: the others are held out
SIZE_STEP = 0.3  # ±30 % on every median diameter
MEDIUM_INDICES = (1.45, 1.50)


@dataclass(frozen=True)
class Outcome:
    delta_E00: float
    metamerism_A: float
    metamerism_FL11: float
    ITA: float
    target: tuple[float, ...]
    reached: tuple[float, ...]
    binding: str  # the limits that bind, when out of gamut (catalog.gamut)
    load: float
    fractions: tuple[float, ...]


def _one(args: tuple[BaseLibrary, np.ndarray, str]) -> Outcome:
    library, reflectance, coverage = args
    target = skin_truth_Lab(GRID_NM, reflectance)
    recipe = predict_recipe(library, target, coverage=coverage)
    binding = (
        ""
        if recipe.gap is None
        else ", ".join(limit.kind if limit.base is None else f"{limit.base} cap" for limit in recipe.gap.limits)
    )
    return Outcome(
        recipe.delta_E00, recipe.metamerism_dE00["A"], recipe.metamerism_dE00["FL11"], float(ITA_from_Lab(target)),
        tuple(round(float(v), 1) for v in target), tuple(round(float(v), 1) for v in recipe.predicted_Lab_D65),
        binding, float(recipe.fractions.sum()), tuple(float(f) for f in recipe.fractions),
    )  # fmt: skip


def limit_breaches(library: BaseLibrary, fractions: tuple[float, ...], coverage: str) -> list[str]:
    """Every limit of the library a recipe breaks (none expected): a base over its cap, the total outside the
    coverage's range or over the vehicle's maximum. Checked here independently of the optimiser's bounds."""
    breaches = [
        f"{name} {100 * f:.2f} % > cap {100 * cap:.1f} %"
        for name, f, cap in zip(library.names, fractions, library.max_fraction, strict=True) if f > cap + 1e-9
    ]  # fmt: skip
    total = sum(fractions)
    least, most = library.pigment_load_range.get(coverage, (library.pigment_load[coverage],) * 2)
    if not least - 1e-9 <= total <= most + 1e-9:
        breaches.append(f"total {100 * total:.2f} % outside {100 * least:.1f}-{100 * most:.1f} %")
    if total > library.max_total_fraction + 1e-9:
        breaches.append(f"total {100 * total:.2f} % > vehicle maximum {100 * library.max_total_fraction:.1f} %")
    return breaches


def print_recipes(library: BaseLibrary, outcomes: list[Outcome], coverage: str) -> None:
    """One line per skin: target, loadings (% of the foundation), total, ΔE00, and the limits check."""
    caps = ", ".join(f"{n} ≤ {100 * c:g}" for n, c in zip(library.names, library.max_fraction, strict=True))
    load = "-".join(f"{100 * v:g}" for v in library.pigment_load_range.get(coverage, ()))
    print(f"  every recipe, {coverage} coverage (loadings in % of the foundation; limits: {caps}; total {load} %):")
    header = " ".join(f"{n[:8]:>8s}" for n in library.names)
    print(f"    ITA°   target L* a* b*      {header}   total  ΔE00  limits")
    breached = 0
    for o in sorted(outcomes, key=lambda o: -o.ITA):
        breaches = limit_breaches(library, o.fractions, coverage)
        breached += bool(breaches)
        print(f"    {o.ITA:5.0f}  {o.target[0]:5.1f} {o.target[1]:5.1f} {o.target[2]:5.1f}  "
              + " ".join(f"{100 * f:8.2f}" for f in o.fractions)
              + f"  {100 * o.load:6.2f}  {o.delta_E00:4.2f}  {'; '.join(breaches) or 'ok'}"
              + (f"  (out: {o.binding})" if o.binding else ""))  # fmt: skip
    print(f"  recipes within every limit: {len(outcomes) - breached} of {len(outcomes)}")


def run(library: BaseLibrary, samples: list[np.ndarray], coverage: str, pool: ProcessPoolExecutor) -> list[Outcome]:
    return list(pool.map(_one, [(library, s, coverage) for s in samples], chunksize=4))


class Scored(Protocol):
    """What ``summary`` reads of an outcome (this benchmark's, and ``bench_pigment_grades``')."""

    delta_E00: float
    metamerism_A: float
    metamerism_FL11: float


def summary(outcomes: Sequence[Scored]) -> str:
    e = np.array([o.delta_E00 for o in outcomes])
    A = np.array([o.metamerism_A for o in outcomes])
    F = np.array([o.metamerism_FL11 for o in outcomes])
    return (
        f"within 0.5: {100 * np.mean(e <= IN_GAMUT_DE00):5.1f} %  ΔE00 median {np.median(e):.2f} p95 "
        f"{np.percentile(e, 95):.2f}  A median {np.median(A):.2f}  FL11 median {np.median(F):.2f}"
    )


def masstones(library: BaseLibrary) -> None:
    print(f"masstones of {library.version} (opaque film of each base alone, D65, specular excluded):")
    for i, name in enumerate(library.names):
        fractions = np.zeros(len(library.names))
        fractions[i] = library.max_fraction[i]
        Lab = Lab_under(library.wavelengths_nm, film_reflectance(library, fractions, "medium", None))
        print(f"  {name:11s} L* {Lab[0]:5.1f}  a* {Lab[1]:5.1f}  b* {Lab[2]:5.1f}")


def reach(library: BaseLibrary, samples: list[np.ndarray], indices: list[int], pool: ProcessPoolExecutor) -> None:
    for coverage in ("medium", "full"):
        started = time.perf_counter()
        outcomes = run(library, samples, coverage, pool)
        ita = [o.ITA for o in outcomes]
        loads = [o.load for o in outcomes]
        print(f"reach, {coverage} coverage, {library.version}: {len(outcomes)} skins, ITA {min(ita):.0f}° to "
              f"{max(ita):.0f}°, pigment load {100 * min(loads):.1f}-{100 * max(loads):.1f} %, "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        print("  " + summary(outcomes))
        held_out = [o for i, o in zip(indices, outcomes, strict=True) if i % LOAD_RANGE_LOOKED_AT != 0]
        print(f"    held out ({len(held_out)} skins, not every {LOAD_RANGE_LOOKED_AT}th) " + summary(held_out))
        for _, name in ITA_CLASSES:
            group = [o for o in outcomes if ITA_class(o.ITA) == name]
            if group:
                print(f"    {name:13s} {len(group):3d} skins  " + summary(group))
        out = [o for o in outcomes if o.delta_E00 > IN_GAMUT_DE00]
        counts = Counter(o.binding for o in out)
        print(f"  out of gamut: {len(out)}; binding limit: " + "; ".join(f"{k} ×{v}" for k, v in counts.most_common()))
        for o in sorted(out, key=lambda o: -o.delta_E00)[:5]:
            print(f"    ITA {o.ITA:5.0f}°  target {o.target}  nearest reachable {o.reached}  ΔE00 {o.delta_E00:.2f}  "
                  f"({o.binding})")  # fmt: skip
        print_recipes(library, outcomes, coverage)


def sensitivity(table: str, samples: list[np.ndarray], pool: ProcessPoolExecutor) -> None:
    variants = {
        f"sizes −{100 * SIZE_STEP:.0f} %": {"size_scale": 1 - SIZE_STEP},
        "as shipped": {},
        f"sizes +{100 * SIZE_STEP:.0f} %": {"size_scale": 1 + SIZE_STEP},
        **{f"medium n {n:.2f} (shipped {N_MEDIUM:.2f})": {"n_medium": n} for n in MEDIUM_INDICES},
    }
    print(f"sensitivity, {len(samples)} of the skins:")
    for name, change in variants.items():
        library = physical_library(table, **change)  # type: ignore[arg-type]
        for coverage in ("medium", "full"):
            print(f"  {name:28s} {coverage:6s} " + summary(run(library, samples, coverage, pool)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args(argv if argv is not None else [])
    skins = [s.reflectance for s in skin_set()]
    root = shared_data()
    table = (root / CONSTANTS).read_text() if root is not None and (root / CONSTANTS).is_file() else None
    library = load_library()  # the shipped default, as the service uses it
    if table is not None:
        built = physical_library(table)
        same = built.version == library.version and np.allclose(built.K, library.K) and np.allclose(built.S, library.S)
        print(f"default library {library.version}; rebuilt from the optical constants: {built.version}, "
              f"{'identical' if same else 'DIFFERENT'} K and S")  # fmt: skip
    masstones(library)
    step = 6 if arguments.quick else 1
    with ProcessPoolExecutor(max_workers=2) as pool:
        reach(library, skins[::step], list(range(0, len(skins), step)), pool)
        if table is None:
            print("sensitivity: skipped (../shared/data/pigments is absent)")
            return
        sensitivity(table, skins[:: 12 if arguments.quick else 4], pool)


if __name__ == "__main__":
    main(sys.argv[1:])
