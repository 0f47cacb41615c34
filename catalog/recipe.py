"""Recipe prediction: base amounts that match a skin colour under daylight and keep the match under other lights.

For a target skin (its CIELAB under D65 and a reflectance estimated from it), find base mass fractions,
non-negative and within the library's load limits, that minimise

    ΔE00(D65) + METAMERISM_WEIGHT · mean ΔE00 under A, FL11 and LED-B3 + MASSTONE_WEIGHT · ΔE00(masstone),

where each ΔE00 compares the foundation film over the skin with the bare skin under that light (CIELAB of
that light's white) and the masstone term keeps sheer recipes, which barely change the skin, anchored to the
skin's colour. Rounding to the dispenser's resolution then searches the neighbouring gram amounts so that
rounding does not lose the match; the clear vehicle makes the bottle up to its exact size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import least_squares

from catalog.appearance import CHECK_ILLUMINANTS, Lab_under, film_reflectance
from catalog.bases import COVERAGES, BaseLibrary
from catalog.gamut import GamutGap, GamutLimit, binding_limits, colour_gap
from catalog.skin_spectrum import skin_reflectance_from_Lab
from color.colorimetry import delta_E00_between

METAMERISM_WEIGHT = 0.3
MASSTONE_WEIGHT = 0.1
IN_GAMUT_DE00 = 0.5  # a target matched better than this after rounding is in the bases' gamut
MAX_ROUNDING_PASSES = 20
LOAD_STIFFNESS = 1000.0  # CIELAB units per unit of load error: holds the bases' total at the coverage's load


class RecipeError(ValueError):
    code = "invalid_recipe_request"


@dataclass(frozen=True)
class Recipe:
    library_version: str
    coverage: str
    size_g: float
    resolution_g: float
    base_names: tuple[str, ...]
    grams: NDArray[np.float64]  # per base, multiples of the resolution
    vehicle_g: float
    predicted_Lab_D65: NDArray[np.float64]  # the film over the skin, D65
    target_Lab_D65: NDArray[np.float64]
    delta_E00: float
    metamerism_dE00: dict[str, float]  # film over skin against bare skin, per light
    in_gamut: bool
    gap: GamutGap | None = None  # out of gamut: what binds and how the nearest reachable colour differs

    @property
    def fractions(self) -> NDArray[np.float64]:
        result: NDArray[np.float64] = self.grams / self.size_g
        return result


class _Objective:
    """The colour error of a recipe for one skin, with everything that does not depend on the recipe cached."""

    def __init__(self, library: BaseLibrary, target_Lab: NDArray[np.float64], coverage: str) -> None:
        self.library = library
        self.coverage = coverage
        self.target = target_Lab
        self.skin = skin_reflectance_from_Lab(target_Lab)
        self.skin_under = {name: Lab_under(library.wavelengths_nm, self.skin, name) for name in CHECK_ILLUMINANTS}

    def parts(self, fractions: NDArray[np.float64]) -> tuple[float, dict[str, float], float]:
        wavelengths = self.library.wavelengths_nm
        on_skin = film_reflectance(self.library, fractions, self.coverage, self.skin)
        daylight = delta_E00_between(Lab_under(wavelengths, on_skin), self.target)
        metamerism = {
            name: delta_E00_between(Lab_under(wavelengths, on_skin, name), self.skin_under[name])
            for name in CHECK_ILLUMINANTS
        }
        masstone = delta_E00_between(
            Lab_under(wavelengths, film_reflectance(self.library, fractions, self.coverage, None)), self.target
        )
        return daylight, metamerism, masstone

    def __call__(self, fractions: NDArray[np.float64]) -> float:
        daylight, metamerism, masstone = self.parts(fractions)
        return daylight + METAMERISM_WEIGHT * float(np.mean(list(metamerism.values()))) + MASSTONE_WEIGHT * masstone

    def residuals(
        self, fractions: NDArray[np.float64], load: float, load_range: tuple[float, float] | None = None
    ) -> NDArray[np.float64]:
        """The same terms as CIELAB differences (smooth, for least squares), and the load as a stiff residual
        (with ``load_range``, only a total outside the range is penalised)."""
        wavelengths = self.library.wavelengths_nm
        on_skin = film_reflectance(self.library, fractions, self.coverage, self.skin)
        parts = [Lab_under(wavelengths, on_skin) - self.target]
        weight = np.sqrt(METAMERISM_WEIGHT / len(CHECK_ILLUMINANTS))
        parts += [weight * (Lab_under(wavelengths, on_skin, n) - self.skin_under[n]) for n in CHECK_ILLUMINANTS]
        masstone = film_reflectance(self.library, fractions, self.coverage, None)
        parts.append(np.sqrt(MASSTONE_WEIGHT) * (Lab_under(wavelengths, masstone) - self.target))
        total = float(np.sum(fractions))
        if load_range is None:
            parts.append(np.array([LOAD_STIFFNESS * (total - load)]))
        else:
            parts.append(
                np.array([LOAD_STIFFNESS * (max(total - load_range[1], 0.0) + min(total - load_range[0], 0.0))])
            )
        return np.concatenate(parts)


def validate_target(Lab: ArrayLike) -> NDArray[np.float64]:
    target = np.asarray(Lab, dtype=np.float64)
    if target.shape != (3,) or not np.all(np.isfinite(target)):
        raise RecipeError("The target must be three finite numbers L*, a*, b*.")
    if not 5.0 <= target[0] <= 98.0 or abs(target[1]) > 60 or abs(target[2]) > 60:
        raise RecipeError(
            f"L*a*b* {target[0]:g}, {target[1]:g}, {target[2]:g} is not a possible skin colour "
            "(L* 5-98, |a*| and |b*| at most 60)."
        )
    return target


def _starts(library: BaseLibrary, load: float) -> list[NDArray[np.float64]]:
    """Feasible starting recipes: the load spread evenly, and each of the first four bases leading."""
    n = len(library.names)
    starts = []
    for leading in (None, 1, 4):
        weights = np.ones(n)
        if leading is not None and leading < n:
            weights[leading] = 4.0 * n
        start = np.minimum(load * weights / weights.sum(), library.max_fraction)
        starts.append(start * load / start.sum() if start.sum() > 0 else start)
    return starts


def optimise_fractions(
    library: BaseLibrary, objective: _Objective, load: float, load_range: tuple[float, float] | None = None
) -> NDArray[np.float64]:
    """Continuous optimum: bases within their limits, adding up to the coverage's load (or, with
    ``load_range``, to any total within it: the load is chosen per skin).

    Bounded least squares (trust-region reflective) on the CIELAB differences from a few starts; the start
    that ends lowest in the CIEDE2000 objective wins.
    """
    upper = library.max_fraction
    best: tuple[float, NDArray[np.float64]] | None = None
    for start in _starts(library, load):
        result = least_squares(
            objective.residuals, np.clip(start, 1e-6, upper - 1e-9), bounds=(np.zeros_like(upper), upper),
            args=(load, load_range), method="trf", x_scale=0.05, max_nfev=400,
        )  # fmt: skip
        fractions = np.clip(result.x, 0.0, upper)
        total = load if load_range is None else float(np.clip(fractions.sum(), *load_range))
        fractions *= total / max(float(fractions.sum()), 1e-12)
        value = objective(fractions)
        if best is None or value < best[0]:
            best = (value, fractions)
    assert best is not None  # noqa: S101 - there is always at least one start
    return best[1]


def warm_reoptimiser(
    target_Lab: NDArray[np.float64], coverage: str, start: NDArray[np.float64]
) -> Callable[[BaseLibrary, float, tuple[float, float] | None], float]:
    """Re-optimises from ``start`` for a library with relaxed limits; returns the daylight CIEDE2000 reached.

    One bounded least-squares run from the current optimum: it moves only if the relaxed limit was holding
    it back (``catalog.gamut``).
    """

    def reoptimise(library: BaseLibrary, load: float, load_range: tuple[float, float] | None) -> float:
        objective = _Objective(library, target_Lab, coverage)
        upper = library.max_fraction
        result = least_squares(
            objective.residuals, np.clip(start, 1e-6, upper - 1e-9), bounds=(np.zeros_like(upper), upper),
            args=(load, load_range), method="trf", x_scale=0.05, max_nfev=400,
        )  # fmt: skip
        fractions = np.clip(result.x, 0.0, upper)
        if load_range is None:
            fractions *= load / max(float(fractions.sum()), 1e-12)
        return min(objective.parts(fractions)[0], objective.parts(start)[0])

    return reoptimise


def grams_for_batch(fractions: ArrayLike, size_g: float, resolution_g: float) -> tuple[NDArray[np.float64], float]:
    """Grams per base for a batch of ``size_g`` (the rest is the clear vehicle) from the recipe's mass fractions.

    The bases' total is rounded to whole dispenser steps once and shared out by largest remainders, so the
    lines add up exactly; returns the grams per base and the vehicle's grams.
    """
    fractions = np.asarray(fractions, dtype=np.float64)
    steps = largest_remainder_steps(fractions, round(float(fractions.sum()) * size_g / resolution_g))
    grams = np.asarray(steps * resolution_g, dtype=np.float64)
    return grams, round(size_g - float(grams.sum()), 6)


def largest_remainder_steps(
    fractions: NDArray[np.float64], total_steps: int, max_steps: NDArray[np.int64] | None = None
) -> NDArray[np.int64]:
    """Whole dispenser steps per base, proportional to ``fractions`` and adding up to ``total_steps`` exactly.

    Round down, then give the remaining steps to the largest remainders (Hamilton's method), never past
    ``max_steps``; a gap left by the limits goes to the base with the most room.
    """
    exact = fractions * total_steps / max(float(fractions.sum()), 1e-12)
    limit = max_steps if max_steps is not None else np.full(len(fractions), np.iinfo(np.int64).max)
    steps = np.minimum(np.floor(exact).astype(np.int64), limit)
    for index in np.argsort(-(exact - np.floor(exact))):
        if steps.sum() >= total_steps:
            break
        if steps[index] < limit[index]:
            steps[index] += 1
    while steps.sum() < total_steps:
        steps[int(np.argmax(limit - steps))] += 1
    return steps


def descend_on_grid(
    steps: NDArray[np.int64],
    score: Callable[[NDArray[np.int64]], float],
    max_steps: NDArray[np.int64],
    total_range: tuple[int, int],
    *,
    vehicle_moves: bool,
) -> NDArray[np.int64]:
    """Single-step descent on the dispenser's grid: moving one step from one base to another (and, with
    ``vehicle_moves``, adding or taking one step, the vehicle taking up the difference) is kept whenever it lowers
    ``score``, pass after pass until none does; no base below 0 or above ``max_steps``, the total within
    ``total_range``."""
    n = len(steps)
    moves = [(source, sink) for source in range(n) for sink in range(n) if source != sink]
    if vehicle_moves:  # -1 is the vehicle
        moves += [move for index in range(n) for move in ((-1, index), (index, -1))]
    current = score(steps)
    for _ in range(MAX_ROUNDING_PASSES):
        improved = False
        for source, sink in moves:
            candidate = steps.copy()
            if source >= 0:
                candidate[source] -= 1
            if sink >= 0:
                candidate[sink] += 1
            total = int(candidate.sum())
            if candidate.min() < 0 or np.any(candidate > max_steps) or not total_range[0] <= total <= total_range[1]:
                continue
            value = score(candidate)
            if value < current - 1e-9:
                steps, current, improved = candidate, value, True
        if not improved:
            break
    return steps


def round_to_resolution(
    library: BaseLibrary,
    objective: _Objective,
    fractions: NDArray[np.float64],
    *,
    load: float,
    size_g: float,
    resolution_g: float,
    load_range: tuple[float, float] | None = None,
) -> NDArray[np.float64]:
    """Grams per base on the dispenser's grid that add up to the coverage's load, searched around the optimum.

    Largest-remainder rounding hits the total exactly; then moving one step from one base to another is
    tried for every pair, keeping any move that lowers the colour error, until none does. With
    ``load_range`` the total is the optimum's, and adding or removing one step (the vehicle takes up the
    difference) is tried as well, within the range.
    """
    total = load if load_range is None else float(fractions.sum())
    total_steps = round(total * size_g / resolution_g)
    max_steps = np.floor(library.max_fraction * size_g / resolution_g + 1e-9).astype(np.int64)
    steps = largest_remainder_steps(fractions, total_steps, max_steps)

    def score(candidate: NDArray[np.int64]) -> float:
        return objective(np.asarray(candidate * resolution_g / size_g, dtype=np.float64))

    if load_range is None:
        steps = descend_on_grid(steps, score, max_steps, (total_steps, total_steps), vehicle_moves=False)
    else:
        least, most = (round(bound * size_g / resolution_g) for bound in load_range)
        steps = descend_on_grid(steps, score, max_steps, (least, most), vehicle_moves=True)
    grams = np.asarray(steps * resolution_g, dtype=np.float64)
    return grams


def predict_recipe(
    library: BaseLibrary,
    target_Lab: ArrayLike,
    *,
    coverage: str = "medium",
    size_g: float = 30.0,
    resolution_g: float = 0.01,
) -> Recipe:
    """The recipe for a skin colour (CIELAB D65, 2°) at a coverage, in grams for the ordered size."""
    target = validate_target(target_Lab)
    if coverage not in COVERAGES:
        raise RecipeError(f"Coverage must be one of {', '.join(COVERAGES)}, not {coverage!r}.")
    if not (np.isfinite(size_g) and 1.0 <= size_g <= 1000.0):
        raise RecipeError("The size must be between 1 g and 1000 g.")
    if not (np.isfinite(resolution_g) and 0.0001 <= resolution_g <= size_g / 100):
        raise RecipeError("The dispenser resolution must be between 0.0001 g and a hundredth of the size.")
    steps_in_size = size_g / resolution_g
    if abs(steps_in_size - round(steps_in_size)) > 1e-6:
        raise RecipeError("The size must be a whole number of dispenser steps.")
    objective = _Objective(library, target, coverage)
    load = library.pigment_load[coverage]
    load_range = library.pigment_load_range.get(coverage)
    fractions = optimise_fractions(library, objective, load, load_range)
    grams = round_to_resolution(
        library, objective, fractions, load=load, size_g=size_g, resolution_g=resolution_g, load_range=load_range
    )
    vehicle = round(size_g - float(grams.sum()), 10)
    daylight, metamerism, _ = objective.parts(grams / size_g)
    on_skin = film_reflectance(library, grams / size_g, coverage, objective.skin)
    predicted = Lab_under(library.wavelengths_nm, on_skin)
    gap = None
    if daylight > IN_GAMUT_DE00:
        continuous = objective.parts(fractions)[0]
        limits = (
            (GamutLimit("resolution", None, resolution_g / size_g, daylight - continuous),)
            if continuous <= IN_GAMUT_DE00
            else binding_limits(library, fractions, coverage, reoptimise=warm_reoptimiser(target, coverage, fractions))
        )
        gap = GamutGap(limits, **colour_gap(target, predicted))
    return Recipe(
        library_version=library.version,
        coverage=coverage,
        size_g=size_g,
        resolution_g=resolution_g,
        base_names=library.names,
        grams=grams,
        vehicle_g=vehicle,
        predicted_Lab_D65=predicted,
        target_Lab_D65=target,
        delta_E00=daylight,
        metamerism_dE00=metamerism,
        in_gamut=daylight <= IN_GAMUT_DE00,
        gap=gap,
    )
