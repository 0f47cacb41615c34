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
  mixed         each family above applied with probability 1/2 (size, camera and light drawn from all)

Truth: the skin spectrum under D65, CIE 1931 2° (what a spectrophotometer reads on the skin; shine,
shadow and uneven light never change it). Skin is held out from the skin prior (odd-numbered NIST
subjects and their darker versions) and, except in "very dark", drawn evenly across the six ITA classes.
Every photo has its own seed drawn from ``--seed``: a run is reproducible, whatever the number of workers.

Usage: ``python -m bench.bench_conditions [--quick] [--per-group N] [--workers N] [--seed S] [--csv FILE]``
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import colour
import cv2
import numpy as np
from numpy.typing import NDArray

from bench.datasets import (
    GRID_NM,
    NOVEL_ILLUMINANTS,
    basis_cameras,
    cameras,
    darken_with_melanin,
    haemoglobin_extinction,
    illuminant,
    novel_cameras,
    shared_data,
    skin_set,
)
from color.colorimetry import delta_E00
from color.errors import PhotoError
from color.measure import measure_photo
from color.packaged_data import load_card
from color.simulate import (
    Phone,
    Scene,
    Shadow,
    Shine,
    Shot,
    add_haemoglobin,
    card_corners_px,
    card_face_gap_px,
    place_card_beside_face,
    render_photo,
    skin_truth_Lab,
)
from color.skin_prior import is_training_subject
from color.skin_tone import ITA_class, ITA_from_Lab

CARDS = ("tm-skin-v1", "colorchecker-classic-24")
GROUPS = (
    "base",
    "size",
    "card small",
    "tilt",
    "touching",
    "white clipped",
    "light mismatch",
    "gradient",
    "shine+shadow",
    "redder cheeks",
    "very dark",
    "novel camera",
    "novel light",
    "mixed",
)
LONG_SIDES = (1600, 2000, 3000, 4032)  # 4032 × 3024 = 12.2 MP
BASE_LONG_SIDE = 2000
# Lights the spectral basis was built from that a person takes a selfie under (HP1, a sodium street lamp,
# and the coloured LEDs are left out of the base: they are not "ordinary room light").
BASE_ILLUMINANTS = ("A", "D50", "D65", "D75", "FL2", "FL7", "FL11", "LED-B1", "LED-B3", "LED-B5", "LED-BH1")
TONE_CURVES = ("sRGB", "filmic", "gamma_2.2")
# The base card's width as a fraction of the image's short side (the same size in pixels either way up): at
# 2,000 px the own card's patches then span 36-56 px, above the pipeline's 32 px.
BASE_CARD_FRACTION_OF_SHORT_SIDE = {"tm-skin-v1": (0.26, 0.4), "colorchecker-classic-24": (0.35, 0.55)}
# "card small": its width as a fraction of the image width, down to an eighth (issue step 1).
SMALL_CARD_FRACTION = {"tm-skin-v1": (1 / 8, 0.25), "colorchecker-classic-24": (1 / 8, 0.3)}
BASE_TILT_DEG = 10.0
TILT_DEG = (10.0, 35.0)
TOUCH_GAP_CARD_WIDTHS = (-0.25, 0.0)
EXPOSURE_EV = (0.3, 0.9)
FACE_LIGHT = (0.8, 1.25)
GRADIENT = (0.2, 0.6)
SHINE_RADIUS = (0.04, 0.12)  # Gaussian standard deviation of a highlight, in face half-widths
SHINE_PEAK = (0.5, 1.5)  # its peak at the smallest radius, relative to a white diffuser: 1 and more clips
SHADOW_FILL = (0.3, 0.6)
HAEMOGLOBIN_M_CM = (0.5e-6, 2.0e-6)
DARK_MELANIN_OD = (0.40, 0.65)
BLUR_PX = (0.3, 0.7)
MIN_GAP_FRACTION = 0.02  # outside "touching", the card keeps this share of the image width from the face
FRAME_MARGIN_FRACTION = 0.02
COVERAGE_GOAL = 95.0
QUICK_PER_GROUP = 6
# Sized from the time per photo this program measures (2 workers; render + measure 0.8 s at 2,000 px, 2.0 s
# at 12 MP): 1,920 photos in 14 minutes on 2 cores (2026-12-01), room left under 25 minutes.
FULL_PER_GROUP = 64
SIZE_GROUP_FACTOR = 2  # "size" spreads its photos over four sizes: twice as many keep each size's count up
PATCH_PX_BINS = (0, 16, 24, 32, 48, 80, 10_000)


