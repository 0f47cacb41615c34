"""The tables of ``bench.bench_conditions``: refusals, accuracy and the stated uncertainty's coverage by group,
size, skin class and patch size; the goals; one CSV row per photo; the timing."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bench.conditions_cases import CARDS, COVERAGE_GOAL, GROUPS, LONG_SIDES, PATCH_PX_BINS, Case, bin_label
from color.quality import MIN_PATCH_PX
from color.skin_tone import ITA_from_Lab

# The Sigma SD Merrill's Foveon X3 sensor stacks its three layers in depth, with broad overlapping sensitivities
# far from any linear mix of the CIE observer's; phones use colour-filter (Bayer) sensors. It stays in the
# benchmark as a hard case, and the goals are shown with and without it.
FOVEON_CAMERAS = frozenset({"Sigma SDMerill (NPL)"})
BAYER, FOVEON = "colour-filter (Bayer) sensors", "Foveon X3 (Sigma SD Merrill)"


def _sensor_kind(camera: str) -> str:
    return FOVEON if camera in FOVEON_CAMERAS else BAYER


@dataclass(frozen=True)
class Result:
    case: Case
    code: str | None  # refusal code, None when answered
    error_dE00: float = float("nan")
    uncertainty_dE00: float = float("nan")
    skin_class: str = ""
    patch_px: float = 0.0
    region_on_card: float = 0.0  # share of the cheek regions' area covered by the card
    white_clipped: float = 0.0
    render_s: float = 0.0
    measure_s: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    truth_Lab: tuple[float, float, float] = (float("nan"),) * 3  # CIELAB D65 2° of the skin spectrum
    measured_Lab: tuple[float, float, float] = (float("nan"),) * 3
    half_widths_95: tuple[float, float, float, float] = (float("nan"),) * 4  # L*, a*, b*, ITA° as stated


def _row(label: str, results: list[Result], width: int = 30) -> str:
    n = len(results)
    answered = [r for r in results if r.code is None]
    refused = n - len(answered)
    codes = Counter(r.code for r in results if r.code is not None)
    code_text = ", ".join(f"{c} {k}" for c, k in codes.most_common()) or "-"
    if answered:
        errors = np.array([r.error_dE00 for r in answered])
        stated = np.array([r.uncertainty_dE00 for r in answered])
        covered = 100 * float(np.mean(errors <= stated))
        numbers = (
            f"{np.median(errors):6.2f} {np.percentile(errors, 95):6.2f} {np.max(errors):6.2f} "
            f"{np.median(stated):6.2f} {covered:6.1f}"
        )
    else:
        numbers = f"{'-':>6s} {'-':>6s} {'-':>6s} {'-':>6s} {'-':>6s}"
    refusal = 100 * refused / n if n else float("nan")
    return f"{label:{width}s} {n:4d} {refusal:6.1f}  {numbers}  {code_text}"


def _table(title: str, groups: dict[str, list[Result]], order: Iterable[str] | None = None, width: int = 30) -> None:
    print(f"\n{title}")
    header = (
        f"{'':{width}s} {'n':>4s} {'refuse':>6s}  {'median':>6s} {'p95':>6s} {'max':>6s} {'U95 md':>6s} {'cover':>6s}"
    )
    print(f"{header}  refusal codes (count)")
    print(f"{'':{width}s} {'':>4s} {'%':>6s}  {'ΔE00':>6s} {'ΔE00':>6s} {'ΔE00':>6s} {'ΔE00':>6s} {'%':>6s}")
    for key in order if order is not None else sorted(groups):
        if key in groups:
            print(_row(key, groups[key], width))


def _patch_bin(px: float) -> str:
    """The label of the ``PATCH_PX_BINS`` bin holding ``px``."""
    index = int(np.searchsorted(PATCH_PX_BINS, px, side="right")) - 1
    low, high = PATCH_PX_BINS[index], PATCH_PX_BINS[min(index + 1, len(PATCH_PX_BINS) - 1)]
    return f"{low}-{high} px" if high < PATCH_PX_BINS[-1] else f">= {low} px"


def report(results: list[Result], card_id: str) -> None:
    mine = [r for r in results if r.case.card_id == card_id]
    if not mine:
        return
    print(f"\n=== {card_id}: {len(mine)} photos")
    print(
        "columns: n photos; refused %; of the answered: median, 95th percentile and largest ΔE00 to the truth, "
        "median stated 95 % uncertainty, and % whose true error ≤ the stated uncertainty (goal ≥ 95)"
    )
    by_group: dict[str, list[Result]] = defaultdict(list)
    by_size: dict[str, list[Result]] = defaultdict(list)
    by_class: dict[str, list[Result]] = defaultdict(list)
    by_patch: dict[str, list[Result]] = defaultdict(list)
    by_detail: dict[str, list[Result]] = defaultdict(list)
    for r in mine:
        by_group[r.case.group].append(r)
        by_group["all"].append(r)
        by_size[f"{max(r.case.shot.size)} px long side"].append(r)
        by_class[r.skin_class].append(r)
        by_patch[_patch_bin(r.patch_px)].append(r)
        if r.case.detail != "-":
            by_detail[f"{r.case.group}: {r.case.detail}"].append(r)
        if r.case.group == "white clipped":
            share = bin_label(r.white_clipped, (1e-9, 0.5), ("none", "< 1/2", "≥ 1/2"))
            by_detail[f"white clipped: white patch at 255 over {share} of it"].append(r)
        if r.region_on_card > 0:
            by_detail[f"{r.case.group}: cheek region partly on the card"].append(r)
    _table("by condition group", by_group, ["all", *GROUPS])
    _table(
        "by size (all groups; outside 'size' and 'mixed' every photo is 2000 px)",
        by_size,
        [f"{s} px long side" for s in LONG_SIDES],
    )
    class_order = ["very_light", "light", "intermediate", "tan", "brown", "dark"]
    _table("by skin class (ITA°, Del Bino & Bernerd 2013; all groups)", by_class, class_order)
    patch_order = [_patch_bin(low) for low in PATCH_PX_BINS[:-1]]
    patch_title = f"by the card's smallest patch in the photo (all groups; sampled from {MIN_PATCH_PX} px)"
    _table(patch_title, by_patch, patch_order)
    by_sensor: dict[str, list[Result]] = defaultdict(list)
    for r in mine:
        by_sensor[_sensor_kind(r.case.camera)].append(r)
    _table("by sensor (all groups)", by_sensor, [BAYER, FOVEON])
    _table("within groups", by_detail, sorted(by_detail, key=lambda k: (GROUPS.index(k.split(":")[0]), k)), width=52)
    _coordinate_table(by_group, ["all", *GROUPS])
    crashes = [r for r in mine if r.code and r.code.startswith("crash")]
    if crashes:
        print(f"\ncrashes (not refusals): {len(crashes)}; first: {crashes[0].code} in {crashes[0].case.group}")
    wrong_card = [r for r in mine if r.code is None and r.extra.get("card_found") == 0.0]
    if wrong_card:
        print(f"\nanswered with another card than the one in the photo: {len(wrong_card)}")


COORDINATES = ("L*", "a*", "b*", "ITA°")


def coordinate_errors(results: Iterable[Result]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The answered photos' absolute errors of L*, a*, b* and ITA° (n, 4), and the half-widths they stated."""
    answered = [r for r in results if r.code is None]
    truth = np.array([r.truth_Lab for r in answered]).reshape(-1, 3)
    measured = np.array([r.measured_Lab for r in answered]).reshape(-1, 3)
    errors = np.abs(np.column_stack([measured - truth, ITA_from_Lab(measured) - ITA_from_Lab(truth)]))
    return errors, np.array([r.half_widths_95 for r in answered]).reshape(-1, 4)


