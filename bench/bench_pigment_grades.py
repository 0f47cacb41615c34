"""Pigment grades for the physical library, chosen on a tuning set that is not the benchmark's skins.

``bench_pigments`` scores the physical library (``catalog.physical_bases``) on the 200 benchmark skins (NIST
spectra and their melanin-darkened versions). Choosing pigment grades by that score would tune on the test,
so the grades are compared here on an independent **tuning set** of skin colours:

- the ten Monk Skin Tone swatches (``skin_reflectance/monk_skin_tone_scale.csv``; display colours published by
  Google, stated CC BY 4.0);
- ``N_SHADES`` real foundation shades (``foundation_shades/foundation_shades_combined_lab.csv``, The Pudding,
  MIT; colours sampled from retailers' swatch photos, so a few ΔE approximate), one per ITA step from
  ``ITA_RANGE_DEG``, among the shades whose hue and chroma are those of skin (``SKIN_HUE_DEG``, ``SKIN_CHROMA``).

Both are read from ``../shared/data`` at run time, never copied into the project; without it the script says
so and exits. Each colour gets the product's ``predict_recipe`` at medium and full coverage (the skin spectrum
is the one the product reconstructs from CIELAB). Printed per variant: the share within 0.5 ΔE00 after rounding,
median and p95 ΔE00, metamerism under A and FL11 (median), and the colours that fail with the nearest
reachable colour, and the applied film's contrast ratio (its hiding over black and white), because a variant can
also "win" by hiding less. ``--held-out`` then scores the named variants on the benchmark skins (every 2nd of
200, or ``--every 1``), once, after the choice.

The variants, one change each from phys-2026.2 (as a supplier sells them; sizes after Buxbaum & Pfaff 2005):
finer fine red (0.11, 0.10, 0.084 µm), a third, transparent (ultrafine) red, a finer yellow, a second,
coarser rutile, and higher iron oxide caps; then the combinations the single changes point to. The EU
nanomaterial test (Commission Recommendation 2022/C 229/01: ≥ 50 % of particles by number with an external
dimension of 1-100 nm) is printed per grade from its log-normal number distribution (the volume-equivalent
sphere's diameter; a needle's width, its smallest dimension, is smaller: see ``catalog.physical_bases``).

Measured 2026-12-02 (tuning set, within 0.5 ΔE00 medium / full): phys-2026.2 24.1 / 19.0 %; fine red 0.11,
0.10, 0.084 µm 25.9 / 22.4, 27.6 / 20.7, 32.8 / 22.4 %; fine red 0.11 µm with σg 1.3 36.2 / 22.4 % (shipped
as phys-2026.3 with the fine black at 0.12 µm: 36.2 / 22.4 %); yellow 0.15 µm 20.7 / 12.1 %; higher caps
24.1 / 19.0 %; fine black 0.12 µm alone 24.1 / 19.0 %. Added grades: coarse rutile 0.6 µm 50.0 / 20.7 %, but
only by hiding less (it fills the minimum load: applied contrast ratio at medium 0.18 against 0.58, so not
shipped); transparent red 72.4 / 44.8 % and transparent red and yellow 74.1 / 55.2 % (nanomaterials: for
information only). Held out, all 200 benchmark skins: phys-2026.2 75.0 / 52.0 %, phys-2026.3 84.5 / 84.0 %.

Usage: ``python -m bench.bench_pigment_grades [--only NAME ...] [--held-out NAME ...] [--every N]``
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.bench_pigments import summary as reach_summary
from bench.datasets import GRID_NM, shared_data, skin_set
from catalog.appearance import film_reflectance
from catalog.bases import BaseLibrary
from catalog.physical_bases import GRADES, PigmentGrade, nano_number_share, physical_library
from catalog.recipe import IN_GAMUT_DE00, predict_recipe
from color.simulate_scene import skin_truth_Lab
from color.skin_tone import ITA_from_Lab
from color.spectral import reflectance_to_XYZ

CONSTANTS = "pigments/pigment_optical_constants_nk_300-1000nm.csv"
MONK = "skin_reflectance/monk_skin_tone_scale.csv"
SHADES = "foundation_shades/foundation_shades_combined_lab.csv"
N_SHADES = 48  # one shade per ITA step: ~2 min per variant and coverage on 2 cores
ITA_RANGE_DEG = (-60.0, 75.0)  # the benchmark's span (−60° to +63°) and a little lighter, as shade ranges go
SKIN_HUE_DEG = (35.0, 80.0)  # hab of skin and of foundation shades (shades' 5th-95th percentile: 45-76°)
SKIN_CHROMA = (5.0, 50.0)  # C*ab: leaves out greys and mis-sampled swatches
SKIN_LIGHTNESS = (20.0, 92.0)
HELD_OUT_STEP = 2  # every 2nd of the 200 benchmark skins
COVERAGES = ("medium", "full")
HIDING_BACKGROUNDS = (0.01, 0.90)  # reflectance of an opacity chart's black and white (assumed flat)


@dataclass(frozen=True)
class Target:
    label: str
    Lab: tuple[float, float, float]


@dataclass(frozen=True)
class Outcome:
    label: str
    target: tuple[float, ...]
    reached: tuple[float, ...]
    delta_E00: float
    metamerism_A: float
    metamerism_FL11: float
    ITA: float
    contrast_ratio: float  # the applied film's hiding: Y over black / Y over white


def tuning_set(root: Path) -> list[Target]:
    """The Monk swatches and ``N_SHADES`` skin-coloured foundation shades spread evenly over ITA."""
    with (root / MONK).open() as handle:
        targets = [
            Target(f"Monk {row['mst_level']}", (float(row["L_star_D65"]), float(row["a_star_D65"]),
                                               float(row["b_star_D65"])))
            for row in csv.DictReader(handle)
        ]  # fmt: skip
    with (root / SHADES).open() as handle:
        shades = [
            row for row in csv.DictReader(handle)
            if SKIN_HUE_DEG[0] <= float(row["h_deg"]) <= SKIN_HUE_DEG[1]
            and SKIN_CHROMA[0] <= float(row["C_star"]) <= SKIN_CHROMA[1]
            and SKIN_LIGHTNESS[0] <= float(row["L_star"]) <= SKIN_LIGHTNESS[1]
        ]  # fmt: skip
    ita = np.array([float(row["ITA_deg"]) for row in shades])
    taken: set[int] = set()
    for step in np.linspace(*ITA_RANGE_DEG, N_SHADES):
        order = [int(i) for i in np.argsort(np.abs(ita - step)) if int(i) not in taken]
        index = order[0]
        taken.add(index)
        row = shades[index]
        name = f"{row['brand']} {row['product']} {row['shade_name'] or row['shade_code'] or row['hex']}".strip()
        targets.append(Target(name[:48], (float(row["L_star"]), float(row["a_star"]), float(row["b_star"]))))
    return targets


def _changed(grades: tuple[PigmentGrade, ...], name: str, **change: object) -> tuple[PigmentGrade, ...]:
    return tuple(replace(g, **change) if g.name == name else g for g in grades)  # type: ignore[arg-type]


# phys-2026.2's grades: 2026.3 (``GRADES``) changed the fine red (0.12 µm, σg 1.5) and the fine black (0.10 µm).
PHYS_2026_2 = _changed(_changed(GRADES, "red", median_um=0.12, gsd=1.5), "black_fine", median_um=0.10)


def _grade(name: str, **change: object) -> tuple[PigmentGrade, ...]:
    return _changed(PHYS_2026_2, name, **change)


def _with(grades: tuple[PigmentGrade, ...], *extra: PigmentGrade) -> tuple[PigmentGrade, ...]:
    return (*grades, *extra)


def _by_name(name: str) -> PigmentGrade:
    return next(g for g in PHYS_2026_2 if g.name == name)


TRANSPARENT_RED = replace(
    _by_name("red"), name="red_transparent", label="red iron oxide, hematite, transparent grade (CI 77491)",
    median_um=0.03, size_source="transparent iron oxides: needles of a few nm × tens of nm, i.e. 0.02-0.05 µm "
    "as the sphere of equal volume (Buxbaum & Pfaff 2005, to be verified); 0.03 µm, σg 1.5 assumed",
)  # fmt: skip
TRANSPARENT_YELLOW = replace(
    _by_name("yellow"), name="yellow_transparent", label="yellow iron oxide, goethite, transparent grade (CI 77492)",
    median_um=0.03, size_source="transparent iron oxides, as for the red: 0.03 µm as the sphere of equal volume "
    "(assumed); σg 1.5 assumed",
)  # fmt: skip
NARROW_RED = replace(
    _by_name("red"), name="red_narrow", label="red iron oxide, hematite, fine narrow-distribution grade (CI 77491)",
    median_um=0.11, gsd=1.3, size_source="number median 0.11 µm, σg 1.3 (assumed: a narrow precipitated grade); "
    "36 % of particles below 100 nm by number",
)  # fmt: skip
COARSE_WHITE = replace(
    _by_name("white"), name="white_coarse", label="titanium dioxide, rutile, coarse grade (CI 77891)",
    median_um=0.6, max_fraction=0.10, size_source="a coarse rutile, 0.6 µm (assumed; scatters less per gram "
    "than the 0.2-0.3 µm optimum); σg 1.4 assumed",
)  # fmt: skip
HIGHER_CAPS = {"yellow": 0.15, "red": 0.09, "red_blue": 0.09, "black": 0.06}


def _caps(grades: tuple[PigmentGrade, ...]) -> tuple[PigmentGrade, ...]:
    return tuple(replace(g, max_fraction=HIGHER_CAPS.get(g.name, g.max_fraction)) for g in grades)


VARIANTS: dict[str, tuple[PigmentGrade, ...]] = {
    "phys-2026.2": PHYS_2026_2,
    "black_fine 0.12 µm": _grade("black_fine", median_um=0.12),
    "red 0.11 µm": _grade("red", median_um=0.11),
    "red 0.10 µm": _grade("red", median_um=0.10),
    "red 0.084 µm": _grade("red", median_um=0.084),
    "red 0.11 µm σg 1.3": _grade("red", median_um=0.11, gsd=1.3),
    "+ narrow red 0.11 µm σg 1.3": _with(PHYS_2026_2, NARROW_RED),
    "+ transparent red 0.03 µm": _with(PHYS_2026_2, TRANSPARENT_RED),
    "+ transparent red and yellow": _with(PHYS_2026_2, TRANSPARENT_RED, TRANSPARENT_YELLOW),
    "yellow 0.15 µm": _grade("yellow", median_um=0.15),
    "+ coarse white 0.6 µm": _with(PHYS_2026_2, COARSE_WHITE),
    "iron oxide caps ×1.5": _caps(PHYS_2026_2),
    "+ coarse white, red 0.11 µm σg 1.3": _with(_grade("red", median_um=0.11, gsd=1.3), COARSE_WHITE),
    "+ coarse white, + transparent red": _with(PHYS_2026_2, COARSE_WHITE, TRANSPARENT_RED),
    "phys-2026.3": GRADES,
}


def applied_contrast_ratio(library: BaseLibrary, fractions: np.ndarray, coverage: str) -> float:
    """Y of the film at the coverage's thickness over ``HIDING_BACKGROUNDS``' black over their white: a grade that
    wins only by hiding less (a low-scattering white used to fill the load) shows here."""
    black, white = (
        reflectance_to_XYZ(library.wavelengths_nm, film_reflectance(library, fractions, coverage, np.full_like(
            library.wavelengths_nm, background)))[1]
        for background in HIDING_BACKGROUNDS
    )  # fmt: skip
    return float(black / white)


def _one(arguments: tuple[BaseLibrary, Target, str]) -> Outcome:
    library, target, coverage = arguments
    recipe = predict_recipe(library, target.Lab, coverage=coverage)
    return Outcome(
        target.label, tuple(round(v, 1) for v in target.Lab),
        tuple(round(float(v), 1) for v in recipe.predicted_Lab_D65), recipe.delta_E00,
        recipe.metamerism_dE00["A"], recipe.metamerism_dE00["FL11"], float(ITA_from_Lab(np.array(target.Lab))),
        applied_contrast_ratio(library, recipe.fractions, coverage),
    )  # fmt: skip


def summary(outcomes: list[Outcome]) -> str:
    """``bench_pigments``' summary, and the median contrast ratio (how much the film hides)."""
    return f"{reach_summary(outcomes)}  contrast ratio median {np.median([o.contrast_ratio for o in outcomes]):.2f}"


