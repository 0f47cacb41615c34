"""Fit a base library's K and S from drawdowns: the two-constant Kubelka-Munk calibration, and how well it fits.

The lab measures opaque drawdowns (spectral reflectance, specular excluded) of the white base alone, of
each coloured base alone (masstone) and of tints of each base with white at known mass fractions. For an
opaque film K/S = (1 − R)²/2R of the internal reflectance (Saunderson-corrected), and for a mix
K/S = (c_i K_i + c_w K_w) / (c_i S_i + c_w S_w), which is linear in the unknown K_i and S_i at each wavelength:

    c_i K_i − (K/S)_mix c_i S_i = (K/S)_mix c_w S_w − c_w K_w.

Opaque films fix only ratios, so the white's scattering S_w(λ) sets the scale (from a hiding-power
measurement or the supplier); K_w follows from its masstone. Each coloured base needs its masstone and at
least one tint; with more tints the fit is least squares, and ``fit_residuals`` says how far the fitted library's
drawdowns are from the measured ones (CIEDE2000 under D65). (Allen, E. (1980). Colorant formulation and shading.
In Optical Radiation Measurements vol. 2, Academic Press, 289-336.)

CSV, long format, one row per drawdown and wavelength, with this header:
``base,base_fraction,white_fraction,wavelength_nm,reflectance`` (fractions of the film's mass, reflectance 0-1).
``drawdowns_csv`` writes the drawdowns a library predicts in that format (the example file is made with it).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from catalog.appearance import Lab_under, film_reflectance
from catalog.bases import BaseLibrary
from color.colorimetry import delta_E00
from color.kubelka_munk import KS_from_reflectance, saunderson_to_internal

WHITE = "white"
COLUMNS = ("base", "base_fraction", "white_fraction", "wavelength_nm", "reflectance")
MAX_ROWS = 200_000
# A fitted library must reproduce its own drawdowns within this (CIEDE2000, D65, worst drawdown): half the batch QC
# tolerance (``catalog.correction.TOLERANCE_DE00`` = 1.0), so that the model's own miss leaves at least the other
# half for weighing, mixing and measuring. A larger residual means drawdowns that two-constant Kubelka-Munk cannot
# explain (a mislabelled fraction, a film that was not opaque, a base that flocculates with white).
MAX_FIT_RESIDUAL_DE00 = 0.5
DEFAULT_TINTS = (0.2, 0.05)  # base fractions of the tints ``drawdowns_csv`` writes (the rest white)


class DrawdownError(ValueError):
    code = "invalid_drawdowns"


@dataclass(frozen=True)
class Drawdown:
    base: str
    base_fraction: float
    white_fraction: float
    reflectance: NDArray[np.float64]  # on the file's wavelength grid
    line: int = 0  # the file line of its first row (1 is the header)


@dataclass(frozen=True)
class BaseResidual:
    """How far the fitted library's drawdowns of one base are from the measured ones (CIEDE2000, D65, 2°)."""

    base: str
    drawdowns: int
    mean_dE00: float
    max_dE00: float
    worst_line: int  # the file line where the worst drawdown starts


def _number(row: dict[str, str | None], column: str, line: int) -> float:
    raw = row.get(column)
    if raw is None or not raw.strip():
        raise DrawdownError(f"Line {line}: {column} is missing.")
    try:
        value = float(raw)
    except ValueError as exc:
        raise DrawdownError(f"Line {line}: {column} {raw.strip()!r} is not a number.") from exc
    if not np.isfinite(value):
        raise DrawdownError(f"Line {line}: {column} must be finite, not {raw.strip()!r}.")
    return value


