"""Why a skin colour is out of the bases' reach: which limit binds and where the nearest reachable colour lies.

A limit binds when the continuous optimum sits on it (a base at its cap, the total pigment at either end of
the coverage's range, or held at the coverage's fixed load) and relaxing it by half lets the optimiser come
closer to the target than a control run with nothing relaxed (by at least ``BINDING_GAIN_DE00``): the
finite-step version of a non-zero Lagrange multiplier (Nocedal & Wright 2006, ch. 12). Limits that bind only
together are ``combined``; when nothing binds, the pigments' spectra themselves cannot make the colour ("spectral
shape"): the cure is another pigment, not another amount. A target reached before rounding but not after is held
back by the dispenser's step (``resolution``).

The nearest reachable colour is the recipe's own prediction; its gap from the target is given as CIE 1976
lightness, chroma and hue-angle differences (CIE 15:2018, 8.2.2), so a formulator reads "3 L* lighter, 5 C*
duller, 4° yellower" rather than a bare ΔE00.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import colour
import numpy as np
from numpy.typing import NDArray

from catalog.bases import BaseLibrary

BINDING_GAIN_DE00 = 0.1  # relaxing a limit that binds brings the optimum at least this much closer
RELAXATION = 1.5  # how far a limit is relaxed to test it: caps and loads by half again
ACTIVE_TOLERANCE = 1e-4  # a continuous optimum this close to a limit (mass fraction) sits on it
MIN_CHROMA_FOR_HUE = 3.0  # below this C*ab a hue angle means little: no hue difference is stated
LimitKind = Literal["base_cap", "load_max", "load_min", "load_fixed", "combined", "resolution", "spectral_shape"]
# Re-optimises the continuous recipe for a library and load range; returns its CIEDE2000 to the target.
Reoptimise = Callable[[BaseLibrary, float, "tuple[float, float] | None"], float]


@dataclass(frozen=True)
class GamutLimit:
    kind: LimitKind
    base: str | None  # the base at its cap, for ``base_cap``
    value: float | None  # the limit as a mass fraction of the foundation (the dispenser step for ``resolution``)
    gain_dE00: float  # how much closer relaxing it by half gets (rounding's cost for ``resolution``)

    def describe(self) -> str:
        percent = f"{100 * (self.value or 0.0):.1f} %"
        if self.kind == "spectral_shape":
            return "no amount limit, alone or together: the bases' spectra cannot make this colour"
        if self.kind == "resolution":
            return (
                f"the dispenser's step, {100 * (self.value or 0.0):.3f} % of the bottle: rounding to it costs "
                f"{self.gain_dE00:.2f} ΔE00 (a larger bottle rounds finer)"
            )
        what = {
            "base_cap": f"{self.base} at its cap of {percent}",
            "load_max": f"total pigment at its maximum of {percent}",
            "load_min": f"total pigment at its minimum of {percent}",
            "load_fixed": f"total pigment fixed at {percent} for this coverage",
            "combined": "the limits it sits on together (none alone)",
        }[self.kind]
        return f"{what} (relaxed by half: {self.gain_dE00:.2f} ΔE00 closer)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "base": self.base,
            "limit_fraction": None if self.value is None else round(self.value, 6),
            "gain_dE00": round(self.gain_dE00, 3),
        }


@dataclass(frozen=True)
class GamutGap:
    """How the nearest reachable colour (CIELAB D65) differs from the target, and what stops the recipe."""

    limits: tuple[GamutLimit, ...]
    lightness: float  # reachable L* − target L*
    chroma: float  # reachable C*ab − target C*ab
    hue_deg: float | None  # reachable hab − target hab in (−180°, 180°]; None when either is nearly achromatic
    target_hue_deg: float = 60.0

    def describe(self) -> str:
        parts = []
        if abs(self.lightness) >= 0.5:
            parts.append(f"{abs(self.lightness):.1f} L* {'lighter' if self.lightness > 0 else 'darker'}")
        if abs(self.chroma) >= 0.5:
            parts.append(f"{abs(self.chroma):.1f} C* {'more saturated' if self.chroma > 0 else 'duller'}")
        if self.hue_deg is not None and abs(self.hue_deg) >= 1.0:
            if 0.0 <= self.target_hue_deg <= 90.0:  # skin's quadrant: a larger hue angle is yellower
                parts.append(f"{abs(self.hue_deg):.0f}° {'yellower' if self.hue_deg > 0 else 'redder'}")
            else:
                parts.append(f"hue angle {self.hue_deg:+.0f}°")
        gap = ", ".join(parts) or "a small difference"
        return f"nearest reachable colour: {gap}; held back by " + "; ".join(lim.describe() for lim in self.limits)

    def to_dict(self) -> dict[str, Any]:
        """The gap as the API and the CLI give it."""
        return {
            "lightness_difference": round(self.lightness, 2),
            "chroma_difference": round(self.chroma, 2),
            "hue_difference_deg": None if self.hue_deg is None else round(self.hue_deg, 1),
            "binding_limits": [limit.to_dict() for limit in self.limits],
            "explanation": self.describe(),
        }


def colour_gap(target_Lab: NDArray[np.float64], reached_Lab: NDArray[np.float64]) -> dict[str, Any]:
    """Lightness, chroma and hue-angle differences (reached − target) of two CIELAB colours (CIE 15:2018, 8.2.2:
    ΔL*, ΔC*ab, Δhab), as ``GamutGap`` fields; the hue difference is left out when either chroma is below
    ``MIN_CHROMA_FOR_HUE``."""
    # colour.Lab_to_LCHab is Jab_to_JCh under another name, made at run time where type checkers miss it.
    target, reached = colour.models.Jab_to_JCh(target_Lab), colour.models.Jab_to_JCh(reached_Lab)
    hue: float | None = (float(reached[2] - target[2]) + 180.0) % 360.0 - 180.0
    if hue == -180.0:
        hue = 180.0
    if min(float(target[1]), float(reached[1])) < MIN_CHROMA_FOR_HUE:
        hue = None
    return {
        "lightness": float(reached[0] - target[0]),
        "chroma": float(reached[1] - target[1]),
        "hue_deg": hue,
        "target_hue_deg": float(target[2]),
    }


def active_limits(
    library: BaseLibrary, fractions: NDArray[np.float64], coverage: str, tolerance: float = ACTIVE_TOLERANCE
) -> list[tuple[LimitKind, int | None]]:
    """The limits the continuous optimum sits on, within ``tolerance`` (a mass fraction): bases at their caps and
    the total pigment at an end of the coverage's range (or the coverage's fixed load)."""
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


_Limits = tuple[BaseLibrary, float, "tuple[float, float] | None"]


def relax(limits: _Limits, kind: LimitKind, index: int | None) -> tuple[_Limits, float]:
    """The library, load and load range with one limit relaxed by ``RELAXATION``, and that limit's value."""
    library, load, load_range = limits
    ceiling = library.max_total_fraction
    if kind == "base_cap" and index is not None:
        caps = library.max_fraction.copy()
        value = float(caps[index])
        caps[index] = min(caps[index] * RELAXATION, 1.0)
        return (replace(library, max_fraction=caps, max_total_fraction=max(ceiling, float(caps[index]))), load,
                load_range), value  # fmt: skip
    if kind == "load_max" and load_range is not None:
        wider = (load_range[0], min(load_range[1] * RELAXATION, 1.0))
        return (replace(library, max_total_fraction=max(ceiling, wider[1])), load, wider), load_range[1]
    if kind == "load_min" and load_range is not None:
        return (library, load, (load_range[0] / RELAXATION, load_range[1])), load_range[0]
    # load_fixed: the total is freed within half again either way
    free = (load / RELAXATION, min(load * RELAXATION, float(library.max_fraction.sum()), 1.0))
    return (replace(library, max_total_fraction=max(ceiling, free[1])), load, free), load