def grade_table(grades: tuple[PigmentGrade, ...]) -> str:
    return ", ".join(
        f"{g.name} {g.median_um:g} µm ≤{100 * g.max_fraction:g} % ({100 * nano_number_share(g):.0f} % < 100 nm)"
        for g in grades
    )


def evaluate(name: str, library: BaseLibrary, targets: list[Target], pool: ProcessPoolExecutor, verbose: bool) -> None:
    for coverage in COVERAGES:
        started = time.perf_counter()
        outcomes = list(pool.map(_one, [(library, t, coverage) for t in targets], chunksize=2))
        print(f"  {name:28s} {coverage:6s} {summary(outcomes)}  ({time.perf_counter() - started:.0f} s)")
        if verbose:
            for o in sorted((o for o in outcomes if o.delta_E00 > IN_GAMUT_DE00), key=lambda o: o.ITA):
                print(f"      fails: ITA {o.ITA:5.0f}°  {o.label:48s} {o.target} → {o.reached}  ΔE00 {o.delta_E00:.2f}")
        sys.stdout.flush()


def held_out_targets(step: int = HELD_OUT_STEP) -> list[Target]:
    skins = skin_set()[::step]
    return [Target(s.name, tuple(float(v) for v in skin_truth_Lab(GRID_NM, s.reflectance))) for s in skins]  # type: ignore[misc]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", nargs="*", default=None, help="variants to score on the tuning set")
    parser.add_argument("--held-out", nargs="*", default=[], help="variants to score on the benchmark skins")
    parser.add_argument("--every", type=int, default=HELD_OUT_STEP, help="held out: every n-th benchmark skin")
    parser.add_argument("--quiet", action="store_true", help="no list of failing colours")
    arguments = parser.parse_args(argv if argv is not None else [])
    root = shared_data()
    if root is None or not all((root / p).is_file() for p in (CONSTANTS, MONK, SHADES)):
        print("skipped: ../shared/data (optical constants, Monk scale, foundation shades) is absent")
        return
    table = (root / CONSTANTS).read_text()
    unknown = [n for n in [*(arguments.only or []), *arguments.held_out] if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {'; '.join(VARIANTS)}")
    names = list(VARIANTS) if arguments.only is None else arguments.only
    targets = tuning_set(root)
    print(f"tuning set: {len(targets)} colours (10 Monk swatches, {len(targets) - 10} foundation shades), ITA "
          f"{min(float(ITA_from_Lab(np.array(t.Lab))) for t in targets):.0f}° to "
          f"{max(float(ITA_from_Lab(np.array(t.Lab))) for t in targets):.0f}°")  # fmt: skip
    with ProcessPoolExecutor(max_workers=2) as pool:
        for name in names:
            print(f"{name}: {grade_table(VARIANTS[name])}")
            evaluate(name, physical_library(table, grades=VARIANTS[name]), targets, pool, not arguments.quiet)
        if arguments.held_out:
            held_out = held_out_targets(arguments.every)
            print(f"held out: {len(held_out)} benchmark skins (one in {arguments.every} of bench.datasets.skin_set())")
            for name in arguments.held_out:
                evaluate(name, physical_library(table, grades=VARIANTS[name]), held_out, pool, not arguments.quiet)


if __name__ == "__main__":
    main(sys.argv[1:])
