"""Melanin and erythema indices (``color.skin_indices``) on skins whose melanin and blood content is set.

Skins: the held-out NIST forearm spectra (odd-numbered subjects, never in the skin prior), each given
``--per-subject`` random additions of epidermal melanin (0 to ``--max-melanin`` OD at 500 nm) and dermal blood
(0 to ``--max-blood`` µM·cm) with the skin prior's own functions (``darken_with_melanin``,
``redden_with_blood``). Their true D65 CIELAB is computed from the spectra, then a measurement error of the
size the photo pipeline states (95 % radius ``--radius`` ΔE00, isotropic in CIEDE2000) is added.

Printed:
- Spearman rank correlation of each index with the added content, across all skins (different base skins mixed),
  and with the total content: added plus the base skin's own, found by fitting the same model to its whole
  spectrum (400-700 nm, least squares on log10 R), as a spectrophotometer would; beside them the plain colour
  coordinate a reader might use instead (ITA° for melanin, a* for redness);
- the coverage of the stated 95 % half-widths (Monte Carlo: the index's change under the drawn error);
- the detectable redness step: blood added between two measurements of the same skin, each with its own error,
  counted as a change when the index rises by more than the combined 95 % uncertainty √(U1² + U2²); the rate at
  each step, the false-alarm rate at no change, and the smallest step detected in ≥ ``DETECTION_RATE`` of cases.

Usage: ``python -m bench.bench_skin_indices [--radius 1.5] [--seed 12] [--per-subject 4]``
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.stats import spearmanr

from bench.datasets import GRID_NM, nist_skin, shared_data
from color import skin_prior
from color.colorimetry import XYZ_to_Lab_D65, delta_E00
from color.skin_indices import _model, sample_Lab_within, skin_indices_from_Lab
from color.skin_tone import ITA_from_Lab
from color.spectral import reflectance_to_XYZ

DETECTION_RATE = 0.9  # a step counts as detectable when nine of ten pairs of photos show it
BLOOD_STEPS_UM_CM = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
FIT_BAND_NM = (400.0, 700.0)  # where the NIST spectra and the CIE observer both carry weight


@dataclass(frozen=True)
class KnownSkins:
    """Skins of set content: spectra, D65 CIELAB, added melanin (OD) and blood (µM·cm), base index."""

    reflectance: NDArray[np.float64]
    Lab_D65: NDArray[np.float64]
    added_melanin_od: NDArray[np.float64]
    added_blood_uM_cm: NDArray[np.float64]
    base: NDArray[np.int64]


def held_out_spectra() -> NDArray[np.float64] | None:
    """Reflectance (n, n_λ) of the odd-numbered NIST subjects, or None without ``../shared/data``."""
    skins = nist_skin()
    if skins is None:
        return None
    return np.array([s.reflectance for s in skins if not skin_prior.is_training_subject(s.name)])


def add_content(
    base_reflectance: NDArray[np.float64], melanin_od: float, blood_uM_cm: float, shared: Path
) -> NDArray[np.float64]:
    """A base spectrum with melanin and blood added by the skin prior's model."""
    HbO2, Hb = skin_prior.haemoglobin_extinction(shared)
    darker = skin_prior.darken_with_melanin(GRID_NM, base_reflectance, melanin_od)
    return skin_prior.redden_with_blood(GRID_NM, darker, HbO2, Hb, blood_uM_cm * 1e-6)


def known_skins(
    bases: NDArray[np.float64], per_subject: int, max_melanin: float, max_blood: float, rng: np.random.Generator
) -> KnownSkins:
    shared = shared_data()
    assert shared is not None
    base = np.repeat(np.arange(len(bases)), per_subject)
    melanin = rng.uniform(0.0, max_melanin, base.size)
    blood = rng.uniform(0.0, max_blood, base.size)
    spectra = np.array([add_content(bases[i], d, b, shared) for i, d, b in zip(base, melanin, blood, strict=True)])
    Lab = XYZ_to_Lab_D65(reflectance_to_XYZ(GRID_NM, spectra))
    return KnownSkins(spectra, Lab, melanin, blood, base)


def spectral_content(reflectance: NDArray[np.float64]) -> NDArray[np.float64]:
    """(D, B) of the index model fitted to whole spectra (n, n_λ) by linear least squares on log10 R."""
    log_reference, absorbance, _ = _model()
    low, high = FIT_BAND_NM
    band = (low <= GRID_NM) & (high >= GRID_NM)
    target = (np.log10(reflectance) - log_reference)[:, band]
    solution = np.linalg.lstsq(-absorbance[:, band].T, target.T, rcond=None)[0]
    content: NDArray[np.float64] = solution.T
    return content