@dataclass(frozen=True)
class Case:
    """Everything one photo is rendered from (picklable: spectra are arrays, lights and cameras names)."""

    index: int
    group: str
    card_id: str
    seed: int
    skin_name: str
    skin_reflectance: NDArray[np.float64]  # on GRID_NM
    illuminant: str
    camera: str
    tone_curve: str
    jpeg_quality: int
    shot: Shot
    scene_options: dict[str, Any]
    detail: str = "-"
    notes: dict[str, float] = field(default_factory=dict)


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


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(*bounds))


def _size(long_side: int, portrait: bool) -> tuple[int, int]:
    short = round(long_side * 3 / 4)
    return (short, long_side) if portrait else (long_side, short)


def _face(rng: np.random.Generator, portrait: bool) -> tuple[tuple[float, float], tuple[float, float]]:
    scale = _uniform(rng, (0.85, 1.05))
    if portrait:
        return (0.33 + rng.uniform(-0.02, 0.02), 0.45 + rng.uniform(-0.03, 0.03)), (0.24 * scale, 0.27 * scale)
    return (0.34 + rng.uniform(-0.03, 0.03), 0.48 + rng.uniform(-0.03, 0.03)), (0.2 * scale, 0.34 * scale)


def _inside(corners: NDArray[np.float64], size: tuple[int, int]) -> bool:
    margin = FRAME_MARGIN_FRACTION * size[0]
    return bool(
        np.all(corners >= margin)
        and np.all(corners[:, 0] <= size[0] - margin)
        and np.all(corners[:, 1] <= size[1] - margin)
    )


def _place(rng: np.random.Generator, card_id: str, shot: Shot, anywhere: bool, gap_px: float | None) -> Shot | None:
    """The shot with the card at a random place in the frame, clear of the face (or at ``gap_px`` from it)."""
    card = load_card(card_id)
    for _ in range(40):
        if anywhere:
            centre = (_uniform(rng, (0.15, 0.85)), _uniform(rng, (0.2, 0.8)))
        else:
            centre = (_uniform(rng, (0.6, 0.85)), shot.face_centre[1] + _uniform(rng, (-0.05, 0.2)))
        candidate = replace(shot, card_centre=centre)
        if gap_px is not None:
            candidate = place_card_beside_face(card, replace(candidate, card_centre=(0.9, centre[1])), gap_px)
        elif card_face_gap_px(card, candidate) < MIN_GAP_FRACTION * shot.size[0]:
            continue
        if _inside(card_corners_px(card, candidate), shot.size):
            return candidate
    return None


def _shine_and_shadow(rng: np.random.Generator, notes: dict[str, float]) -> dict[str, Any]:
    """A highlight on one cheek, a shadow over part of one cheek, or both (a third of the photos each).

    A highlight reflects the light source at the skin's surface: how far roughness spreads it does not change
    the flux it reflects, so a broad highlight is dim and a narrow one bright (strength × radius² fixed
    for a given light; ``SHINE_PEAK`` is the peak at ``SHINE_RADIUS[0]``, where it often clips).
    """
    kind = int(rng.integers(3))  # 0 shine only, 1 shadow only, 2 both
    notes["shine_shadow_kind"] = kind
    options: dict[str, Any] = {}
    if kind in {0, 2}:
        side = 1.0 if rng.uniform() < 0.5 else -1.0
        radius = _uniform(rng, SHINE_RADIUS)
        shine = Shine(
            centre=(side * 0.5 + _uniform(rng, (-0.1, 0.1)), 0.15 + _uniform(rng, (-0.08, 0.08))),
            radius=radius,
            strength=_uniform(rng, SHINE_PEAK) * (SHINE_RADIUS[0] / radius) ** 2,
        )
        options["shine"] = (shine,)
    if kind in {1, 2}:
        side = 1.0 if rng.uniform() < 0.5 else -1.0
        shadow = Shadow(
            point=(side * (0.5 + _uniform(rng, (-0.15, 0.15))), 0.15),  # the edge crosses the cheek region
            direction_deg=(0.0 if side > 0 else 180.0) + _uniform(rng, (-45, 45)),  # toward the face's edge
            fill=_uniform(rng, SHADOW_FILL),
            penumbra=_uniform(rng, (0.02, 0.08)),
        )
        options["shadows"] = (shadow,)
    return options


