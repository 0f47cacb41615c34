"""Existing foundation shades: what a shade is, when two are the same, and the nearest shades by CIEDE2000.

Reading catalogue files (columns, colour spaces, rows skipped, duplicates merged) is ``catalog.shade_import``.
Every colour is CIELAB D65 (CIE 1976, D65 white point, CIE 1931 2° observer); ``colour_space`` keeps how the
file gave it (``CIELAB D65``, or ``sRGB`` hex decoded per IEC 61966-2-1). Shades read from web images are
approximate (their photography and white balance are unknown): ``approximate`` says so.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from color.colorimetry import delta_E00

COLOUR_SPACES = ("CIELAB D65", "sRGB")
# Two shades of one brand closer than this are one colour to a customer's eye and to any camera: the listing shows
# the first only. A just-noticeable difference is about 1 ΔE00; 0.1 is the rounding of swatches sampled twice.
DUPLICATE_LAB_DE00 = 0.1
# ΔE00 >= |ΔL*| / S_L and S_L <= 1.75 over L* 0-100 (CIE 142-2001), so shades within DUPLICATE_LAB_DE00 differ in
# L* by at most 0.175: only pairs this close in L* are compared.
_L_WINDOW = 0.2


class CatalogueError(ValueError):
    """A catalogue file that cannot be imported; ``code`` names why, ``line`` the row (1 = the header of a CSV)."""

    code = "invalid_catalogue"

    def __init__(self, message: str, *, line: int | None = None, columns: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.line = line
        self.columns = tuple(columns)


class CatalogueEmpty(CatalogueError):
    code = "catalogue_empty"


class CatalogueEncoding(CatalogueError):
    code = "catalogue_encoding"


class CatalogueTooLarge(CatalogueError):
    code = "catalogue_too_large"


class MissingColumns(CatalogueError):
    code = "catalogue_columns_missing"


class UnknownColourSpace(CatalogueError):
    code = "colour_space_unknown"


class LabOutOfRange(CatalogueError):
    code = "lab_out_of_range"


class InvalidHex(CatalogueError):
    code = "hex_invalid"


class RowsSkipped(CatalogueError):
    """Rows without a usable brand, product, name or code, refused because the import was strict."""

    code = "catalogue_rows_skipped"


@dataclass(frozen=True, slots=True)
class Shade:
    brand: str
    product: str
    name: str
    code: str
    Lab_D65: tuple[float, float, float]
    colour_space: str  # as given in the file
    approximate: bool
    source: str = ""  # the catalogue source it was imported into ("" for packaged and old shades)

    @classmethod
    def from_record(cls, record: dict[str, Any], source: str | None = None) -> Shade:
        """A shade from its stored JSON record (``dataclasses.asdict`` of one)."""
        L, a, b = (float(v) for v in record["Lab_D65"])
        fields = {k: v for k, v in record.items() if k in _FIELDS and k != "Lab_D65"}
        if source is not None:
            fields["source"] = source
        return cls(Lab_D65=(L, a, b), **fields)


_FIELDS = frozenset(Shade.__dataclass_fields__)


def normalised(text: str) -> str:
    """Text as compared for identity: Unicode NFKC, case-folded, runs of white space made one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def identity(shade: Shade) -> tuple[str, str, str, str]:
    """What makes two shades the same product: brand, product, shade name and shade code (``normalised``)."""
    return normalised(shade.brand), normalised(shade.product), normalised(shade.name), normalised(shade.code)


def _close_pairs(Lab: NDArray[np.float64], tolerance_dE00: float) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of rows of ``Lab`` within ``tolerance_dE00`` CIEDE2000 of each other."""
    order = np.argsort(Lab[:, 0], kind="stable")
    L_sorted = Lab[order, 0]
    ends = np.searchsorted(L_sorted, L_sorted + _L_WINDOW, side="right")
    counts = ends - np.arange(1, len(order) + 1)
    if counts.sum() == 0:
        return []
    first = np.repeat(np.arange(len(order)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    second = first + 1 + offsets
    i, j = order[first], order[second]
    close = delta_E00(Lab[i], Lab[j]) <= tolerance_dE00
    return sorted((int(min(p, q)), int(max(p, q))) for p, q in zip(i[close], j[close], strict=True))


def unique_shades(shades: Iterable[Shade], tolerance_dE00: float = DUPLICATE_LAB_DE00) -> list[Shade]:
    """The shades with each one listed once, the first kept: later shades with the same ``identity`` (the same
    product listed by two sources), or of the same brand within ``tolerance_dE00`` CIEDE2000 of a shade kept
    (one colour sold under two names), are left out."""
    by_identity: dict[tuple[str, str, str, str], Shade] = {}
    for shade in shades:
        by_identity.setdefault(identity(shade), shade)
    kept = list(by_identity.values())
    by_brand: dict[str, list[int]] = {}
    for position, shade in enumerate(kept):
        by_brand.setdefault(normalised(shade.brand), []).append(position)
    dropped: set[int] = set()
    for positions in by_brand.values():
        if len(positions) < 2:
            continue
        Lab = np.array([kept[p].Lab_D65 for p in positions], dtype=np.float64)
        earlier: dict[int, list[int]] = {}
        for i, j in _close_pairs(Lab, tolerance_dE00):
            earlier.setdefault(positions[j], []).append(positions[i])
        for later in sorted(earlier):  # in listing order, so that a shade dropped cannot drop another
            if any(first not in dropped for first in earlier[later]):
                dropped.add(later)
    return [shade for position, shade in enumerate(kept) if position not in dropped]


def parse_catalogue(data: str, file_format: str) -> list[Shade]:
    """Shades from CSV or JSON text where every row is usable (``CatalogueError`` otherwise); see
    ``catalog.shade_import.read_catalogue`` for the columns read."""
    from catalog.shade_import import read_catalogue  # it builds on this module

    return list(read_catalogue(data, file_format=file_format, strict=True).shades)


@dataclass(frozen=True)
class ShadeMatch:
    shade: Shade
    delta_E00: float


class ShadeIndex:
    """Shades held as one (n, 3) CIELAB array so that a search is a single vectorised CIEDE2000. A shade listed
    twice (``unique_shades``) is indexed once, so that a search never answers the same shade twice."""

    def __init__(self, shades: Iterable[Shade]) -> None:
        self.shades = unique_shades(shades)
        self.Lab: NDArray[np.float64] = np.array([s.Lab_D65 for s in self.shades], dtype=np.float64).reshape(-1, 3)

    def nearest(self, Lab: ArrayLike, count: int = 5) -> list[ShadeMatch]:
        if not self.shades:
            return []
        target = np.broadcast_to(np.asarray(Lab, dtype=np.float64), self.Lab.shape)
        distances = delta_E00(self.Lab, target)
        count = min(count, len(self.shades))
        best = np.argpartition(distances, count - 1)[:count]
        best = best[np.argsort(distances[best])]
        return [ShadeMatch(self.shades[i], float(distances[i])) for i in best]
