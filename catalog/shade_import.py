"""Reading a shade catalogue file: which columns, which colour space, rows skipped, duplicates merged; and writing one.

Columns (header names compared case-insensitively; the first of each list present is read):

- ``brand``, ``product``: required columns; a row without either is skipped.
- the shade: ``shade_name`` or ``name``, and ``shade_code``, ``specific`` or ``code`` (at least one of the two
  columns; a row with neither value is skipped). ``NA``, ``N/A``, ``null``, ``none``, ``nan`` and ``-`` are no value.
- the colour: ``hex`` (sRGB, six hex digits, ``#`` optional, IEC 61966-2-1) or ``L``, ``a``, ``b`` /
  ``L_star``, ``a_star``, ``b_star`` (CIELAB D65, L* 0-100, a* and b* within ±128).
- ``approximate`` (true/yes/1), ``original_colour_space`` (written by ``catalogue_csv``); others are ignored.

The colour space of a row is, in this order: its ``colour_space`` (or ``color_space``) column, one of
``COLOUR_SPACES``; the ``colour_space`` the caller states for the file; or, for a file with a ``hex`` column and
no ``colour_space`` column, sRGB (a hex colour is sRGB by the web's convention, CSS Color 4). L*a*b* columns
are never assumed to be D65: Photoshop's Lab, for one, is D50. A bad colour refuses the whole file, naming its
row; a row without a brand, product, name or code is skipped and reported (refused when ``strict``). Rows of one
brand, product, name and code are merged into one shade at their mean CIELAB, the CIEDE2000 spread reported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import colour
import numpy as np

from catalog.shades import (
    COLOUR_SPACES,
    CatalogueEmpty,
    CatalogueEncoding,
    CatalogueError,
    CatalogueTooLarge,
    InvalidHex,
    LabOutOfRange,
    MissingColumns,
    RowsSkipped,
    Shade,
    UnknownColourSpace,
    identity,
)
from color.colorimetry import Lab_D65_to_display_hex, XYZ_to_Lab_D65, delta_E00

COLUMNS: dict[str, tuple[str, ...]] = {
    "brand": ("brand",),
    "product": ("product",),
    "name": ("shade_name", "name"),
    "code": ("shade_code", "specific", "code"),
    "hex": ("hex",),
    "colour_space": ("colour_space", "color_space"),
    "approximate": ("approximate",),
    "original_colour_space": ("original_colour_space",),
}
LAB_COLUMNS = (("l", "a", "b"), ("l_star", "a_star", "b_star"))
NO_VALUE = frozenset({"", "na", "n/a", "null", "none", "nan", "-"})
TRUE = frozenset({"1", "true", "yes", "y"})
HEX_PATTERN = re.compile(r"^#?[0-9A-Fa-f]{6}$")
MAX_ROWS = 100_000  # a brand's whole range is a few hundred shades; the Pudding sets together 7,441 rows
MAX_TEXT = 200
LAB_DECIMALS = 3  # 0.001 ΔE: far below any difference of colour, and a CSV written once reads back the same
SPREAD_NOTICE_DE00 = 1.0  # merged rows further apart than about a just-noticeable difference are called out
EXPORT_COLUMNS = ("source", "brand", "product", "shade_name", "shade_code", "colour_space", "L", "a", "b", "hex",
                  "approximate", "original_colour_space")  # fmt: skip


@dataclass(frozen=True, slots=True)
class SkippedRow:
    line: int  # CSV: the file's line (the header is line 1); JSON: the item, from 1
    reason: str


@dataclass(frozen=True, slots=True)
class MergedShade:
    """Rows that are one shade (same brand, product, name and code), stored once at their mean CIELAB."""

    shade: Shade
    lines: tuple[int, ...]
    spread_dE00: float  # the largest CIEDE2000 of a row from the mean


@dataclass(frozen=True)
class ImportResult:
    shades: tuple[Shade, ...]
    rows_read: int
    skipped: tuple[SkippedRow, ...]
    merged: tuple[MergedShade, ...]
    colour_spaces: dict[str, int]  # "sRGB from the hex column": rows
    columns: dict[str, str] = field(default_factory=dict)  # what was read from which column

    @property
    def rows_merged(self) -> int:
        """Rows that went into another row's shade."""
        return sum(len(m.lines) - 1 for m in self.merged)


