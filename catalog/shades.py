"""Existing foundation shades: import with a stated colour space, and nearest shades by CIEDE2000.

Each row must say what its colour is: ``CIELAB D65`` with ``L``, ``a``, ``b`` (CIE 1976, D65, 2°), or
``sRGB`` with a ``hex`` value (IEC 61966-2-1, decoded and converted to CIELAB D65 by colour-science).
A file with any bad row is refused whole, so nothing is half-imported. Shades read from web images are
approximate (their photography and white balance are unknown): a row may say so with ``approximate``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import colour
import numpy as np
from numpy.typing import ArrayLike, NDArray

from color.colorimetry import XYZ_to_Lab_D65, delta_E00

COLOUR_SPACES = ("CIELAB D65", "sRGB")
HEX_PATTERN = re.compile(r"^#?[0-9A-Fa-f]{6}$")
MAX_SHADES = 100_000
MAX_TEXT = 200


class CatalogueError(ValueError):
    code = "invalid_catalogue"


@dataclass(frozen=True, slots=True)
class Shade:
    brand: str
    product: str
    name: str
    code: str
    Lab_D65: tuple[float, float, float]
    colour_space: str  # as given in the file
    approximate: bool


def _text(row: dict[str, Any], key: str, line: int, required: bool = True) -> str:
    value = row.get(key)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise CatalogueError(f"Row {line}: {key!r} is missing.")
    if len(text) > MAX_TEXT:
        raise CatalogueError(f"Row {line}: {key!r} is longer than {MAX_TEXT} characters.")
    return text


def _row_colour(row: dict[str, Any], line: int) -> tuple[str, tuple[float, float, float]]:
    """The row's colour space and its values: CIELAB as given, or sRGB codes 0-1 from the hex."""
    space = _text(row, "colour_space", line)
    if space == "CIELAB D65":
        try:
            L, a, b = (float(row[k]) for k in ("L", "a", "b"))
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogueError(f"Row {line}: CIELAB D65 needs numeric L, a and b.") from exc
        if not (np.all(np.isfinite([L, a, b])) and 0 <= L <= 100 and abs(a) <= 128 and abs(b) <= 128):
            raise CatalogueError(f"Row {line}: L*a*b* {L:g}, {a:g}, {b:g} is outside the possible range.")
        return space, (L, a, b)
    if space == "sRGB":
        value = _text(row, "hex", line)
        if not HEX_PATTERN.fullmatch(value):
            raise CatalogueError(f"Row {line}: {value!r} is not a six-digit sRGB hex colour.")
        r, g, b = (int(value.lstrip("#")[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
        return space, (r, g, b)
    raise CatalogueError(f"Row {line}: colour_space must be one of {', '.join(COLOUR_SPACES)}, not {space!r}.")


def parse_catalogue(data: str, file_format: str) -> list[Shade]:
    """Shades from CSV or JSON (a list of objects) text; ``CatalogueError`` naming the first bad row."""
    if file_format == "csv":
        rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(data)))
    elif file_format == "json":
        try:
            document = json.loads(data)
        except json.JSONDecodeError as exc:
            raise CatalogueError(f"The catalogue is not valid JSON: {exc.msg}.") from exc
        if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
            raise CatalogueError("A JSON catalogue must be a list of shade objects.")
        rows = document
    else:
        raise CatalogueError(f"Unknown catalogue format {file_format!r}: use csv or json.")
    if not rows:
        raise CatalogueError("The catalogue has no shades.")
    if len(rows) > MAX_SHADES:
        raise CatalogueError(f"At most {MAX_SHADES} shades can be imported at once.")
    first_line = 2 if file_format == "csv" else 1
    colours = [_row_colour(row, line) for line, row in enumerate(rows, start=first_line)]
    values = np.array([v for _, v in colours], dtype=np.float64)
    is_sRGB = np.array([space == "sRGB" for space, _ in colours])
    if is_sRGB.any():  # one vectorised conversion for every sRGB row (IEC 61966-2-1, D65)
        values[is_sRGB] = XYZ_to_Lab_D65(colour.sRGB_to_XYZ(values[is_sRGB]))
    shades = []
    for line, row in enumerate(rows, start=first_line):
        space, Lab = colours[line - first_line][0], tuple(float(v) for v in values[line - first_line])
        approximate = str(row.get("approximate", "")).strip().lower() in {"1", "true", "yes"}
        name, code = _text(row, "shade_name", line, required=False), _text(row, "shade_code", line, required=False)
        if not name and not code:
            raise CatalogueError(f"Row {line}: a shade needs a shade_name or a shade_code.")
        shades.append(
            Shade(
                brand=_text(row, "brand", line),
                product=_text(row, "product", line),
                name=name,
                code=code,
                Lab_D65=(Lab[0], Lab[1], Lab[2]),
                colour_space=space,
                approximate=approximate,
            )
        )
    return shades


@dataclass(frozen=True)
class ShadeMatch:
    shade: Shade
    delta_E00: float


class ShadeIndex:
    """Shades held as one (n, 3) CIELAB array so that a search is a single vectorised CIEDE2000."""

    def __init__(self, shades: list[Shade]) -> None:
        self.shades = shades
        self.Lab: NDArray[np.float64] = np.array([s.Lab_D65 for s in shades], dtype=np.float64).reshape(-1, 3)

    def nearest(self, Lab: ArrayLike, count: int = 5) -> list[ShadeMatch]:
        if not self.shades:
            return []
        target = np.broadcast_to(np.asarray(Lab, dtype=np.float64), self.Lab.shape)
        distances = delta_E00(self.Lab, target)
        count = min(count, len(self.shades))
        best = np.argpartition(distances, count - 1)[:count]
        best = best[np.argsort(distances[best])]
        return [ShadeMatch(self.shades[i], float(distances[i])) for i in best]
