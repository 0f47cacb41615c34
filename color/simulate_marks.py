"""Marks of known size and content on a rendered face: pigmented spots, redness patches and hairs.

A mark is a disc of skin (a sharp edge, anti-aliased) with its own reflectance: the face's skin spectrum with
added epidermal melanin (``color.skin_prior.darken_with_melanin``, optical density at 500 nm) and/or dermal blood
(``color.skin_prior.redden_with_blood``, µM·cm of haemoglobin), the very models the melanin and erythema
indices invert (``color.skin_indices``). A hair is a line of a hair's reflectance. Each mark's own reflectance
goes through the camera: its raw response under the scene's light (``color.spectral.camera_response``) replaces
the skin's, pixel by pixel, in proportion to the mark's coverage, before noise, white balance, tone curve and
JPEG (``color.simulate.render_photo``'s ``edit_raw``). The light field, shading and skin texture multiply the
mark as they do the skin (the diffuse light is a scalar per pixel); where a mark lies under shine, the shine is
tinted by it too (place marks away from highlights). The truth of each mark is returned: its place and size in
the photo and its contrast with the skin around it (CIEDE2000, D65, CIE 1931 2°), what a spectrophotometer
would read on the mark and beside it.

Sizes are physical: millimetres on the face, which is taken to lie at the card's distance, so the card's width
in pixels over its width in millimetres gives the face's scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import colour
import cv2
import numpy as np
from numpy.typing import NDArray

from color.colorimetry import WAVELENGTHS_NM, delta_E00
from color.simulate import Phone, RenderedPhoto, Scene, Shot, render_photo
from color.simulate_scene import SceneRaw, card_corners_px, cheek_polygons, face_geometry, resample, skin_truth_Lab
from color.skin_indices import EXTINCTION_Hb, EXTINCTION_HbO2
from color.skin_prior import darken_with_melanin, redden_with_blood
from color.spectral import camera_response

# Dark brown hair: reflectance rising from about 3 % in the blue to 9 % in the red (eumelanin-rich hair, as
# measured on dark hair fibres; e.g. Bashkatov et al. 2014 report 2-10 % for black to dark brown hair).
HAIR_REFLECTANCE_RANGE = (0.03, 0.09)
HAIR_WIDTH_MM = 0.08  # a scalp or eyebrow hair is 0.05-0.1 mm thick


@dataclass(frozen=True)
class Mark:
    """A disc of altered skin. ``centre`` is in face coordinates (``color.simulate.Shine``: the face ellipse's
    centre at (0, 0), semi-axes 1, cheeks at (±0.5, 0.15)); ``diameter_mm`` on the face."""

    centre: tuple[float, float]
    diameter_mm: float
    melanin_od: float = 0.0  # added epidermal melanin, optical density at 500 nm, one pass
    blood_uM_cm: float = 0.0  # added dermal haemoglobin, µM·cm


@dataclass(frozen=True)
class Hair:
    """A straight hair from ``start`` to ``end`` (face coordinates), ``width_mm`` thick."""

    start: tuple[float, float]
    end: tuple[float, float]
    width_mm: float = HAIR_WIDTH_MM


@dataclass(frozen=True)
class MarkTruth:
    mark: Mark
    centre_px: NDArray[np.float64]  # (x, y) in the JPEG (mirrored when the shot is)
    area_mm2: float
    contrast_dE00: float  # the mark against the skin around it, D65 (a spectrophotometer's reading)
    delta_Lab: NDArray[np.float64]  # mark minus skin, CIELAB D65


@dataclass(frozen=True)
class MarkedPhoto:
    photo: RenderedPhoto
    marks: list[MarkTruth]
    px_per_mm: float  # on the face, before any mirroring (the card's scale)


def face_px_per_mm(scene: Scene, shot: Shot) -> float:
    """Pixels per millimetre on the face: the card's untilted width in pixels over its width in mm."""
    return float(shot.card_width / scene.card.layout.size_mm[0])