def _coordinate_table(groups: dict[str, list[Result]], order: Iterable[str]) -> None:
    print("\neach coordinate's stated 95 % half-width (what a clinic's before/after comparison reads), by group:")
    print("  median half-width, 95th percentile of the true error, and % of answered photos it covers (goal ≥ 95)")
    print(f"{'':30s} {'n':>4s}  " + "  ".join(f"{name + ' hw':>8s} {'p95':>5s} {'cover':>5s}" for name in COORDINATES))
    for key in order:
        errors, widths = coordinate_errors(groups.get(key, []))
        if not len(errors):
            continue
        cells = [
            f"{np.median(widths[:, k]):8.2f} {np.percentile(errors[:, k], 95):5.2f} "
            f"{100 * np.mean(errors[:, k] <= widths[:, k]):5.1f}"
            for k in range(4)
        ]
        print(f"{key:30s} {len(errors):4d}  " + "  ".join(cells))


def goals(results: list[Result]) -> None:
    """The issue's goals, each against this run's numbers."""
    print("\n=== goals (this run)")

    def answered(items: Iterable[Result]) -> NDArray[np.float64]:
        return np.array([r.error_dE00 for r in items if r.code is None])

    own = [r for r in results if r.case.card_id == "tm-skin-v1"]
    subsets: list[tuple[str, Callable[[Result], bool]]] = [
        ("base conditions ('size' group)", lambda r: r.case.group == "size"),
        ("every group but light mismatch", lambda r: r.case.group != "light mismatch"),
        ("the same, Bayer sensors", lambda r: r.case.group != "light mismatch" and _bayer(r)),
    ]
    print("  tm-skin-v1, median ≤ 1.0 and p95 ≤ 2.0 ΔE00 at every size (light mismatch cannot be seen in a photo;")
    print("  its goal is the coverage below):")
    for side in LONG_SIDES:
        parts = []
        for label, keep in subsets:
            errors = answered(r for r in own if max(r.case.shot.size) == side and keep(r))
            if errors.size:
                median, p95 = float(np.median(errors)), float(np.percentile(errors, 95))
                verdict = "met" if median <= 1.0 and p95 <= 2.0 else "NOT met"
                parts.append(f"{label}: {median:.2f} / {p95:.2f} (n {errors.size}) {verdict}")
        if parts:
            print(f"    {side} px: " + "; ".join(parts))
    checker = answered(r for r in results if r.case.card_id == "colorchecker-classic-24")
    if checker.size:
        print(
            f"  colorchecker median {np.median(checker):.2f} (≤ 1.5), n {checker.size}: "
            f"{'met' if np.median(checker) <= 1.5 else 'NOT met'}"
        )
    short = []
    for card_id in CARDS:
        for group in GROUPS:
            items = [r for r in results if r.case.card_id == card_id and r.case.group == group and r.code is None]
            if items:
                coverage = 100 * float(np.mean([r.error_dE00 <= r.uncertainty_dE00 for r in items]))
                if coverage < COVERAGE_GOAL:
                    short.append(f"{card_id} / {group} {coverage:.0f} %")
    print(f"  95 % uncertainty covers ≥ 95 % in every group: {'met' if not short else 'NOT met: ' + '; '.join(short)}")
    _coordinate_goal(results)


