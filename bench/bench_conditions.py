"""Accuracy, refusals and the honesty of the stated uncertainty, by photo condition, size and skin class.

Photos are rendered physically (``color.simulate``) and measured by ``color.measure.measure_photo`` with the
cheek regions given as polygons, as the app sends them. Each condition group varies one family of conditions
on top of a random base; "mixed" draws every family at once. The base is a photo the pipeline should
handle: 2,000 px on the long side (the app's upload size), landscape or portrait, mirrored or not, the card
beside the face (own card 26-40 % of the short side, ColorChecker 35-55 %), turned up to ±20° in its plane
and tilted up to 10° out of it (pinhole camera, 23-28 mm equivalent), a lens blur of 0.3-0.7 px, cameras
and lights the spectral basis was built from, the phone's auto exposure, even light.

Groups (what each changes on the base):
  size          long side 1,600 / 2,000 / 3,000 / 4,032 px (12.2 MP), the same framing (twice the photos)
  card small    card width an eighth to a quarter of the image width (ColorChecker: to 30 %)
  tilt          tilted 10-35° out of plane about any axis, any in-plane rotation, anywhere in the frame
  touching      the card against the face or over its edge, by up to a quarter of its width
  white clipped exposure +0.3 to +0.9 EV with light falling off across the frame: the white patch clips
  light mismatch the face lit 0.8-1.25 times as brightly as the card
  gradient      irradiance changing by 20-60 % across the frame, in any direction
  shine+shadow  a specular highlight on one cheek, a cast shadow over part of one, or both (a third each)
  redder cheeks oxy-haemoglobin added to the skin (Beer-Lambert, 0.5-2 µM·cm: a* up by 0.9-7.0, median 1.5-6.1)
  very dark     held-out NIST skin with added epidermal melanin (OD 0.40-0.65 at 500 nm; L* 11.7-35.1)
  novel camera  cameras whose sensitivities the spectral basis never saw (Jiang et al. 2013, a phone average)
  novel light   lights the spectral basis was not built from (fluorescent, discharge, window daylight, tungsten)
  novel tone curve  published tone curves of other shapes than the three tuned on (ACES fit, Hable, a log-contrast S)
  mixed         each family above applied with probability 1/2 (size, camera and light drawn from all)

Truth: the skin spectrum under D65, CIE 1931 2° (what a spectrophotometer reads on the skin; shine,
shadow and uneven light never change it). Skin is held out from the skin prior (odd-numbered NIST
subjects and their darker versions) and, except in "very dark", drawn evenly across the six ITA classes.
Every photo has its own seed drawn from ``--seed``: a run is reproducible, whatever the number of workers.

Usage: ``python -m bench.bench_conditions [--quick] [--per-group N] [--workers N] [--seed S] [--csv FILE]``
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import astuple
from multiprocessing import get_context
from pathlib import Path

import colour
import cv2
import numpy as np
from numpy.typing import NDArray

from bench.conditions_cases import (
    BASE_CARD_FRACTION_OF_SHORT_SIDE,
    BASE_ILLUMINANTS,
    BASE_LONG_SIDE,
    BASE_TILT_DEG,
    BLUR_PX,
    CARDS,
    DARK_MELANIN_OD,
    EXPOSURE_EV,
    FACE_LIGHT,
    FULL_PER_GROUP,
    GRADIENT,
    GROUPS,
    HAEMOGLOBIN_M_CM,
    LONG_SIDES,
    NOVEL_TONES,
    QUICK_PER_GROUP,
    SHADOW_FILL,
    SHINE_PEAK,
    SHINE_RADIUS,
    SMALL_CARD_FRACTION,
    TILT_DEG,
    TONE_CURVES,
    TOUCH_GAP_CARD_WIDTHS,
    Case,
    Draw,
    make_cases,
)
from bench.conditions_report import Result, goals, report, timing, write_csv
from bench.datasets import (
    GRID_NM,
    NOVEL_ILLUMINANTS,
    cameras,
    illuminant,
    shared_data,
)
from color.colorimetry import delta_E00
from color.errors import PhotoError
from color.lab_uncertainty import half_widths_95
from color.measure import measure_photo
from color.packaged_data import load_card
from color.simulate import (
    Phone,
    Scene,
    render_photo,
)
from color.skin_tone import ITA_class, ITA_from_Lab


def _smallest_patch_px(card_id: str, corners: NDArray[np.float64]) -> float:
    """The smallest patch side in pixels at the card's smallest scale (its far side), from its corners."""
    layout = load_card(card_id).layout
    w, h = layout.size_mm
    sides = np.linalg.norm(np.roll(corners, -1, axis=0) - corners, axis=1)
    px_per_mm = min(sides[0] / w, sides[2] / w, sides[1] / h, sides[3] / h)
    return float(px_per_mm * min(min(p.rect_mm[2], p.rect_mm[3]) for p in layout.patches))