def face_to_px(shot: Shot, point: tuple[float, float]) -> NDArray[np.float64]:
    """Face coordinates to unmirrored image pixels."""
    cx, cy, ax, ay = face_geometry(shot)
    return np.array([cx + point[0] * ax, cy + point[1] * ay])


def mark_reflectance(scene: Scene, grid: NDArray[np.float64], mark: Mark) -> NDArray[np.float64]:
    """The mark's reflectance on ``grid``: the scene's skin with the added melanin and blood."""
    skin = resample(scene.skin_wavelengths_nm, scene.skin_reflectance, grid)
    darker = darken_with_melanin(grid, skin, mark.melanin_od)
    HbO2 = resample(WAVELENGTHS_NM, EXTINCTION_HbO2, grid)
    Hb = resample(WAVELENGTHS_NM, EXTINCTION_Hb, grid)
    return redden_with_blood(grid, darker, HbO2, Hb, mark.blood_uM_cm * 1e-6)


def hair_reflectance(grid: NDArray[np.float64]) -> NDArray[np.float64]:
    low, high = HAIR_REFLECTANCE_RANGE
    return np.asarray(low + (high - low) * np.clip((grid - 400.0) / 300.0, 0.0, 1.0), dtype=np.float64)


def _coverage(distance_px: NDArray[np.float64], radius_px: float) -> NDArray[np.float64]:
    """Coverage 0-1 of a shape at a distance from its centre (line): 1 within ``radius_px``, anti-aliased over
    one pixel."""
    return np.asarray(np.clip(0.5 - (distance_px - radius_px), 0.0, 1.0), dtype=np.float64)


def _disc_coverage(
    xx: NDArray[np.float64], yy: NDArray[np.float64], *, centre: NDArray[np.float64], radius_px: float
) -> NDArray[np.float64]:
    return _coverage(np.hypot(xx - centre[0], yy - centre[1]), radius_px)


def _line_coverage(
    xx: NDArray[np.float64],
    yy: NDArray[np.float64],
    *,
    start: NDArray[np.float64],
    end: NDArray[np.float64],
    width_px: float,
) -> NDArray[np.float64]:
    """A line segment's coverage; one thinner than a pixel covers that share of the pixels along it."""
    length = max(float(np.linalg.norm(end - start)), 1e-9)
    along = (end - start) / length
    t = np.clip((xx - start[0]) * along[0] + (yy - start[1]) * along[1], 0.0, length)
    distance = np.hypot(xx - start[0] - t * along[0], yy - start[1] - t * along[1])
    return _coverage(distance, max(width_px, 1.0) / 2) * min(1.0, width_px)


def _edit(raw: SceneRaw, box: tuple[slice, slice], coverage: NDArray[np.float64], ratio: NDArray[np.float64]) -> None:
    """raw ← raw · (1 + coverage·(ratio − 1)) in ``box``, in place: the mark's raw response replaces the skin's
    in proportion to its coverage, under the same light, shading and texture."""
    weight = coverage.astype(np.float32)[..., None]
    raw.raw[box] *= 1.0 + weight * (ratio.astype(np.float32) - 1.0)


