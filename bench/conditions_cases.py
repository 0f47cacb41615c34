"""The photos of ``bench.bench_conditions``: the condition groups, their ranges, and how each photo is drawn
(a ``Case``: everything it is rendered from, reproducible from its own seed)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.datasets import (
    GRID_NM,
    NOVEL_ILLUMINANTS,
    basis_cameras,
    darken_with_melanin,
    haemoglobin_extinction,
    novel_cameras,
    skin_set,
)
from color.packaged_data import load_card
from color.simulate import (
    Shadow,
    Shine,
    Shot,
    add_haemoglobin,
    card_corners_px,
    card_face_gap_px,
    place_card_beside_face,
    skin_truth_Lab,
)
from color.simulate_tone import NOVEL_TONE_CURVES, TUNED_TONE_CURVES
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
    "novel tone curve",
    "mixed",
)
LONG_SIDES = (1600, 2000, 3000, 4032)  # 4032 × 3024 = 12.2 MP
BASE_LONG_SIDE = 2000
# Lights the spectral basis was built from that a person takes a selfie under (HP1, a sodium street lamp,
# and the coloured LEDs are left out of the base: they are not "ordinary room light").
BASE_ILLUMINANTS = ("A", "D50", "D65", "D75", "FL2", "FL7", "FL11", "LED-B1", "LED-B3", "LED-B5", "LED-BH1")
TONE_CURVES = tuple(TUNED_TONE_CURVES)  # the tone curves the measurement was developed on
# Published curves of other shapes, never tuned on (``color.simulate_tone``); phones' own curves are not published.
NOVEL_TONES = tuple(NOVEL_TONE_CURVES)
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


def bin_label(value: float, edges: tuple[float, ...], labels: tuple[str, ...]) -> str:
    return labels[int(np.searchsorted(edges, value, side="right"))]


# Within a group, the one parameter that group varies, in bins (for the "within groups" table).
DETAILS: dict[str, Callable[[dict[str, float]], str]] = {
    "size": lambda n: f"{n['long_side']:.0f} px",
    "tilt": lambda n: bin_label(n["tilt_deg"], (20, 30), ("tilt 10-20°", "tilt 20-30°", "tilt 30-35°")),
    "touching": lambda n: bin_label(
        n["overlap_card_widths"], (0.1,), ("over the face by < 1/10 card width", "over the face by 1/10-1/4")
    ),
    "shine+shadow": _shine_shadow_detail,
    "white clipped": lambda n: bin_label(n["exposure_ev"], (0.6,), ("+0.3-0.6 EV", "+0.6-0.9 EV")),
    "light mismatch": lambda n: bin_label(
        n["face_light"], (0.95, 1.05), ("face dimmer (< 0.95)", "within 5 %", "face brighter (> 1.05)")
    ),
    "gradient": lambda n: bin_label(n["gradient"], (0.4,), ("20-40 % across", "40-60 % across")),
    "redder cheeks": lambda n: bin_label(n["HbO2_uM_cm"], (1.25,), ("HbO2 0.5-1.25 µM·cm", "HbO2 1.25-2 µM·cm")),
    "very dark": lambda n: bin_label(n["melanin_od"], (0.5,), ("melanin OD 0.40-0.50", "melanin OD 0.50-0.65")),
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
            tone_curve=(tone := self.choice(NOVEL_TONES if "novel tone curve" in families else TONE_CURVES)),
            jpeg_quality=int(rng.integers(85, 96)),
            shot=placed,
            scene_options=options,
            detail=tone if group == "novel tone curve" else DETAILS[group](notes) if group in DETAILS else "-",
            notes=notes,
        )


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
