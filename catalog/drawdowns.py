"""Fit a base library's K and S from drawdowns: the two-constant Kubelka-Munk calibration.

The lab measures opaque drawdowns (spectral reflectance, specular excluded) of the white base alone, of
each coloured base alone (masstone) and of tints of each base with white at known mass fractions. For an
opaque film K/S = (1 − R)²/2R of the internal reflectance (Saunderson-corrected), and for a mix
K/S = (c_i K_i + c_w K_w) / (c_i S_i + c_w S_w), which is linear in the unknown K_i and S_i at each wavelength:

    c_i K_i − (K/S)_mix c_i S_i = (K/S)_mix c_w S_w − c_w K_w.

Opaque films fix only ratios, so the white's scattering S_w(λ) sets the scale (from a hiding-power
measurement or the supplier); K_w follows from its masstone. Each coloured base needs its masstone and at
least one tint. (Allen, E. (1980). Colorant formulation and shading. In Optical Radiation Measurements
vol. 2, Academic Press, 289-336.)

CSV, long format: ``base,base_fraction,white_fraction,wavelength_nm,reflectance`` (reflectance 0-1).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from catalog.bases import BaseLibrary
from color.kubelka_munk import KS_from_reflectance, saunderson_to_internal

WHITE = "white"
COLUMNS = ("base", "base_fraction", "white_fraction", "wavelength_nm", "reflectance")
MAX_ROWS = 200_000


class DrawdownError(ValueError):
    code = "invalid_drawdowns"


@dataclass(frozen=True)
class Drawdown:
    base: str
    base_fraction: float
    white_fraction: float
    reflectance: NDArray[np.float64]  # on the file's wavelength grid


def parse_drawdowns(text: str) -> tuple[NDArray[np.float64], list[Drawdown]]:
    """Wavelengths and drawdowns from the CSV; ``DrawdownError`` for anything malformed or unphysical."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or set(COLUMNS) - set(reader.fieldnames):
        raise DrawdownError(f"The drawdown CSV needs the columns {', '.join(COLUMNS)}.")
    samples: dict[tuple[str, float, float], dict[float, float]] = defaultdict(dict)
    for line, row in enumerate(reader, start=2):
        if line > MAX_ROWS:
            raise DrawdownError(f"At most {MAX_ROWS} rows are accepted.")
        try:
            base = row["base"].strip()
            key = (base, float(row["base_fraction"]), float(row["white_fraction"]))
            wavelength, value = float(row["wavelength_nm"]), float(row["reflectance"])
        except (TypeError, ValueError, AttributeError) as exc:
            raise DrawdownError(f"Row {line}: every value must be a number and the base a name.") from exc
        if not base or not all(np.isfinite([*key[1:], wavelength, value])):
            raise DrawdownError(f"Row {line}: missing or non-finite value.")
        if not 0.0 < value < 1.0:
            raise DrawdownError(f"Row {line}: reflectance {value:g} is impossible for an opaque drawdown (0-1).")
        if key[1] < 0 or key[2] < 0 or key[1] + key[2] <= 0 or key[1] + key[2] > 1:
            raise DrawdownError(f"Row {line}: fractions must be non-negative and add up to at most 1.")
        if wavelength in samples[key]:
            raise DrawdownError(f"Row {line}: wavelength {wavelength:g} nm repeated for the same drawdown.")
        samples[key][wavelength] = value
    if not samples:
        raise DrawdownError("The drawdown CSV has no rows.")
    grids = {tuple(sorted(values)) for values in samples.values()}
    if len(grids) != 1:
        raise DrawdownError("Every drawdown must be measured at the same wavelengths.")
    wavelengths = np.array(next(iter(grids)))
    drawdowns = [
        Drawdown(base, base_fraction, white_fraction, np.array([values[w] for w in wavelengths]))
        for (base, base_fraction, white_fraction), values in samples.items()
    ]
    return wavelengths, drawdowns


def fit_library(
    wavelengths: NDArray[np.float64],
    drawdowns: list[Drawdown],
    white_S: NDArray[np.float64],
    template: BaseLibrary,
    version: str,
) -> BaseLibrary:
    """K and S of every base from its drawdowns; limits and film thicknesses are taken from ``template``."""
    if not np.array_equal(wavelengths, template.wavelengths_nm):
        raise DrawdownError("Drawdowns must be measured on the library's wavelength grid.")
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
        k1=template.k1,
        k2=template.k2,
    )
