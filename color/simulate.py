"""Physically rendered phone photos of a face next to a reference card, for tests and benchmarks.

Every pixel starts as a spectral reflectance (card patches, skin, a wall) under an illuminant's spectral
power distribution, integrated against a camera's spectral sensitivities (``color.spectral``). A phone
pipeline follows: auto exposure, shot and read noise, auto white balance with an error, a camera-to-sRGB
matrix fitted under D65 (as a phone maker tunes it), a tone curve, 8-bit quantisation and JPEG. The truth
is what a spectrophotometer gives for the skin: its reflectance integrated under D65 with the CIE 1931 2°
observer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import colour
import cv2
import numpy as np
from numpy.typing import NDArray

from color.card import ReferenceCard
from color.card_render import INK, PAPER, card_labels
from color.colorimetry import D65_xy
from color.spectral import camera_response, reflectance_to_XYZ

CANVAS_PX_PER_MM = 12.0  # resolution of the card texture before it is warped into the photo


def _sRGB_encode(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(colour.cctf_encoding(np.clip(x, 0.0, 1.0), "sRGB"), dtype=np.float64)


def _filmic(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """An S-shaped phone look: extra contrast in the mid-tones and a soft shoulder, then sRGB encoding."""
    x = np.clip(x, 0.0, None)
    shoulder = x * (1.0 + x / 1.6**2) / (1.0 + x)
    encoded = _sRGB_encode(shoulder * 1.25)
    return np.clip(encoded + 0.12 * encoded * (1 - encoded) * (encoded - 0.5) * 4, 0.0, 1.0)


def _gamma_22(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.clip(x, 0.0, 1.0) ** (1 / 2.2), dtype=np.float64)


TONE_CURVES: dict[str, Callable[[NDArray[np.float64]], NDArray[np.float64]]] = {
    "sRGB": _sRGB_encode,
    "filmic": _filmic,
    "gamma_2.2": _gamma_22,
}


@dataclass(frozen=True)
class Phone:
    """A camera's spectral sensitivities and the processing of a phone around it."""

    name: str
    sensitivities: colour.MultiSpectralDistributions
    tone_curve: str = "sRGB"
    awb_error: float = 0.04  # relative error of the white-balance gains (standard deviation)
    awb_adaptation: float = 1.0  # 1: full white balance to the scene light; below 1 leaves a cast
    read_noise: float = 0.002  # linear units, white at about 0.8
    shot_noise: float = 0.0004  # variance per unit signal
    jpeg_quality: int = 92


@dataclass(frozen=True)
class Scene:
    illuminant: colour.SpectralDistribution
    card: ReferenceCard
    skin_wavelengths_nm: NDArray[np.float64]
    skin_reflectance: NDArray[np.float64]
    wall_reflectance: float = 0.45
    face_light: float = 1.0  # irradiance on the face relative to the card
    light_gradient: float = 0.0  # relative change of irradiance across the image width
    glare_on_card: bool = False


@dataclass(frozen=True)
class Shot:
    """Geometry of the photo: image size, card placement and the face."""

    size: tuple[int, int] = (1600, 1200)
    card_centre: tuple[float, float] = (0.73, 0.62)  # fraction of width, height
    card_width_px: float = 520.0
    card_rotation_deg: float = 8.0
    card_tilt: float = 0.08  # perspective: relative shortening of the far edge
    mirrored: bool = False
    face_centre: tuple[float, float] = (0.36, 0.48)
    face_axes: tuple[float, float] = (0.2, 0.34)  # fraction of width, of height


@dataclass(frozen=True)
class RenderedPhoto:
    jpeg: bytes
    truth_Lab_D65: NDArray[np.float64]
    regions: list[dict[str, object]] = field(default_factory=list)


@cache
@cache
def camera_to_sRGB_matrix(sensitivities: colour.MultiSpectralDistributions) -> NDArray[np.float64]:
    """3×3 from white-balanced raw camera RGB to linear sRGB, fitted on the ColorChecker under D65."""
    sds = colour.SDS_COLOURCHECKERS["BabelColor Average"]
    wavelengths = np.arange(380.0, 731.0, 10.0)
    reflectance = np.array([sds[name].copy().align(colour.SpectralShape(380, 730, 10)).values for name in sds])
    d65 = colour.SDS_ILLUMINANTS["D65"]
    raw = camera_response(wavelengths, reflectance, d65, sensitivities)
    white = camera_response(wavelengths, np.ones((1, wavelengths.size)), d65, sensitivities)[0]
    raw_balanced = raw / white
    target = colour.XYZ_to_RGB(reflectance_to_XYZ(wavelengths, reflectance), colour.RGB_COLOURSPACES["sRGB"])
    solution, *_ = np.linalg.lstsq(raw_balanced, target, rcond=None)
    matrix: NDArray[np.float64] = solution.T
    return matrix