def parse_drawdowns(text: str) -> tuple[NDArray[np.float64], list[Drawdown]]:
    """Wavelengths and drawdowns from the CSV; ``DrawdownError`` naming the line for anything malformed."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or set(COLUMNS) - {name.strip() for name in reader.fieldnames}:
        raise DrawdownError(f"Line 1: the drawdown CSV needs the header {','.join(COLUMNS)}.")
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    samples: dict[tuple[str, float, float], dict[float, float]] = defaultdict(dict)
    first_line: dict[tuple[str, float, float], int] = {}
    for row in reader:
        line = reader.line_num
        if line > MAX_ROWS:
            raise DrawdownError(f"Line {line}: at most {MAX_ROWS} lines are accepted.")
        if None in row:
            raise DrawdownError(f"Line {line}: more values than the {len(COLUMNS)} columns.")
        base = (row.get("base") or "").strip()
        if not base:
            raise DrawdownError(f"Line {line}: base is missing.")
        key = (base, _number(row, "base_fraction", line), _number(row, "white_fraction", line))
        wavelength, value = _number(row, "wavelength_nm", line), _number(row, "reflectance", line)
        if not 0.0 < value < 1.0:
            raise DrawdownError(f"Line {line}: reflectance {value:g} is impossible for an opaque drawdown (0-1).")
        if key[1] < 0 or key[2] < 0 or key[1] + key[2] <= 0 or key[1] + key[2] > 1:
            raise DrawdownError(f"Line {line}: fractions must be non-negative and add up to at most 1.")
        if wavelength in samples[key]:
            raise DrawdownError(f"Line {line}: wavelength {wavelength:g} nm repeated for the same drawdown.")
        samples[key][wavelength] = value
        first_line.setdefault(key, line)
    if not samples:
        raise DrawdownError("The drawdown CSV has no rows.")
    first_key = min(first_line, key=first_line.__getitem__)
    grid = tuple(sorted(samples[first_key]))
    for key, values in samples.items():
        if tuple(sorted(values)) != grid:
            raise DrawdownError(
                f"Line {first_line[key]}: every drawdown must be measured at the same wavelengths; the drawdown of "
                f"{key[0]!r} ({key[1]:g} base, {key[2]:g} white) starting here has {len(values)}, the first has "
                f"{len(grid)} ({grid[0]:g}-{grid[-1]:g} nm)."
            )
    wavelengths = np.array(grid)
    drawdowns = [
        Drawdown(base, base_fraction, white_fraction, np.array([values[w] for w in wavelengths]), first_line[key])
        for key, values in samples.items()
        for base, base_fraction, white_fraction in [key]
    ]
    return wavelengths, drawdowns


def _check_against(wavelengths: NDArray[np.float64], drawdowns: list[Drawdown], template: BaseLibrary) -> None:
    if not np.array_equal(wavelengths, template.wavelengths_nm):
        grid = template.wavelengths_nm
        step = float(grid[1] - grid[0]) if grid.size > 1 else 0.0
        raise DrawdownError(
            f"Drawdowns must be measured on the library's wavelength grid, {grid[0]:g}-{grid[-1]:g} nm every "
            f"{step:g} nm ({grid.size} values); the file has {wavelengths.size} ({wavelengths[0]:g}-"
            f"{wavelengths[-1]:g} nm)."
        )
    for drawdown in drawdowns:
        if drawdown.base not in template.names:
            raise DrawdownError(
                f"Line {drawdown.line}: base {drawdown.base!r} is not in the library ({', '.join(template.names)})."
            )


def fit_library(
    wavelengths: NDArray[np.float64],
    drawdowns: list[Drawdown],
    white_S: NDArray[np.float64],
    template: BaseLibrary,
    version: str,
) -> BaseLibrary:
    """K and S of every base from its drawdowns; limits and film thicknesses are taken from ``template``."""
    _check_against(wavelengths, drawdowns, template)
    KS = {
        id(d): KS_from_reflectance(saunderson_to_internal(d.reflectance, template.k1, template.k2)) for d in drawdowns
    }
    whites = [d for d in drawdowns if d.base == WHITE and d.white_fraction == 0]
    if not whites:
        raise DrawdownError("The white base's own drawdown (masstone) is missing.")
    S_w = np.asarray(white_S, dtype=np.float64)
    K_w = np.mean([KS[id(d)] for d in whites], axis=0) * S_w
    K, S = [], []
    for name in template.names:
        if name == WHITE:
            K.append(K_w)
            S.append(S_w)
            continue
        own = [d for d in drawdowns if d.base == name]
        if not any(d.white_fraction == 0 for d in own) or not any(d.white_fraction > 0 for d in own):
            raise DrawdownError(f"Base {name!r} needs its masstone and at least one tint with white.")
        K_base, S_base = np.empty(wavelengths.size), np.empty(wavelengths.size)
        for index in range(wavelengths.size):
            design = np.array([[d.base_fraction, -KS[id(d)][index] * d.base_fraction] for d in own])
            target = np.array(
                [KS[id(d)][index] * d.white_fraction * S_w[index] - d.white_fraction * K_w[index] for d in own]
            )
            solution, *_ = np.linalg.lstsq(design, target, rcond=None)
            K_base[index], S_base[index] = solution
        scale = max(float(np.max(np.abs(K_base))), float(np.max(np.abs(S_base))), 1e-12)
        if np.any(K_base < -1e-6 * scale) or np.any(S_base < -1e-6 * scale):
            raise DrawdownError(
                f"The drawdowns of {name!r} are inconsistent: they imply negative absorption or scattering "
                "(check fractions and that tints are lighter than the masstone)."
            )
        K.append(np.clip(K_base, 0.0, None))
        S.append(np.clip(S_base, 0.0, None))
    return BaseLibrary(
        version=version,
        description=f"Fitted from {len(drawdowns)} drawdowns (two-constant Kubelka-Munk).",
        wavelengths_nm=wavelengths.copy(),
        names=template.names,
        pigments=template.pigments,
        K=np.array(K),
        S=np.array(S),
        max_fraction=template.max_fraction.copy(),
        max_total_fraction=template.max_total_fraction,
        film_thickness=dict(template.film_thickness),
        pigment_load=dict(template.pigment_load),
        pigment_load_range=dict(template.pigment_load_range),
        k1=template.k1,
        k2=template.k2,
        metadata={
            **template.metadata,
            "kind": f"fitted from {len(drawdowns)} drawdowns (two-constant Kubelka-Munk); limits, loads, units and "
            f"the white's scattering from {template.version}",
            "template": template.version,
        },
    )


def drawdown_reflectance(
    library: BaseLibrary, base: str, base_fraction: float, white_fraction: float
) -> NDArray[np.float64]:
    """Measured reflectance (specular excluded) of an opaque drawdown of ``base`` with white, as ``library``
    predicts."""
    mix = np.zeros(len(library.names))
    mix[library.names.index(base)] += base_fraction
    mix[library.names.index(WHITE)] += white_fraction
    return film_reflectance(library, mix, "full", None)


def fit_residuals(library: BaseLibrary, drawdowns: list[Drawdown]) -> list[BaseResidual]:
    """Per base, CIEDE2000 (D65, CIE 1931 2°) between each measured drawdown and the one ``library`` predicts for
    the same fractions: how well the fitted two-constant model explains the data it was fitted to."""
    residuals = []
    for name in library.names:
        own = [d for d in drawdowns if d.base == name]
        if not own:
            continue
        predicted = np.array([drawdown_reflectance(library, name, d.base_fraction, d.white_fraction) for d in own])
        measured = np.array([d.reflectance for d in own])
        dE = np.atleast_1d(
            delta_E00(Lab_under(library.wavelengths_nm, measured), Lab_under(library.wavelengths_nm, predicted))
        )
        worst = int(np.argmax(dE))
        residuals.append(BaseResidual(name, len(own), float(np.mean(dE)), float(dE[worst]), own[worst].line))
    return residuals


def drawdowns_csv(library: BaseLibrary, tints: tuple[float, ...] = DEFAULT_TINTS) -> str:
    """The drawdowns ``library`` predicts, in the CSV format ``parse_drawdowns`` reads: the white's masstone, then
    per coloured base its masstone and a tint at each base fraction of ``tints`` (the rest white). Fitting them
    with the library's white scattering gives the library back."""
    rows = [",".join(COLUMNS)]

    def add(base: str, fraction: float, white: float) -> None:
        reflectance = drawdown_reflectance(library, base, fraction, white)
        rows.extend(
            f"{base},{fraction:g},{white:g},{w:g},{r:.9f}"
            for w, r in zip(library.wavelengths_nm, reflectance, strict=True)
        )

    add(WHITE, 1.0, 0.0)
    for base in library.names:
        if base != WHITE:
            add(base, 1.0, 0.0)
            for tint in tints:
                add(base, tint, round(1.0 - tint, 9))
    return "\n".join(rows) + "\n"
