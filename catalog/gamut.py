"""Why a skin colour is out of the bases' reach: which limit binds and where the nearest reachable colour lies.

A limit binds when the continuous optimum sits on it (a base at its cap, the total pigment at either end of
the coverage's range, or held at the coverage's fixed load) and relaxing it by half lets the optimiser come
closer to the target (by at least ``BINDING_GAIN_DE00``): this is the finite-step version of a non-zero
Lagrange multiplier (Nocedal & Wright 2006, ch. 12). When no limit binds, the pigments' spectra themselves
cannot make the colour ("spectral shape"): the cure is another pigment, not another amount.

The nearest reachable colour is the recipe's own prediction; its gap from the target is given as CIE 1976
lightness, chroma and hue-angle differences (CIE 15:2018, 8.2.2), so a formulator reads "3 L* too light, 5 C*
too dull, 4° too yellow" rather than a bare ΔE00.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import colour
import numpy as np
from numpy.typing import NDArray

from catalog.bases import BaseLibrary

BINDING_GAIN_DE00 = 0.1  # relaxing a limit that binds brings the optimum at least this much closer
RELAXATION = 1.5  # how far a limit is relaxed to test it: caps and loads by half again
LimitKind = Literal["base_cap", "load_max", "load_min", "load_fixed", "spectral_shape"]
# Re-optimises the continuous recipe for a relaxed library and load range; returns its CIEDE2000 to the target.
Reoptimise = Callable[[BaseLibrary, float, "tuple[float, float] | None"], float]


@dataclass(frozen=True)
class GamutLimit:
    kind: LimitKind
    base: str | None  # the base at its cap, for ``base_cap``
    value: float | None  # the limit as a mass fraction of the foundation
    gain_dE00: float  # how much closer relaxing it by half gets (0 for ``spectral_shape``)

    def describe(self) -> str:
        if self.kind == "spectral_shape":
            return "no amount limit: the bases' spectra cannot make this colour"
        percent = f"{100 * (self.value or 0.0):.1f} %"
        what = {
            "base_cap": f"{self.base} at its cap of {percent}",
            "load_max": f"total pigment at its maximum of {percent}",
            "load_min": f"total pigment at its minimum of {percent}",
            "load_fixed": f"total pigment fixed at {percent} for this coverage",
        }[self.kind]
        return f"{what} (relaxed by half: {self.gain_dE00:.2f} ΔE00 closer)"


@dataclass(frozen=True)
class GamutGap:
    """How the nearest reachable colour (CIELAB D65) differs from the target, and what stops the recipe."""

    limits: tuple[GamutLimit, ...]
    lightness: float  # reachable L* − target L*
    chroma: float  # reachable C*ab − target C*ab
    hue_deg: float  # reachable hab − target hab, in (−180°, 180°]

    def describe(self) -> str:
        parts = []
        if abs(self.lightness) >= 0.5:
            parts.append(f"{abs(self.lightness):.1f} L* {'lighter' if self.lightness > 0 else 'darker'}")
        if abs(self.chroma) >= 0.5:
            parts.append(f"{abs(self.chroma):.1f} C* {'more saturated' if self.chroma > 0 else 'duller'}")
        if abs(self.hue_deg) >= 1.0:
            parts.append(f"{abs(self.hue_deg):.0f}° {'yellower' if self.hue_deg > 0 else 'redder'}")
        gap = ", ".join(parts) or "a small difference"
        return f"nearest reachable colour: {gap}; held back by " + "; ".join(lim.describe() for lim in self.limits)


def colour_gap(target_Lab: NDArray[np.float64], reached_Lab: NDArray[np.float64]) -> tuple[float, float, float]:
    """Lightness, chroma and hue-angle differences (reached − target) of two CIELAB colours."""
    # colour.Lab_to_LCHab is Jab_to_JCh under another name, made at run time where type checkers miss it.
    target, reached = colour.models.Jab_to_JCh(target_Lab), colour.models.Jab_to_JCh(reached_Lab)
    hue = (float(reached[2] - target[2]) + 180.0) % 360.0 - 180.0
    return float(reached[0] - target[0]), float(reached[1] - target[1]), hue if hue != -180.0 else 180.0


def active_limits(
    library: BaseLibrary, fractions: NDArray[np.float64], coverage: str, tolerance: float
) -> list[tuple[LimitKind, int | None]]:
    """The limits the recipe sits on, within ``tolerance`` (a mass fraction): bases at their caps, the total."""
    active: list[tuple[LimitKind, int | None]] = [
        ("base_cap", i) for i, (f, cap) in enumerate(zip(fractions, library.max_fraction, strict=True))
        if f >= cap - tolerance
    ]  # fmt: skip
    total = float(fractions.sum())
    load_range = library.pigment_load_range.get(coverage)
    if load_range is None:
        active.append(("load_fixed", None))
    elif total >= load_range[1] - tolerance:
        active.append(("load_max", None))
    elif total <= load_range[0] + tolerance:
        active.append(("load_min", None))
    return active


def binding_limits(
    library: BaseLibrary,
    fractions: NDArray[np.float64],
    coverage: str,
    delta_E00: float,
    *,
    reoptimise: Reoptimise,
    tolerance: float,
) -> tuple[GamutLimit, ...]:
    """The active limits that bind (relaxing one by half brings the optimum closer), best first."""
    load = library.pigment_load[coverage]
    load_range = library.pigment_load_range.get(coverage)
    ceiling = library.max_total_fraction
    found: list[GamutLimit] = []
    for kind, index in active_limits(library, fractions, coverage, tolerance):
        relaxed, relaxed_load, relaxed_range, value = library, load, load_range, 0.0
        if kind == "base_cap" and index is not None:
            caps = library.max_fraction.copy()
            value = float(caps[index])
            caps[index] = min(caps[index] * RELAXATION, 1.0)
            relaxed = replace(library, max_fraction=caps, max_total_fraction=max(ceiling, float(caps[index])))
        elif kind == "load_max" and load_range is not None:
            value = load_range[1]
            relaxed_range = (load_range[0], min(load_range[1] * RELAXATION, 1.0))
            relaxed = replace(library, max_total_fraction=max(ceiling, relaxed_range[1]))
        elif kind == "load_min" and load_range is not None:
            value = load_range[0]
            relaxed_range = (load_range[0] / RELAXATION, load_range[1])
        else:  # load_fixed: free the total within half again either way
            value = load
            relaxed_range = (load / RELAXATION, min(load * RELAXATION, float(library.max_fraction.sum()), 1.0))
            relaxed = replace(library, max_total_fraction=max(ceiling, relaxed_range[1]))
        gain = delta_E00 - reoptimise(relaxed, relaxed_load, relaxed_range)
        if gain >= BINDING_GAIN_DE00:
            found.append(GamutLimit(kind, library.names[index] if index is not None else None, value, gain))
    found.sort(key=lambda limit: -limit.gain_dE00)
    return tuple(found) or (GamutLimit("spectral_shape", None, None, 0.0),)