def _shine_shadow_detail(notes: dict[str, float]) -> str:
    kind = int(notes["shine_shadow_kind"])
    if kind == 0:
        return "shine only"
    if kind == 2:
        return "shine and shadow"
    return "shadow only, over < 1/2 of a cheek region" if notes["shadow_share"] < 0.5 else "shadow only, ≥ 1/2"


def _shadow_share(shot: Shot, shadow: Shadow) -> float:
    """Share of the shadowed cheek region (the cheek on the shadow's side) beyond the shadow's edge."""
    width, height = shot.size
    cx, cy = shot.face_centre[0] * width, shot.face_centre[1] * height
    ax, ay = shot.face_axes[0] * width, shot.face_axes[1] * height
    side = 1.0 if shadow.point[0] > 0 else -1.0
    t = np.linspace(-1.0, 1.0, 41)
    u, v = np.meshgrid(t, t)
    inside = u**2 + v**2 <= 1.0
    x = cx + (side * 0.5 + 0.22 * u[inside]) * ax  # the cheek region: (±0.5, 0.15), semi-axes (0.22, 0.16)
    y = cy + (0.15 + 0.16 * v[inside]) * ay
    angle = np.radians(shadow.direction_deg)
    px, py = cx + shadow.point[0] * ax, cy + shadow.point[1] * ay
    return float(np.mean((x - px) * np.cos(angle) + (y - py) * np.sin(angle) > 0))


def _bins(value: float, edges: tuple[float, ...], labels: tuple[str, ...]) -> str:
    return labels[int(np.searchsorted(edges, value, side="right"))]


# Within a group, the one parameter that group varies, in bins (for the "within groups" table).
DETAILS: dict[str, Callable[[dict[str, float]], str]] = {
    "size": lambda n: f"{n['long_side']:.0f} px",
    "tilt": lambda n: _bins(n["tilt_deg"], (20, 30), ("tilt 10-20°", "tilt 20-30°", "tilt 30-35°")),
    "touching": lambda n: _bins(
        n["overlap_card_widths"], (0.1,), ("over the face by < 1/10 card width", "over the face by 1/10-1/4")
    ),
    "shine+shadow": _shine_shadow_detail,
    "white clipped": lambda n: _bins(n["exposure_ev"], (0.6,), ("+0.3-0.6 EV", "+0.6-0.9 EV")),
    "light mismatch": lambda n: _bins(
        n["face_light"], (0.95, 1.05), ("face dimmer (< 0.95)", "within 5 %", "face brighter (> 1.05)")
    ),
    "gradient": lambda n: _bins(n["gradient"], (0.4,), ("20-40 % across", "40-60 % across")),
    "redder cheeks": lambda n: _bins(n["HbO2_uM_cm"], (1.25,), ("HbO2 0.5-1.25 µM·cm", "HbO2 1.25-2 µM·cm")),
    "very dark": lambda n: _bins(n["melanin_od"], (0.5,), ("melanin OD 0.40-0.50", "melanin OD 0.50-0.65")),
}