def decode_catalogue(data: bytes | str, max_bytes: int | None = None) -> str:
    """The file's text: UTF-8 (a byte-order mark allowed); ``CatalogueEncoding`` naming the first bad byte."""
    if isinstance(data, str):
        return data
    if max_bytes is not None and len(data) > max_bytes:
        raise CatalogueTooLarge(f"The file is {len(data)} bytes; the limit is {max_bytes} bytes.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CatalogueEncoding("The file is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CatalogueEncoding(
            f"The file is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} is not UTF-8 (a Windows-1252 or "
            "Latin-1 file?). Save it as UTF-8 (in Excel: CSV UTF-8).",
            line=line,
        ) from exc
    if "\x00" in text:
        raise CatalogueEncoding("The file holds NUL bytes: it is not a CSV or JSON text file.")
    return text


def _rows(text: str, file_format: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header names (case-folded) and ``(line, row)`` pairs with case-folded keys."""
    if not text.strip():
        raise CatalogueEmpty("The file is empty.")
    if file_format == "csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows: list[tuple[int, dict[str, Any]]] = []
        try:
            header = [str(name).strip().casefold() for name in reader.fieldnames or []]
            for row in reader:
                rows.append((reader.line_num, {str(k).strip().casefold(): v for k, v in row.items() if k is not None}))
                if len(rows) > MAX_ROWS:
                    raise CatalogueTooLarge(f"The file has more than {MAX_ROWS} rows.")
        except csv.Error as exc:
            raise CatalogueError(
                f"Line {reader.line_num}: the CSV cannot be read: {exc}.", line=reader.line_num
            ) from exc
        return header, rows
    if file_format == "json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogueError(f"The catalogue is not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
        if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
            raise CatalogueError("A JSON catalogue must be a list of shade objects.")
        if len(document) > MAX_ROWS:
            raise CatalogueTooLarge(f"The file has more than {MAX_ROWS} shades.")
        items = [(i, {str(k).strip().casefold(): v for k, v in r.items()}) for i, r in enumerate(document, start=1)]
        return list(dict.fromkeys(k for _, r in items for k in r)), items
    raise CatalogueError(f"Unknown catalogue format {file_format!r}: use csv or json.")


def _columns(header: Sequence[str]) -> tuple[dict[str, str], tuple[str, str, str] | None]:
    present = set(header)
    found = {role: next(n for n in names if n in present) for role, names in COLUMNS.items() if present & set(names)}
    lab = next((names for names in LAB_COLUMNS if set(names) <= present), None)
    missing = [role for role in ("brand", "product") if role not in found]
    if missing:
        raise MissingColumns(f"The file has no {' or '.join(missing)} column.", columns=missing)
    if "name" not in found and "code" not in found:
        raise MissingColumns(
            "The file has no shade name or shade code column (shade_name, name, shade_code, specific or code): "
            "its shades cannot be told apart.",
            columns=["shade_name", "shade_code"],
        )
    return found, lab


def _text(row: dict[str, Any], column: str | None, line: int) -> str:
    value = row.get(column) if column else None
    text = "" if value is None else " ".join(str(value).split())
    if text.casefold() in NO_VALUE:
        return ""
    if len(text) > MAX_TEXT:
        raise CatalogueError(f"Row {line}: {column!r} is longer than {MAX_TEXT} characters.", line=line)
    return text


def _space(stated: str, line: int) -> str:
    if stated not in COLOUR_SPACES:
        raise UnknownColourSpace(
            f"Row {line}: colour_space must be one of {', '.join(COLOUR_SPACES)}, not {stated!r}.", line=line
        )
    return stated


def _colour(row: dict[str, Any], space: str, columns: dict[str, str], lab: Sequence[str] | None, line: int) -> Any:
    """sRGB codes 0-1 from the hex, or CIELAB as given."""
    if space == "sRGB":
        if "hex" not in columns:
            raise MissingColumns(f"Row {line}: an sRGB row needs a hex column.", line=line, columns=["hex"])
        value = _text(row, columns["hex"], line)
        if not HEX_PATTERN.fullmatch(value):
            raise InvalidHex(f"Row {line}: {value!r} is not a six-digit sRGB hex colour (e.g. #C8A07A).", line=line)
        return [float(v) for v in colour.notation.HEX_to_RGB(value.lstrip("#"))]
    if lab is None:
        raise MissingColumns(
            f"Row {line}: a CIELAB D65 row needs L, a and b columns.", line=line, columns=["L", "a", "b"]
        )
    try:
        L, a, b = (float(str(row.get(k, "")).strip()) for k in lab)
    except ValueError as exc:
        raise LabOutOfRange(f"Row {line}: CIELAB D65 needs numeric L, a and b.", line=line) from exc
    if not (np.all(np.isfinite([L, a, b])) and 0 <= L <= 100 and abs(a) <= 128 and abs(b) <= 128):
        raise LabOutOfRange(
            f"Row {line}: L*a*b* {L:g}, {a:g}, {b:g} is outside the possible range (L* 0-100, a* and b* ±128).",
            line=line,
        )
    return [L, a, b]


def _merge(shades: list[Shade], lines: list[int]) -> tuple[list[Shade], list[MergedShade]]:
    groups: dict[tuple[str, str, str, str], list[int]] = {}
    for position, shade in enumerate(shades):
        groups.setdefault(identity(shade), []).append(position)
    kept, merged = [], []
    for positions in groups.values():
        first = shades[positions[0]]
        if len(positions) == 1:
            kept.append(first)
            continue
        Lab = np.array([shades[p].Lab_D65 for p in positions])
        mean = Lab.mean(axis=0).round(LAB_DECIMALS)
        shade = replace(
            first,
            Lab_D65=(float(mean[0]), float(mean[1]), float(mean[2])),
            approximate=any(shades[p].approximate for p in positions),
        )
        kept.append(shade)
        spread = float(delta_E00(Lab, mean).max())
        merged.append(MergedShade(shade, tuple(lines[p] for p in positions), round(spread, 3)))
    return kept, merged


def _sorted_rows(
    rows: list[tuple[int, dict[str, Any]]], columns: dict[str, str], default: str | None, how_default: str
) -> tuple[list[tuple[int, dict[str, Any], str, str]], list[SkippedRow]]:
    """Rows to import, each with its colour space and how it is known, and rows skipped with the reason."""
    kept: list[tuple[int, dict[str, Any], str, str]] = []
    skipped: list[SkippedRow] = []
    for line, row in rows:
        missing = [role for role in ("brand", "product") if not _text(row, columns[role], line)]
        if not _text(row, columns.get("name"), line) and not _text(row, columns.get("code"), line):
            missing.append("shade name or code")
        if missing:
            skipped.append(SkippedRow(line, f"no {' and no '.join(missing)}"))
            continue
        stated = _text(row, columns.get("colour_space"), line)
        if stated:
            kept.append((line, row, _space(stated, line), "the colour_space column"))
        elif default is not None:
            kept.append((line, row, default, how_default))
        else:
            raise UnknownColourSpace(
                f"Row {line}: no colour space. Say it in a colour_space column or for the whole file (the CLI's "
                "--colour-space 'CIELAB D65', the API's colour_space query parameter): L*a*b* without its white point "
                "may be D50, as Photoshop's is.",
                line=line,
            )
    return kept, skipped


def read_catalogue(
    data: bytes | str,
    *,
    file_format: str = "csv",
    colour_space: str | None = None,
    strict: bool = False,
    approximate: bool = False,
    max_bytes: int | None = None,
) -> ImportResult:
    """Shades from a CSV or JSON (a list of objects) file; ``colour_space`` for rows that do not state theirs,
    ``approximate`` for rows without an ``approximate`` value. See the module's docstring for the rules."""
    if colour_space is not None and colour_space not in COLOUR_SPACES:
        raise UnknownColourSpace(f"The colour space must be one of {', '.join(COLOUR_SPACES)}, not {colour_space!r}.")
    header, rows = _rows(decode_catalogue(data, max_bytes), file_format)
    if not rows:
        raise CatalogueEmpty("The file has a header but no rows.")
    columns, lab = _columns(header)
    inferred = "hex" in columns and "colour_space" not in columns  # a column that says nothing is not a hex file
    default = colour_space or ("sRGB" if inferred else None)
    how_default = "stated for the file" if colour_space else "the hex column (sRGB by the web's convention)"
    kept, skipped = _sorted_rows(rows, columns, default, how_default)
    if strict and skipped:
        first = skipped[0]
        raise RowsSkipped(
            f"{len(skipped)} rows lack a brand, product or a shade_name or a shade_code (row {first.line}: "
            f"{first.reason}); nothing was imported.",
            line=first.line,
        )
    if not kept:
        raise CatalogueEmpty(f"None of the {len(rows)} rows has a brand, product and shade name or code.")
    values = np.array([_colour(row, space, columns, lab, line) for line, row, space, _ in kept], dtype=np.float64)
    is_sRGB = np.array([space == "sRGB" for _, _, space, _ in kept])
    if is_sRGB.any():  # one vectorised conversion for every sRGB row (IEC 61966-2-1, D65)
        values[is_sRGB] = XYZ_to_Lab_D65(colour.sRGB_to_XYZ(values[is_sRGB]))
    values = values.round(LAB_DECIMALS)
    shades = []
    for (line, row, space, _), Lab in zip(kept, values, strict=True):
        original = _text(row, columns.get("original_colour_space"), line)
        flag = _text(row, columns.get("approximate"), line)
        shades.append(
            Shade(
                brand=_text(row, columns["brand"], line),
                product=_text(row, columns["product"], line),
                name=_text(row, columns.get("name"), line),
                code=_text(row, columns.get("code"), line),
                Lab_D65=(float(Lab[0]), float(Lab[1]), float(Lab[2])),
                colour_space=_space(original, line) if original else space,
                approximate=flag.casefold() in TRUE if flag else approximate,
            )
        )
    unique, merged = _merge(shades, [line for line, *_ in kept])
    read = dict(columns)
    if lab is not None:
        read["L*a*b*"] = ", ".join(lab)
    spaces = Counter(f"{space} from {how}" for _, _, space, how in kept)
    return ImportResult(tuple(unique), len(rows), tuple(skipped), tuple(merged), dict(spaces), read)


def catalogue_csv(shades: Iterable[Shade]) -> str:
    """Shades as CSV that ``read_catalogue`` reads back to the same shades: CIELAB D65 as stored (``hex`` is an
    sRGB preview, clipped to the gamut, not read back), the file's colour space in ``original_colour_space``."""
    listed = list(shades)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    hexes = [h.upper() for h in Lab_D65_to_display_hex([s.Lab_D65 for s in listed])] if listed else []
    for shade, preview in zip(listed, hexes, strict=True):
        L, a, b = (repr(v) for v in shade.Lab_D65)
        flag = "true" if shade.approximate else "false"
        row = [shade.source, shade.brand, shade.product, shade.name, shade.code, "CIELAB D65", L, a, b, preview, flag]
        writer.writerow([*row, shade.colour_space])
    return out.getvalue()