def marks_editor(
    scene: Scene,
    shot: Shot,
    sensitivities: colour.MultiSpectralDistributions,
    marks: tuple[Mark, ...] = (),
    hairs: tuple[Hair, ...] = (),
) -> Callable[[SceneRaw], None]:
    """The ``edit_raw`` of ``render_photo`` that puts the marks and hairs on the face (never on the card)."""
    px_per_mm = face_px_per_mm(scene, shot)
    grid = scene.card.wavelengths_nm

    def edit(raw: SceneRaw) -> None:
        height, width = raw.raw.shape[:2]
        cx, cy, ax, ay = face_geometry(shot)
        card = np.zeros((height, width), dtype=np.uint8)
        cv2.fillPoly(card, [np.round(card_corners_px(scene.card, shot)).astype(np.int32)], 1)

        def paint(
            low: NDArray[np.float64],
            high: NDArray[np.float64],
            reflectance: NDArray[np.float64],
            coverage_of: Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]],
        ) -> None:
            x0, y0 = np.maximum(np.floor(low).astype(int), 0)
            x1, y1 = np.minimum(np.ceil(high).astype(int) + 1, (width, height))
            if x1 <= x0 or y1 <= y0:
                return
            yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
            on_face = (((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2 < 1.0) & (card[y0:y1, x0:x1] == 0)
            response = camera_response(grid, reflectance[None], raw.illuminant, sensitivities)[0]
            _edit(raw, (slice(y0, y1), slice(x0, x1)), coverage_of(xx, yy) * on_face, response / raw.skin_raw)

        for mark in marks:
            centre = face_to_px(shot, mark.centre)
            radius = mark.diameter_mm / 2 * px_per_mm
            reach = radius + 2.0
            disc = partial(_disc_coverage, centre=centre, radius_px=radius)
            paint(centre - reach, centre + reach, mark_reflectance(scene, grid, mark), disc)
        for hair in hairs:
            start, end = face_to_px(shot, hair.start), face_to_px(shot, hair.end)
            line = partial(_line_coverage, start=start, end=end, width_px=hair.width_mm * px_per_mm)
            paint(np.minimum(start, end) - 3.0, np.maximum(start, end) + 3.0, hair_reflectance(grid), line)

    return edit


def mark_truth(scene: Scene, shot: Shot, mark: Mark) -> MarkTruth:
    """Where the mark is in the JPEG, its area and its contrast with the skin, as a spectrophotometer reads them."""
    grid = scene.card.wavelengths_nm
    skin = skin_truth_Lab(grid, resample(scene.skin_wavelengths_nm, scene.skin_reflectance, grid))
    marked = skin_truth_Lab(grid, mark_reflectance(scene, grid, mark))
    centre = face_to_px(shot, mark.centre)
    if shot.mirrored:
        centre[0] = shot.size[0] - 1 - centre[0]
    return MarkTruth(
        mark=mark,
        centre_px=centre,
        area_mm2=float(np.pi * mark.diameter_mm**2 / 4),
        contrast_dE00=float(delta_E00(skin, marked)),
        delta_Lab=marked - skin,
    )


def render_marked_photo(
    scene: Scene,
    phone: Phone,
    shot: Shot,
    rng: np.random.Generator,
    *,
    marks: tuple[Mark, ...] = (),
    hairs: tuple[Hair, ...] = (),
) -> MarkedPhoto:
    """``render_photo`` with marks and hairs on the face, and each mark's truth; without any, the very same photo."""
    edit = marks_editor(scene, shot, phone.sensitivities, marks, hairs) if marks or hairs else None
    photo = render_photo(scene, phone, shot, rng, edit)
    return MarkedPhoto(photo, [mark_truth(scene, shot, m) for m in marks], face_px_per_mm(scene, shot))


def face_region_polygons(shot: Shot) -> dict[str, list[list[float]]]:
    """Forehead and chin regions an app would send for the rendered face (ellipses in face coordinates: the
    forehead at (0, −0.5), the chin at (0, 0.72)), in JPEG pixels, with the two cheeks (``cheek_polygons``)."""
    regions = cheek_polygons(shot)
    for name, centre, axes in (("forehead", (0.0, -0.5), (0.3, 0.12)), ("chin", (0.0, 0.72), (0.2, 0.1))):
        angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        points = [face_to_px(shot, (centre[0] + axes[0] * np.cos(t), centre[1] + axes[1] * np.sin(t))) for t in angles]
        regions[name] = [[float(shot.size[0] - 1 - x if shot.mirrored else x), float(y)] for x, y in points]
    return regions
