"""Pigment base libraries: each base is a pigment dispersion in our foundation vehicle.

A base is described by its Kubelka-Munk absorption K(λ) and scattering S(λ) per unit mass fraction in the
foundation and per unit film thickness (two-constant theory: K and S of a mix are the fraction-weighted sums
of the bases', Duncan 1940). A library is versioned data: the lab characterises its real bases from
drawdowns (``catalog.drawdowns``) and stores a new version; the project ships a physical library computed from
published optical constants (``catalog.physical_bases``, the default) and documented demo libraries as examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from color.kubelka_munk import SAUNDERSON_K1, SAUNDERSON_K2

COVERAGES = ("sheer", "medium", "full")


class BaseLibraryError(ValueError):
    """A base library that cannot be used: unknown version, or data that is not physical."""

    code = "invalid_base_library"


@dataclass(frozen=True)
class BaseLibrary:
    version: str
    description: str
    wavelengths_nm: NDArray[np.float64]
    names: tuple[str, ...]
    pigments: tuple[str, ...]
    K: NDArray[np.float64]  # (n_bases, n_λ) per unit mass fraction, per unit film thickness
    S: NDArray[np.float64]
    max_fraction: NDArray[np.float64]  # (n_bases,) largest mass fraction of each base in a foundation
    max_total_fraction: float  # pigment-load limit of the vehicle: all bases together
    film_thickness: dict[str, float]  # per coverage, in the unit K and S are given for
    pigment_load: dict[str, float]  # per coverage: all bases' fractions add up to this
    k1: float = SAUNDERSON_K1
    k2: float = SAUNDERSON_K2
    # Optional per coverage (least, most): the recipe then chooses each skin's load within it, around
    # ``pigment_load``; empty means every recipe of a coverage has exactly ``pigment_load``.
    pigment_load_range: dict[str, tuple[float, float]] = field(default_factory=dict)
    # Provenance for a reader (sources, particle sizes, approximations, regulatory status); never used in maths.
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.names)
        if self.K.shape != (n, self.wavelengths_nm.size) or self.S.shape != self.K.shape:
            raise BaseLibraryError("K and S must have one row per base and one column per wavelength.")
        if not (np.all(np.isfinite(self.K)) and np.all(np.isfinite(self.S))):
            raise BaseLibraryError("K and S must be finite.")
        if np.any(self.K < 0) or np.any(self.S < 0):
            raise BaseLibraryError("K and S cannot be negative.")
        if np.any(self.S.sum(axis=0) <= 0):
            raise BaseLibraryError("At least one base must scatter at every wavelength.")
        if set(self.film_thickness) != set(COVERAGES) or min(self.film_thickness.values()) <= 0:
            raise BaseLibraryError(f"Film thickness must be positive for each of {', '.join(COVERAGES)}.")
        if not 0 < self.max_total_fraction <= 1 or np.any(self.max_fraction <= 0) or np.any(self.max_fraction > 1):
            raise BaseLibraryError("Load limits must be fractions in (0, 1].")
        if set(self.pigment_load) != set(COVERAGES) or not all(
            0 < load <= min(self.max_total_fraction, float(self.max_fraction.sum()))
            for load in self.pigment_load.values()
        ):
            raise BaseLibraryError("Each coverage's pigment load must be positive and within the load limits.")
        for coverage, (least, most) in self.pigment_load_range.items():
            if coverage not in COVERAGES or not 0 < least <= self.pigment_load[coverage] <= most <= min(
                self.max_total_fraction, float(self.max_fraction.sum())
            ):
                raise BaseLibraryError(
                    f"The pigment load range of {coverage!r} must hold its pigment load and stay within the limits."
                )

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to recompute a recipe's colour independently."""
        document: dict[str, Any] = {
            "version": self.version,
            "description": self.description,
            "wavelengths_nm": self.wavelengths_nm.tolist(),
            "saunderson": {"k1": self.k1, "k2": self.k2, "geometry": "specular excluded (45:0)"},
            "units": "K and S per unit mass fraction of the base in the foundation, per unit film thickness",
            "max_total_fraction": self.max_total_fraction,
            "film_thickness": self.film_thickness,
            "pigment_load": self.pigment_load,
            "bases": [
                {
                    "name": name,
                    "pigment": pigment,
                    "max_fraction": float(limit),
                    "K": np.round(K, 6).tolist(),
                    "S": np.round(S, 6).tolist(),
                }
                for name, pigment, limit, K, S in zip(
                    self.names, self.pigments, self.max_fraction, self.K, self.S, strict=True
                )
            ],
        }
        if self.pigment_load_range:
            document["pigment_load_range"] = {k: list(v) for k, v in self.pigment_load_range.items()}
        if self.metadata:
            document["metadata"] = self.metadata
        return document

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> BaseLibrary:
        try:
            bases = document["bases"]
            return cls(
                version=str(document["version"]),
                description=str(document.get("description", "")),
                wavelengths_nm=np.asarray(document["wavelengths_nm"], dtype=np.float64),
                names=tuple(str(b["name"]) for b in bases),
                pigments=tuple(str(b.get("pigment", "")) for b in bases),
                K=np.asarray([b["K"] for b in bases], dtype=np.float64),
                S=np.asarray([b["S"] for b in bases], dtype=np.float64),
                max_fraction=np.asarray([b["max_fraction"] for b in bases], dtype=np.float64),
                max_total_fraction=float(document["max_total_fraction"]),
                film_thickness={k: float(v) for k, v in document["film_thickness"].items()},
                pigment_load={k: float(v) for k, v in document["pigment_load"].items()},
                k1=float(document.get("saunderson", {}).get("k1", SAUNDERSON_K1)),
                k2=float(document.get("saunderson", {}).get("k2", SAUNDERSON_K2)),
                pigment_load_range={
                    k: (float(v[0]), float(v[1])) for k, v in document.get("pigment_load_range", {}).items()
                },
                metadata=dict(document.get("metadata", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, BaseLibraryError):
                raise
            raise BaseLibraryError(f"Malformed base library: {exc}.") from exc