def skin_truth_Lab(wavelengths_nm: NDArray[np.float64], reflectance: NDArray[np.float64]) -> NDArray[np.float64]:
    """What a spectrophotometer reports: CIELAB under D65, CIE 1931 2°."""
    return np.asarray(colour.XYZ_to_Lab(reflectance_to_XYZ(wavelengths_nm, reflectance), D65_xy), dtype=np.float64)


def _resample(
    wavelengths_nm: NDArray[np.float64], values: NDArray[np.float64], grid: NDArray[np.float64]
) -> NDArray[np.float64]:
    return np.asarray(np.interp(grid, wavelengths_nm, values), dtype=np.float64)


def card_homography(card: ReferenceCard, shot: Shot) -> NDArray[np.float64]:
    """Card mm → image px: scaled, rotated, with a perspective tilt, centred at ``shot.card_centre``."""
    width_mm, height_mm = card.layout.size_mm
    scale = shot.card_width_px / width_mm
    half = np.array([width_mm, height_mm]) * scale / 2
    corners = np.array([[-half[0], -half[1]], [half[0], -half[1]], [half[0], half[1]], [-half[0], half[1]]])
    corners[1, 1] *= 1 - shot.card_tilt  # the right edge is farther away: shorter
    corners[2, 1] *= 1 - shot.card_tilt
    corners[1:3, 0] *= 1 - shot.card_tilt / 2
    angle = np.radians(shot.card_rotation_deg)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = np.array([shot.card_centre[0] * shot.size[0], shot.card_centre[1] * shot.size[1]])
    image_corners = corners @ rotation.T + centre
    card_corners = np.array([[0, 0], [width_mm, 0], [width_mm, height_mm], [0, height_mm]], dtype=np.float64)
    homography = cv2.getPerspectiveTransform(card_corners.astype(np.float32), image_corners.astype(np.float32))
    return np.asarray(homography, dtype=np.float64)


def _ellipse_polygon(centre: tuple[float, float], axes: tuple[float, float], n: int = 24) -> list[list[float]]:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return [[float(centre[0] + axes[0] * np.cos(t)), float(centre[1] + axes[1] * np.sin(t))] for t in angles]