def _region_on_card(regions: list[dict[str, object]], corners: NDArray[np.float64], size: tuple[int, int]) -> float:
    """Share of the cheek regions' pixels that the card covers (rasterised at a quarter of the size)."""
    scale = 0.25
    shape = (round(size[1] * scale) + 1, round(size[0] * scale) + 1)
    card, cheeks = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
    cv2.fillPoly(card, [np.round(corners * scale).astype(np.int32)], 1)
    for region in regions:
        polygon = np.asarray(region["polygon"], dtype=np.float64)
        cv2.fillPoly(cheeks, [np.round(polygon * scale).astype(np.int32)], 1)
    total = int(cheeks.sum())
    return float(np.sum(card & cheeks) / total) if total else 0.0


def run_case(case: Case) -> Result:
    """Render and measure one photo (in a worker process)."""
    card = load_card(case.card_id)
    scene = Scene(
        illuminant=illuminant(case.illuminant),
        card=card,
        skin_wavelengths_nm=GRID_NM,
        skin_reflectance=case.skin_reflectance,
        **case.scene_options,
    )
    phone = Phone(
        name=case.camera,
        sensitivities=cameras()[case.camera],
        tone_curve=case.tone_curve,
        jpeg_quality=case.jpeg_quality,
    )
    started = time.perf_counter()
    photo = render_photo(scene, phone, case.shot, np.random.default_rng(case.seed))
    rendered = time.perf_counter()
    truth = photo.truth_Lab_D65
    common = {
        "skin_class": ITA_class(float(ITA_from_Lab(truth))),
        "patch_px": _smallest_patch_px(case.card_id, photo.card_corners_px),
        "region_on_card": _region_on_card(photo.regions, photo.card_corners_px, case.shot.size),
        "white_clipped": photo.white_patch_clipped_share,
        "truth_Lab": tuple(float(v) for v in truth),
    }
    try:
        measured = measure_photo(photo.jpeg, regions=photo.regions)
    except PhotoError as error:
        return Result(case, error.code, render_s=rendered - started, measure_s=time.perf_counter() - rendered, **common)
    except Exception as error:  # a crash is a finding of the benchmark, not its end
        return Result(case, f"crash: {type(error).__name__}: {error}"[:80], render_s=rendered - started, **common)
    return Result(
        case,
        None,
        error_dE00=float(delta_E00(measured.Lab_D65, truth)),
        uncertainty_dE00=float(measured.uncertainty_dE00_95),
        render_s=rendered - started,
        measure_s=time.perf_counter() - rendered,
        extra={"card_found": 1.0 if measured.card_id == case.card_id else 0.0},
        measured_Lab=tuple(float(v) for v in measured.Lab_D65),
        half_widths_95=astuple(half_widths_95(measured.Lab_D65, measured.uncertainty.covariance(measured.Lab_D65))),
        **common,
    )


def _run_all(cases: list[Case], workers: int, progress: Callable[[int], None]) -> list[Result]:
    ordered = sorted(cases, key=lambda c: -c.shot.size[0] * c.shot.size[1])  # the largest first: even load
    results: list[Result] = []
    if workers <= 1:
        for case in ordered:
            results.append(run_case(case))
            progress(len(results))
    else:
        with get_context("fork").Pool(workers, initializer=cv2.setNumThreads, initargs=(1,)) as pool:
            for result in pool.imap_unordered(run_case, ordered, chunksize=1):
                results.append(result)
                progress(len(results))
    return sorted(results, key=lambda r: r.case.index)


def _git_state() -> str:
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit}{' with uncommitted changes' if dirty.strip() else ''}"