def binding_limits(
    library: BaseLibrary,
    fractions: NDArray[np.float64],
    coverage: str,
    *,
    reoptimise: Reoptimise,
    tolerance: float = ACTIVE_TOLERANCE,
) -> tuple[GamutLimit, ...]:
    """The active limits that bind, largest effect first: each relaxed alone by half, against a control run of the
    same re-optimisation with nothing relaxed. When none binds alone but several are active, all are relaxed
    together once (``combined``); only when that does not help either is the answer ``spectral_shape``."""
    unrelaxed: _Limits = (library, library.pigment_load[coverage], library.pigment_load_range.get(coverage))
    baseline = reoptimise(*unrelaxed)
    active = active_limits(library, fractions, coverage, tolerance)
    found: list[GamutLimit] = []
    everything = unrelaxed
    for kind, index in active:
        relaxed, value = relax(unrelaxed, kind, index)
        everything, _ = relax(everything, kind, index)
        gain = baseline - reoptimise(*relaxed)
        if gain >= BINDING_GAIN_DE00:
            found.append(GamutLimit(kind, library.names[index] if index is not None else None, value, gain))
    if not found and len(active) > 1:
        gain = baseline - reoptimise(*everything)
        if gain >= BINDING_GAIN_DE00:
            found.append(GamutLimit("combined", None, None, gain))
    found.sort(key=lambda limit: -limit.gain_dE00)
    return tuple(found) or (GamutLimit("spectral_shape", None, None, 0.0),)
