"""A spectrophotometer's export of one batch drawdown (CSV or JSON) read into a colour the quality check takes.

Instruments and their software write the same few things under many spellings: L*a*b* columns (``L*``, ``L``,
``CIE L*``, ``L* (D50/2°)``), the illuminant and observer in their own columns or in the L*a*b* headers, and
spectral reflectance as one column per wavelength (``400``, ``400nm``, ``R400``, ``%R 400 nm``), in percent or as a
fraction. A spectrum, when present, is preferred: it is integrated exactly under D65 with the 2° observer whatever the
instrument was set to. L*a*b* under another illuminant is adapted to D65 (CAT02, ``color.instrument``); L*a*b* with
the 10° observer cannot be converted and is refused. A file with several readings is refused rather than guessed at.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from api.schemas import LabD65, Spectrum
from color.errors import ColorError
from color.instrument import Lab_reading_to_D65, supported_illuminants

MAX_EXPORT_BYTES = 256 * 1024  # one reading is a few kB; a whole session's export is not what the form wants
PERCENT_ABOVE = 1.5  # reflectance factors reach about 1.05 (fluorescence, gloss); above 1.5 the file is in percent
_WAVELENGTH = re.compile(r"^(?:%?r(?:efl\w*)?)?[\s_(-]*(\d{3}(?:\.\d+)?)\s*(?:nm)?\)?$")
_LAB_NAMES = {"l": 0, "a": 1, "b": 2}
_CONDITIONS = re.compile(r"\b(D50|D55|D65|D75|A|C|F\d{1,2}|FL\d{1,2})\s*/\s*(2|10)\b", re.IGNORECASE)


class ExportError(ValueError):
    """An export that cannot be read as one measured colour; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One measured batch colour: ``lab`` (already D65, 2°) or ``spectrum``, and what was read, in words."""

    lab: LabD65 | None
    spectrum: Spectrum | None
    described: str


def _text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError("The file is not text in UTF-8 or UTF-16; export it again as CSV or JSON.") from exc


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise ExportError(f"{what} is not a number.")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError as exc:
        raise ExportError(f"{what} is {str(value)!r}, not a number.") from exc


def _observer(value: Any) -> str:
    digits = re.sub(r"[^0-9]", "", str(value).replace("1931", "").replace("1964", ""))
    if digits not in {"2", "10"}:
        raise ExportError(f"Observer {value!r} is neither 2° nor 10°.")
    return digits


def _illuminant(value: Any) -> str:
    name = str(value).strip().upper()
    if re.fullmatch(r"F\d{1,2}", name):
        name = "FL" + name[1:]
    if name not in supported_illuminants():
        raise ExportError(f"Illuminant {value!r} is not one this service knows (D65, D50, A, FL11, …).")
    return name


def _header_key(header: str) -> str:
    """``L* (D50/2°)`` → ``l``: lower case, without the asterisk, spaces, ``CIE`` and bracketed conditions."""
    key = re.sub(r"[(\[].*?[)\]]", "", header).lower().replace("cie", "").replace("*", "")
    return re.sub(r"\s+", "", key)


def _from_lab(values: list[float], illuminant: str, observer: str, source: str) -> Reading:
    if observer != "2":
        raise ExportError(
            "The file gives L*a*b* with the 10° observer, which cannot be converted to the 2° observer; export the "
            "reflectance spectrum instead (or set the instrument to 2°)."
        )
    try:
        Lab = Lab_reading_to_D65(values, illuminant, observer).Lab_D65
    except ColorError as exc:
        raise ExportError(exc.detail) from exc
    described = f"L*a*b* {illuminant}/2° from {source}" + (", adapted to D65 (CAT02)" if illuminant != "D65" else "")
    return Reading(lab=LabD65(L=float(Lab[0]), a=float(Lab[1]), b=float(Lab[2])), spectrum=None, described=described)


def _from_spectrum(wavelengths: list[float], values: list[float], source: str) -> Reading:
    if len(wavelengths) < 3:
        raise ExportError("The spectrum has fewer than 3 wavelengths.")
    percent = max(values) > PERCENT_ABOVE
    reflectance = [v / 100.0 for v in values] if percent else values
    spectrum = Spectrum(wavelengths_nm=wavelengths, reflectance=reflectance)
    unit = "percent" if percent else "reflectance factor"
    described = (
        f"spectrum {wavelengths[0]:g}-{wavelengths[-1]:g} nm ({len(wavelengths)} values, {unit}) from {source}, "
        "integrated under D65 / 2°"
    )
    return Reading(lab=None, spectrum=spectrum, described=described)


def _csv_rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ExportError("The file is empty.")
    sample = "\n".join(lines[:20])
    delimiter = max(",;\t", key=sample.count)
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    if delimiter != ",":  # a semicolon or tab file may write decimal commas (European locales)
        rows = [[cell.replace(",", ".") for cell in row] for row in rows]
    return [[cell.strip() for cell in row] for row in rows]


def _csv_header(rows: list[list[str]]) -> int:
    """The first row that names L*a*b* or at least three wavelength columns (instrument headers may come first)."""
    for index, row in enumerate(rows):
        keys = [_header_key(cell) for cell in row]
        if {"l", "a", "b"} <= set(keys) or sum(bool(_WAVELENGTH.match(k)) for k in keys) >= 3:
            return index
    raise ExportError(
        "No header row with L*, a*, b* columns or with wavelength columns (400, 410, … nm) was found in the CSV."
    )


def _conditions(header: list[str], row: list[str]) -> tuple[str, str]:
    illuminant, observer = "D65", "2"
    for cell in header:
        if match := _CONDITIONS.search(cell):
            illuminant, observer = _illuminant(match.group(1)), match.group(2)
    for name, value in zip(header, row, strict=False):
        key = _header_key(name)
        if value and key in {"illuminant", "illum", "lightsource", "illuminant/observer"}:
            if match := _CONDITIONS.search(value):
                illuminant, observer = _illuminant(match.group(1)), match.group(2)
            else:
                illuminant = _illuminant(value)
        elif value and key in {"observer", "obs", "observerangle"}:
            observer = _observer(value)
    return illuminant, observer


def parse_csv(text: str) -> Reading:
    rows = _csv_rows(text)
    start = _csv_header(rows)
    header, data = rows[start], [row for row in rows[start + 1 :] if any(row)]
    if not data:
        raise ExportError("The CSV has a header but no measurement row.")
    if len(data) > 1:
        raise ExportError(
            f"The CSV holds {len(data)} measurement rows; export only the batch's drawdown reading (or its average)."
        )
    row = data[0]
    spectral = [(float(m.group(1)), i) for i, h in enumerate(header) if (m := _WAVELENGTH.match(_header_key(h)))]
    if len(spectral) >= 3:
        spectral.sort()
        values = [_number(row[i] if i < len(row) else "", f"Reflectance at {w:g} nm") for w, i in spectral]
        return _from_spectrum([w for w, _ in spectral], values, "CSV")
    lab = [0.0, 0.0, 0.0]
    for index, name in enumerate(header):
        if (slot := _LAB_NAMES.get(_header_key(name))) is not None and index < len(row):
            lab[slot] = _number(row[index], f"{name!r}")
    return _from_lab(lab, *_conditions(header, row), "CSV")


def _lookup(mapping: dict[str, Any], *names: str) -> Any:
    folded = {_header_key(str(key)): value for key, value in mapping.items()}
    return next((folded[name] for name in names if name in folded), None)


def parse_json(text: str) -> Reading:
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ExportError("The file is not valid JSON.") from exc
    if isinstance(document, list):
        if len(document) != 1:
            raise ExportError(
                f"The JSON holds {len(document)} readings; export only the batch's drawdown reading (or its average)."
            )
        document = document[0]
    if not isinstance(document, dict):
        raise ExportError("The JSON must be an object with `lab` (L, a, b) or `spectrum` (wavelengths, reflectance).")
    spectrum = _lookup(document, "spectrum", "reflectancespectrum") or document
    if isinstance(spectrum, dict):
        wavelengths = _lookup(spectrum, "wavelengths_nm", "wavelengths", "wavelength")
        values = _lookup(spectrum, "reflectance", "values", "r")
        if isinstance(wavelengths, list) and isinstance(values, list):
            if len(wavelengths) != len(values):
                raise ExportError("The spectrum's wavelengths and reflectances are not the same number of values.")
            numbers = [_number(w, "A wavelength") for w in wavelengths]
            return _from_spectrum(numbers, [_number(v, "A reflectance") for v in values], "JSON")
    lab = _lookup(document, "lab", "lab_d65", "cielab", "colour", "color")
    lab = lab if isinstance(lab, dict) else document
    triple = [_lookup(lab, name) for name in ("l", "a", "b")]
    if any(value is None for value in triple):
        raise ExportError("The JSON has neither L*, a*, b* values nor a spectrum (wavelengths and reflectance).")
    illuminant = _lookup(lab, "illuminant") or _lookup(document, "illuminant") or "D65"
    observer = _lookup(lab, "observer") or _lookup(document, "observer") or "2"
    numbers = [_number(value, f"{name}*") for name, value in zip("Lab", triple, strict=True)]
    return _from_lab(numbers, _illuminant(illuminant), _observer(observer), "JSON")


def parse_export(filename: str | None, data: bytes) -> Reading:
    """The one reading in an instrument's CSV or JSON export (by its name, else by its first character)."""
    if not data.strip():
        raise ExportError("The uploaded file is empty.")
    if len(data) > MAX_EXPORT_BYTES:
        raise ExportError(
            f"The file is {len(data) // 1024} kB; an export of one reading is at most {MAX_EXPORT_BYTES // 1024} kB."
        )
    text = _text(data)
    name = (filename or "").lower()
    looks_json = text.lstrip()[:1] in {"{", "["}
    if name.endswith(".json") or (not name.endswith((".csv", ".txt")) and looks_json):
        return parse_json(text)
    if name and not name.endswith((".csv", ".txt", ".json")):
        raise ExportError(f"{filename!r} is not a CSV or JSON export (.csv, .txt or .json).")
    return parse_csv(text)