def _coordinate_goal(results: list[Result]) -> None:
    short = []
    for card_id in CARDS:
        for group in GROUPS:
            errors, widths = coordinate_errors(r for r in results if (r.case.card_id, r.case.group) == (card_id, group))
            for k, name in enumerate(COORDINATES):
                coverage = 100 * float(np.mean(errors[:, k] <= widths[:, k])) if len(errors) else 100.0
                if coverage < COVERAGE_GOAL:
                    short.append(f"{card_id} / {group} / {name} {coverage:.0f} %")
    verdict = "met" if not short else "NOT met: " + "; ".join(short)
    print(f"  each coordinate's 95 % half-width (L*, a*, b*, ITA°) covers ≥ 95 % in every group: {verdict}")


def write_csv(results: list[Result], path: Path) -> None:
    """One row per photo: its conditions and what the measurement answered."""
    note_keys = sorted({k for r in results for k in r.case.notes})
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "index", "group", "card", "detail", "width", "height", "seed", "skin", "skin_class", "illuminant",
                "camera", "tone_curve", "jpeg_quality", "card_width_px", "rotation_deg", "tilt_a_deg", "tilt_b_deg",
                "focal_35mm", "blur_px", "mirrored", *note_keys, "code", "error_dE00", "uncertainty_dE00",
                "patch_px", "region_on_card", "white_clipped", "render_s", "measure_s",
                "truth_L", "truth_a", "truth_b", "measured_L", "measured_a", "measured_b",
                "half_width_L", "half_width_a", "half_width_b", "half_width_ita_deg",
            ]
        )  # fmt: skip
        for r in results:
            c, shot = r.case, r.case.shot
            tilt = shot.card_tilt_deg or (0.0, 0.0)
            writer.writerow(
                [
                    c.index, c.group, c.card_id, c.detail, *shot.size, c.seed, c.skin_name, r.skin_class,
                    c.illuminant, c.camera, c.tone_curve, c.jpeg_quality, round(shot.card_width, 1),
                    round(shot.card_rotation_deg, 2), round(tilt[0], 2), round(tilt[1], 2),
                    round(shot.focal_length_35mm, 2), round(shot.optical_blur_px, 2), shot.mirrored,
                    *(round(c.notes.get(k, float("nan")), 4) for k in note_keys), r.code or "",
                    round(r.error_dE00, 3), round(r.uncertainty_dE00, 3), round(r.patch_px, 1),
                    round(r.region_on_card, 3), round(r.white_clipped, 3), round(r.render_s, 3), round(r.measure_s, 3),
                    *(round(v, 3) for v in r.truth_Lab), *(round(v, 3) for v in r.measured_Lab),
                    *(round(v, 3) for v in r.half_widths_95),
                ]
            )  # fmt: skip


def timing(results: list[Result], wall_s: float, workers: int) -> None:
    print(f"\n=== time: {len(results)} photos in {wall_s / 60:.1f} min wall on {workers} workers")
    by_side: dict[int, list[Result]] = defaultdict(list)
    for r in results:
        by_side[max(r.case.shot.size)].append(r)
    for side in sorted(by_side):
        items = by_side[side]
        render = np.mean([r.render_s for r in items])
        measure = np.mean([r.measure_s for r in items])
        print(f"  {side:5d} px: {len(items):5d} photos, render {render:5.2f} s, measure {measure:5.2f} s per photo")


def _bayer(result: Result) -> bool:
    return _sensor_kind(result.case.camera) == BAYER