def _scene_raw(
    scene: Scene, phone: Phone, shot: Shot, rng: np.random.Generator
) -> tuple[NDArray[np.float32], NDArray[np.float32], colour.SpectralDistribution]:
    """Raw camera RGB of the whole scene (before any processing), and the card white's raw RGB."""
    card = scene.card
    grid = card.wavelengths_nm
    illuminant = scene.illuminant.copy().align(colour.SpectralShape(grid[0], grid[-1], grid[1] - grid[0]))
    lightest, darkest = int(np.argmax(card.XYZ_D65[:, 1])), int(np.argmin(card.XYZ_D65[:, 1]))
    ground = lightest if card.layout.base == "white" else darkest  # the card's white paper or black frame
    materials = np.vstack(
        [
            card.reflectance,
            card.reflectance[[ground]],
            card.reflectance[[int(np.argmin(card.XYZ_D65[:, 1]))]],  # ink: the darkest neutral's material
            _resample(scene.skin_wavelengths_nm, scene.skin_reflectance, grid)[None],
            np.full((1, grid.size), scene.wall_reflectance),
        ]
    )
    raw = camera_response(grid, materials, illuminant, phone.sensitivities).astype(np.float32)
    n = len(card.layout.patches)
    ground_raw, ink_raw, skin_raw, wall_raw = raw[n], raw[n + 1], raw[n + 2], raw[n + 3]
    white_raw = raw[lightest]

    width, height = shot.size
    image = np.empty((height, width, 3), dtype=np.float32)
    image[:] = wall_raw
    # The face: an ellipse of skin, evenly lit over the cheeks, darker toward its edge, with fine texture.
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = shot.face_centre[0] * width, shot.face_centre[1] * height
    ax, ay = shot.face_axes[0] * width, shot.face_axes[1] * height
    r2 = ((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2
    face = r2 <= 1.0
    shading = (1.0 - 0.4 * np.clip(r2 - 0.5, 0.0, None)) * scene.face_light
    texture = 1.0 + 0.02 * rng.standard_normal((height, width)).astype(np.float32)
    image[face] = skin_raw * (shading[face] * texture[face])[:, None]
    # The card, warped into place with its perspective.
    labels = card_labels(card, CANVAS_PX_PER_MM)
    texture_rgb = np.empty((*labels.shape, 3), dtype=np.float32)
    texture_rgb[labels == PAPER] = ground_raw
    texture_rgb[labels == INK] = ink_raw
    inside = labels >= 0
    texture_rgb[inside] = raw[labels[inside]]
    to_image = card_homography(card, shot)
    homography = to_image @ np.diag([1 / CANVAS_PX_PER_MM, 1 / CANVAS_PX_PER_MM, 1.0])
    warped = cv2.warpPerspective(texture_rgb, homography, (width, height), flags=cv2.INTER_AREA)
    ones = np.ones(labels.shape, np.float32)
    mask = cv2.warpPerspective(ones, homography, (width, height), flags=cv2.INTER_LINEAR)
    image = image * (1 - mask[..., None]) + warped * mask[..., None]
    if scene.glare_on_card:
        centre = to_image @ np.array([card.layout.size_mm[0] * 0.45, card.layout.size_mm[1] * 0.5, 1.0])
        gx, gy = centre[:2] / centre[2]
        spot = np.exp(-(((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * (shot.card_width_px * 0.12) ** 2)))
        image += (2.0 * spot * mask)[..., None] * white_raw
    if scene.light_gradient:
        image *= (1.0 + scene.light_gradient * (xx / width - 0.5))[..., None]
    return image, white_raw, illuminant


def _phone_pipeline(
    raw: NDArray[np.float32],
    white_raw: NDArray[np.float32],
    illuminant: colour.SpectralDistribution,
    phone: Phone,
    rng: np.random.Generator,
) -> NDArray[np.uint8]:
    """Exposure (white at about 0.8), noise, white balance, colour matrix, tone curve, 8-bit codes (R G B)."""
    grid = illuminant.wavelengths
    image = raw * np.float32(0.8 / float(white_raw[1]) * float(rng.uniform(0.85, 1.1)))
    noise_sd = np.sqrt(phone.shot_noise * np.clip(image, 0, None) + phone.read_noise**2)
    image += noise_sd * rng.standard_normal(image.shape).astype(np.float32)
    white = camera_response(grid, np.ones((1, grid.size)), illuminant, phone.sensitivities)[0]
    gains = (white[1] / white) ** phone.awb_adaptation
    gains = gains * (1.0 + phone.awb_error * rng.standard_normal(3) * np.array([1.0, 0.0, 1.0]))
    matrix = camera_to_sRGB_matrix(phone.sensitivities)
    linear = (image.reshape(-1, 3) * gains.astype(np.float32)) @ matrix.T.astype(np.float32)
    encoded = TONE_CURVES[phone.tone_curve](linear.reshape(image.shape))
    return np.clip(np.round(encoded * 255), 0, 255).astype(np.uint8)


def render_photo(scene: Scene, phone: Phone, shot: Shot, rng: np.random.Generator) -> RenderedPhoto:
    """Render one JPEG of the scene through the phone, with the truth and the cheek regions."""
    raw, white_raw, illuminant = _scene_raw(scene, phone, shot, rng)
    codes = _phone_pipeline(raw, white_raw, illuminant, phone, rng)
    if shot.mirrored:
        codes = codes[:, ::-1]
    ok, jpeg = cv2.imencode(".jpg", codes[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, phone.jpeg_quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    width, height = shot.size
    cx, cy = shot.face_centre[0] * width, shot.face_centre[1] * height
    ax, ay = shot.face_axes[0] * width, shot.face_axes[1] * height

    def cheek(dx: float) -> list[list[float]]:
        polygon = _ellipse_polygon((cx + dx * ax, cy + 0.15 * ay), (0.22 * ax, 0.16 * ay))
        return [[width - 1 - x, y] for x, y in polygon] if shot.mirrored else polygon

    regions: list[dict[str, object]] = [
        {"name": "left_cheek", "polygon": cheek(-0.5)},
        {"name": "right_cheek", "polygon": cheek(0.5)},
    ]
    truth = skin_truth_Lab(scene.skin_wavelengths_nm, scene.skin_reflectance)
    return RenderedPhoto(jpeg=jpeg.tobytes(), truth_Lab_D65=truth, regions=regions)