class Draw:
    """Draws the base of every photo and the conditions of each group from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        held_out = [s for s in skin_set() if not is_training_subject(s.name.split("+")[0])]
        self.by_class: dict[str, list[Any]] = defaultdict(list)
        for sample in held_out:
            self.by_class[ITA_class(float(ITA_from_Lab(skin_truth_Lab(GRID_NM, sample.reflectance))))].append(sample)
        self.classes = sorted(self.by_class)
        self.held_out_base = [s for s in skin_set(extended=False) if not is_training_subject(s.name)]
        self.basis_cameras = basis_cameras()
        self.novel_cameras = novel_cameras()
        self.drawn = 0

    def choice(self, options: Iterable[str]) -> str:
        values = list(options)
        return values[int(self.rng.integers(len(values)))]

    def _shot(self, families: set[str], card_id: str, long_side: int, notes: dict[str, float]) -> Shot:
        rng = self.rng
        portrait = bool(rng.uniform() < 0.5)
        face_centre, face_axes = _face(rng, portrait)
        size = _size(long_side, portrait)
        if "card small" in families:
            fraction = _uniform(rng, SMALL_CARD_FRACTION[card_id])
        else:
            fraction = _uniform(rng, BASE_CARD_FRACTION_OF_SHORT_SIDE[card_id]) * min(size) / size[0]
        direction = rng.uniform(0, 2 * np.pi)
        if "tilt" in families:
            tilt, rotation, focal = _uniform(rng, TILT_DEG), _uniform(rng, (-180, 180)), _uniform(rng, (22, 28))
        else:
            tilt, rotation = _uniform(rng, (0, BASE_TILT_DEG)), _uniform(rng, (-20, 20))
            focal = _uniform(rng, (23, 28))
        notes |= {"long_side": long_side, "tilt_deg": tilt}
        notes["exposure_ev"] = _uniform(rng, EXPOSURE_EV) if "white clipped" in families else 0.0
        return Shot(
            size=size,
            card_width_fraction=fraction,
            card_rotation_deg=rotation,
            card_tilt_deg=(float(tilt * np.cos(direction)), float(tilt * np.sin(direction))),
            focal_length_35mm=focal,
            optical_blur_px=_uniform(rng, BLUR_PX),
            mirrored=bool(rng.uniform() < 0.5),
            face_centre=face_centre,
            face_axes=face_axes,
            exposure_ev=notes["exposure_ev"],
        )

    def _light(self, families: set[str], notes: dict[str, float]) -> dict[str, Any]:
        rng = self.rng
        options: dict[str, Any] = {}
        if "white clipped" in families:  # light falling off across the card clips part of the white patch
            options |= {"light_gradient": _uniform(rng, (0.1, 0.25)), "light_gradient_angle_deg": rng.uniform(0, 360)}
        if "gradient" in families:
            options |= {"light_gradient": _uniform(rng, GRADIENT), "light_gradient_angle_deg": rng.uniform(0, 360)}
        if "light mismatch" in families:
            options["face_light"] = float(np.exp(rng.uniform(*np.log(FACE_LIGHT))))
        if "shine+shadow" in families:
            options |= _shine_and_shadow(rng, notes)
        notes |= {"gradient": options.get("light_gradient", 0.0), "face_light": options.get("face_light", 1.0)}
        return options

    def _skin(self, families: set[str], notes: dict[str, float]) -> tuple[str, NDArray[np.float64]]:
        rng = self.rng
        if "very dark" in families:
            notes["melanin_od"] = _uniform(rng, DARK_MELANIN_OD)
            sample = darken_with_melanin(
                self.held_out_base[int(rng.integers(len(self.held_out_base)))], notes["melanin_od"]
            )
        else:  # evenly across ITA classes, so very dark and very light skin are measured as often as the rest
            members = self.by_class[self.classes[self.drawn % len(self.classes)]]
            self.drawn += 1
            sample = members[int(rng.integers(len(members)))]
        name, reflectance = sample.name, sample.reflectance
        extinction = haemoglobin_extinction()
        if "redder cheeks" in families and extinction is not None:
            notes["HbO2_uM_cm"] = _uniform(rng, HAEMOGLOBIN_M_CM) * 1e6
            reflectance = add_haemoglobin(GRID_NM, reflectance, *extinction, notes["HbO2_uM_cm"] * 1e-6)
            name = f"{name}+HbO2 {notes['HbO2_uM_cm']:.2f} µM·cm"
        return name, reflectance

    def case(self, index: int, group: str, card_id: str, long_side: int | None = None) -> Case | None:
        """One photo of ``group``; None when the card cannot be placed in the frame (then draw again)."""
        rng = self.rng
        families = {group}
        if group == "mixed":
            families = {f for f in GROUPS if f not in {"base", "mixed"} and rng.uniform() < 0.5}
        if long_side is None:
            long_side = int(rng.choice(LONG_SIDES)) if "size" in families else BASE_LONG_SIDE
        notes: dict[str, float] = {}
        shot = self._shot(families, card_id, long_side, notes)
        gap = _uniform(rng, TOUCH_GAP_CARD_WIDTHS) * shot.card_width if "touching" in families else None
        notes["gap_px"] = float("nan") if gap is None else gap
        notes["overlap_card_widths"] = float("nan") if gap is None else -gap / shot.card_width
        placed = _place(rng, card_id, shot, anywhere="tilt" in families and gap is None, gap_px=gap)
        if placed is None:
            return None
        options = self._light(families, notes)
        if "shadows" in options:
            notes["shadow_share"] = _shadow_share(placed, options["shadows"][0])
        name, reflectance = self._skin(families, notes)
        if group == "mixed":  # cameras and lights from everywhere
            camera_pool, light_pool = self.basis_cameras + self.novel_cameras, BASE_ILLUMINANTS + NOVEL_ILLUMINANTS
        else:
            camera_pool = self.novel_cameras if "novel camera" in families else self.basis_cameras
            light_pool = NOVEL_ILLUMINANTS if "novel light" in families else BASE_ILLUMINANTS
        return Case(
            index=index,
            group=group,
            card_id=card_id,
            seed=int(rng.integers(2**63)),
            skin_name=name,
            skin_reflectance=reflectance,
            illuminant=self.choice(light_pool),
            camera=self.choice(camera_pool),
            tone_curve=self.choice(TONE_CURVES),
            jpeg_quality=int(rng.integers(85, 96)),
            shot=placed,
            scene_options=options,
            detail=DETAILS[group](notes) if group in DETAILS else "-",
            notes=notes,
        )


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
        **common,
    )


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
            share = _bins(r.white_clipped, (1e-9, 0.5), ("none", "< 1/2", "≥ 1/2"))
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
    _table("by the card's smallest patch in the photo (all groups; the pipeline needs 32 px)", by_patch, patch_order)
    _table("within groups", by_detail, sorted(by_detail, key=lambda k: (GROUPS.index(k.split(":")[0]), k)), width=52)
    crashes = [r for r in mine if r.code and r.code.startswith("crash")]
    if crashes:
        print(f"\ncrashes (not refusals): {len(crashes)}; first: {crashes[0].code} in {crashes[0].case.group}")
    wrong_card = [r for r in mine if r.code is None and r.extra.get("card_found") == 0.0]
    if wrong_card:
        print(f"\nanswered with another card than the one in the photo: {len(wrong_card)}")


def goals(results: list[Result]) -> None:
    """The issue's goals, each against this run's numbers."""
    print("\n=== goals (this run)")

    def answered(items: Iterable[Result]) -> NDArray[np.float64]:
        return np.array([r.error_dE00 for r in items if r.code is None])

    own = [r for r in results if r.case.card_id == "tm-skin-v1"]
    for side in LONG_SIDES:
        errors = answered(r for r in own if max(r.case.shot.size) == side)
        if errors.size:
            ok = np.median(errors) <= 1.0 and np.percentile(errors, 95) <= 2.0
            print(
                f"  tm-skin-v1 at {side} px: median {np.median(errors):.2f} (≤ 1.0), p95 "
                f"{np.percentile(errors, 95):.2f} (≤ 2.0), n {errors.size}: {'met' if ok else 'NOT met'}"
            )
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
    held_out = sum(len(v) for v in draw.by_class.values())
    classes = ", ".join(f"{k} {len(v)}" for k, v in sorted(draw.by_class.items()))
    print(f"  held-out skin spectra {held_out} ({classes}); very dark from {len(draw.held_out_base)} NIST subjects")


def make_cases(draw: Draw, cards: list[str], groups: list[str], per_group: int) -> list[Case]:
    cases: list[Case] = []
    for card_id in cards:
        for group in groups:
            if group == "novel camera" and not draw.novel_cameras:
                continue
            for k in range(per_group * (SIZE_GROUP_FACTOR if group == "size" else 1)):
                long_side = LONG_SIDES[k % len(LONG_SIDES)] if group == "size" else None
                case = None
                while case is None:
                    case = draw.case(len(cases), group, card_id, long_side)
                cases.append(case)
    return cases


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