def rho(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    return float(spearmanr(x, y).statistic)


def ranking(skins: KnownSkins, bases: NDArray[np.float64], radius: float, rng: np.random.Generator) -> None:
    measured = sample_Lab_within(skins.Lab_D65, np.full(len(skins.base), radius), rng)
    indices = skin_indices_from_Lab(measured, radius)
    own = spectral_content(bases)[skins.base]
    ita = ITA_from_Lab(measured)
    print(f"  {'':>32} {'vs added':>9} {'vs total':>9}   plain colour instead (vs added, total)")
    print(
        f"  {'melanin index D (OD)':>32} {rho(indices.melanin_od, skins.added_melanin_od):9.3f} "
        f"{rho(indices.melanin_od, skins.added_melanin_od + own[:, 0]):9.3f}   −ITA°: "
        f"{rho(-ita, skins.added_melanin_od):.3f}, {rho(-ita, skins.added_melanin_od + own[:, 0]):.3f}"
    )
    blood, total_blood = skins.added_blood_uM_cm, skins.added_blood_uM_cm + own[:, 1]
    print(
        f"  {'erythema index B (µM·cm)':>32} {rho(indices.blood_uM_cm, blood):9.3f} "
        f"{rho(indices.blood_uM_cm, total_blood):9.3f}   a*: "
        f"{rho(measured[:, 1], blood):.3f}, {rho(measured[:, 1], total_blood):.3f}"
    )
    exact = skin_indices_from_Lab(skins.Lab_D65)
    melanin_in = np.abs(indices.melanin_od - exact.melanin_od) <= indices.melanin_od_95
    blood_in = np.abs(indices.blood_uM_cm - exact.blood_uM_cm) <= indices.blood_uM_cm_95
    print(
        f"  stated 95 % half-widths, median: D ±{np.median(indices.melanin_od_95):.3f} OD, "
        f"B ±{np.median(indices.blood_uM_cm_95):.2f} µM·cm; they cover the error in {melanin_in.mean():.1%} "
        f"and {blood_in.mean():.1%} of skins"
    )


def redness_step(bases: NDArray[np.float64], repeats: int, radius: float, rng: np.random.Generator) -> None:
    shared = shared_data()
    assert shared is not None
    before_spectra = np.repeat(bases, repeats, axis=0)
    before_Lab = XYZ_to_Lab_D65(reflectance_to_XYZ(GRID_NM, before_spectra))
    print(f"  {'blood added (µM·cm)':>20} {'Δa* median':>11} {'ΔE00 median':>12} {'detected':>9}")
    smallest = None
    for step in BLOOD_STEPS_UM_CM:
        after = np.array([add_content(s, 0.0, step, shared) for s in before_spectra])
        after_Lab = XYZ_to_Lab_D65(reflectance_to_XYZ(GRID_NM, after))
        first = skin_indices_from_Lab(sample_Lab_within(before_Lab, np.full(len(before_Lab), radius), rng), radius)
        second = skin_indices_from_Lab(sample_Lab_within(after_Lab, np.full(len(after_Lab), radius), rng), radius)
        combined = np.hypot(first.blood_uM_cm_95, second.blood_uM_cm_95)
        rate = float(np.mean(second.blood_uM_cm - first.blood_uM_cm > combined))
        if step > 0 and smallest is None and rate >= DETECTION_RATE:
            smallest = (step, rate, float(np.median(after_Lab[:, 1] - before_Lab[:, 1])))
        print(
            f"  {step:20.2f} {np.median(after_Lab[:, 1] - before_Lab[:, 1]):11.2f} "
            f"{np.median(delta_E00(before_Lab, after_Lab)):12.2f} {rate:9.1%}"
            + ("   (false alarms)" if step == 0 else "")
        )
    if smallest is None:
        print(f"  no step up to {BLOOD_STEPS_UM_CM[-1]} µM·cm is detected in ≥ {DETECTION_RATE:.0%} of pairs")
    else:
        print(
            f"  smallest redness increase detected in ≥ {DETECTION_RATE:.0%} of pairs: +{smallest[0]:.2f} µM·cm "
            f"haemoglobin (Δa* ≈ {smallest[2]:+.1f}), detected in {smallest[1]:.1%}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--radius", type=float, default=1.5, help="stated 95 %% radius of the colour, ΔE00")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--per-subject", type=int, default=4)
    parser.add_argument("--max-melanin", type=float, default=0.5, help="OD at 500 nm: to ITA about −60°")
    parser.add_argument("--max-blood", type=float, default=3.0, help="µM·cm: forearm to flushed cheek")
    arguments, _ = parser.parse_known_args(argv)
    bases = held_out_spectra()
    if bases is None:
        print("skin indices: skipped, ../shared/data is absent (held-out NIST skin spectra)")
        return
    rng = np.random.default_rng(arguments.seed)
    skins = known_skins(bases, arguments.per_subject, arguments.max_melanin, arguments.max_blood, rng)
    print(
        f"skin indices: {len(bases)} held-out NIST subjects × {arguments.per_subject} = {len(skins.base)} skins, "
        f"melanin +0-{arguments.max_melanin} OD, blood +0-{arguments.max_blood} µM·cm, "
        f"colour error 95 % radius {arguments.radius} ΔE00; Spearman ρ across all skins"
    )
    ranking(skins, bases, arguments.radius, rng)
    print(f"redness step: each held-out subject measured twice per step, {arguments.per_subject} times")
    redness_step(bases, arguments.per_subject, arguments.radius, rng)


if __name__ == "__main__":
    main()