def _settings(arguments: argparse.Namespace, per_group: int, draw: Draw) -> None:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"bench_conditions, {now}; commit {_git_state()}")
    print(
        f"  python {platform.python_version()}, numpy {np.__version__}, opencv {cv2.__version__}, "
        f"colour-science {colour.__version__}; {arguments.workers} worker processes on {os.cpu_count()} CPUs"
    )
    print(
        f"  seed {arguments.seed}; {per_group} photos per group and card; {'quick' if arguments.quick else 'full'} run"
    )
    print(f"  cards {', '.join(arguments.cards)}; groups {', '.join(arguments.groups)}")
    print(
        f"  base: long side {BASE_LONG_SIDE} px (3:4 or 4:3), card width {BASE_CARD_FRACTION_OF_SHORT_SIDE} of the "
        "image's short side,"
    )
    print(
        f"    in-plane ±20°, out-of-plane tilt ≤ {BASE_TILT_DEG}°, blur {BLUR_PX} px, mirrored half the time, "
        f"tone curves {TONE_CURVES}, JPEG 85-95, white balance error 4 %"
    )
    print(
        f"  sizes {LONG_SIDES}; small card {SMALL_CARD_FRACTION}; tilt {TILT_DEG}°; "
        f"touching gap {TOUCH_GAP_CARD_WIDTHS} card widths"
    )
    print(
        f"  exposure bias {EXPOSURE_EV} EV; face light {FACE_LIGHT}; gradient {GRADIENT}; "
        f"HbO2 {tuple(v * 1e6 for v in HAEMOGLOBIN_M_CM)} µM·cm; very dark melanin OD {DARK_MELANIN_OD}"
    )
    print(
        f"  shine radius {SHINE_RADIUS} face half-widths, peak {SHINE_PEAK} × (radius / {SHINE_RADIUS[0]})^-2 of "
        f"a white diffuser; shadow fill {SHADOW_FILL} of the light"
    )
    print(f"  base lights ({len(BASE_ILLUMINANTS)}): {', '.join(BASE_ILLUMINANTS)}")
    print(f"  novel lights ({len(NOVEL_ILLUMINANTS)}): {', '.join(NOVEL_ILLUMINANTS)}")
    print(f"  base cameras, the spectral basis's own ({len(draw.basis_cameras)}): {', '.join(draw.basis_cameras)}")
    print(f"  novel cameras ({len(draw.novel_cameras)}): {', '.join(draw.novel_cameras)}")
    print(f"  novel tone curves ({len(NOVEL_TONES)}): {', '.join(NOVEL_TONES)}")
    held_out = sum(len(v) for v in draw.by_class.values())
    classes = ", ".join(f"{k} {len(v)}" for k, v in sorted(draw.by_class.items()))
    print(f"  held-out skin spectra {held_out} ({classes}); very dark from {len(draw.held_out_base)} NIST subjects")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PER_GROUP} photos per group and card")
    parser.add_argument("--per-group", type=int, default=None, help=f"photos per group and card ({FULL_PER_GROUP})")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--cards", nargs="+", default=list(CARDS), choices=CARDS)
    parser.add_argument("--groups", nargs="+", default=list(GROUPS), choices=GROUPS)
    parser.add_argument("--csv", type=Path, default=None, help="write one row per photo to this file")
    arguments, _ = parser.parse_known_args(argv if argv is not None else [])  # `python -m bench` passes all
    if shared_data() is None:
        print("bench_conditions: ../shared/data is absent: no NIST skin, no novel cameras, no haemoglobin; skipped")
        return
    per_group = arguments.per_group or (QUICK_PER_GROUP if arguments.quick else FULL_PER_GROUP)
    draw = Draw(arguments.seed)
    _settings(arguments, per_group, draw)
    cases = make_cases(draw, arguments.cards, arguments.groups, per_group)
    started = time.perf_counter()

    def progress(done: int) -> None:
        if done % 50 == 0 or done == len(cases):
            elapsed = time.perf_counter() - started
            print(f"  {done}/{len(cases)} photos, {elapsed / 60:.1f} min", file=sys.stderr, flush=True)

    results = _run_all(cases, arguments.workers, progress)
    wall = time.perf_counter() - started
    for card_id in arguments.cards:
        report(results, card_id)
    goals(results)
    timing(results, wall, arguments.workers)
    if arguments.csv is not None:
        write_csv(results, arguments.csv)
        print(f"per-photo results: {arguments.csv}")


if __name__ == "__main__":
    main(sys.argv[1:])
