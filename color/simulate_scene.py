"""The scene a simulated photo shows (``color.simulate`` renders it): the phone, the light, the card's pose
through a pinhole camera, the face and its cheeks, and the skin's spectra with their truth.

The truth is what a spectrophotometer gives for the skin: its reflectance integrated under D65 with the CIE
1931 2° observer; shine, shadow and uneven light change the photo, never the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

import colour
import cv2
import numpy as np
from numpy.typing import NDArray

from color.card import ReferenceCard
from color.colorimetry import WAVELENGTHS_NM, XYZ_to_Lab_D65
from color.spectral import camera_response, reflectance_to_XYZ

# A 35 mm equivalent focal length is scaled by the diagonal of the 36 × 24 mm frame; phone main cameras are
# 24-28 mm equivalent, front cameras 22-26 mm.
FULL_FRAME_DIAGONAL_MM = 43.27
PHONE_FOCAL_LENGTH_35MM = 26.0
# Added blood reaches the light over a path that grows steeply with wavelength, as the optical penetration
# depth of skin does (Anderson & Parrish 1981, J. Invest. Dermatol. 77(1), 13-19,
# doi:10.1111/1523-1747.ep12479191): blue light barely reaches the dermal vessels. Modelled as a path
# ∝ (λ / 560 nm)^4. Measured here on NIST subject 2 at 1 µM·cm: ΔL* −3.3, Δa* +3.3, Δb* +0.8 (redder and
# darker); a constant path (exponent 0) would give Δb* +7.7 instead, yellowing from the 415 nm Soret band.
HAEMOGLOBIN_PATH_EXPONENT = 4.0
HAEMOGLOBIN_PATH_REFERENCE_NM = 560.0


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
class Shine:
    """A specular highlight on the face: light reflected at the skin's surface, in the light's own colour.

    Positions and sizes are in face coordinates: the face ellipse's centre is (0, 0) and its semi-axes
    are 1 (x toward the image's right, y down); the cheek regions are centred at (±0.5, 0.15).
    """

    centre: tuple[float, float]
    radius: float  # Gaussian standard deviation, in face half-widths
    strength: float  # peak reflectance factor added, relative to a perfect white diffuser in the same light


@dataclass(frozen=True)
class Shadow:
    """A cast shadow over part of the face: beyond a straight, soft edge only ``fill`` of the light remains.

    The edge passes through ``point`` (face coordinates, as in ``Shine``); ``direction_deg`` points from the
    edge into the shadow (0: toward the image's right, 90: down). The shadow keeps the light's spectrum.
    """

    point: tuple[float, float]
    direction_deg: float
    fill: float  # irradiance in the shadow relative to the lit face (ambient light), 0-1
    penumbra: float = 0.05  # width of the soft edge, in face half-widths


@dataclass(frozen=True)
class Scene:
    """What is in front of the camera: the light, the card, the skin, and how the light falls on them."""

    illuminant: colour.SpectralDistribution
    card: ReferenceCard
    skin_wavelengths_nm: NDArray[np.float64]
    skin_reflectance: NDArray[np.float64]
    wall_reflectance: float = 0.45
    face_light: float = 1.0  # irradiance on the face relative to the card (e.g. 0.8-1.25)
    light_gradient: float = 0.0  # relative change of irradiance across the image, along the angle below
    light_gradient_angle_deg: float = 0.0  # direction in which the light grows: 0 toward the right, 90 down
    shine: tuple[Shine, ...] = ()
    shadows: tuple[Shadow, ...] = ()
    glare_on_card: bool = False


@dataclass(frozen=True)
class Shot:
    """Geometry and exposure of the photo: image size, the card's size, place and pose, and the face.

    Positions are fractions of the image width and height. The card's width (before perspective) is
    ``card_width_px``, or ``card_width_fraction`` of the image width when that is set. With
    ``card_tilt_deg = (a, b)`` a pinhole camera of ``focal_length_35mm`` (35 mm equivalent) projects the card:
    it is rotated in its plane by ``card_rotation_deg``, then turned by ``a`` degrees about the vertical axis
    through its centre (positive: its right side farther from the camera) and ``b`` about the horizontal one
    (positive: its bottom side farther), at the distance where it spans ``card_width`` untilted. Without
    it, ``card_tilt`` is an approximate perspective (the right edge shortened by that fraction).
    """

    size: tuple[int, int] = (1600, 1200)  # width, height of the JPEG in pixels
    card_centre: tuple[float, float] = (0.73, 0.62)  # fraction of width, height
    card_width_px: float = 520.0
    card_width_fraction: float | None = None  # card width / image width; overrides card_width_px
    card_rotation_deg: float = 8.0  # in-plane, clockwise on the image
    card_tilt: float = 0.08  # approximate perspective: relative shortening of the far edge
    card_tilt_deg: tuple[float, float] | None = None  # out of plane: (about vertical, about horizontal axis)
    focal_length_35mm: float = PHONE_FOCAL_LENGTH_35MM
    optical_blur_px: float = 0.0  # Gaussian blur of lens and demosaicing on the card (standard deviation, px)
    exposure_ev: float = 0.0  # bias on the auto exposure, which puts the white patch at about 0.8 linear
    mirrored: bool = False
    face_centre: tuple[float, float] = (0.36, 0.48)
    face_axes: tuple[float, float] = (0.2, 0.34)  # fraction of width, of height

    @property
    def card_width(self) -> float:
        """The card's width in pixels before perspective."""
        if self.card_width_fraction is not None:
            return self.card_width_fraction * self.size[0]
        return self.card_width_px

    @property
    def focal_length_px(self) -> float:
        """Focal length in pixels: the 35 mm equivalent scaled from the full-frame diagonal to the image's."""
        return self.focal_length_35mm * float(np.hypot(*self.size)) / FULL_FRAME_DIAGONAL_MM


@dataclass(frozen=True)
class SceneRaw:
    """The scene as the sensor sees it before any processing: linear raw camera RGB (rows, columns, R G B)."""

    raw: NDArray[np.float32]
    white_raw: NDArray[np.float64]  # the card's white patch under the card's light, no gradient (exposure target)
    light_raw: NDArray[np.float64]  # a perfect white diffuser under the same light (G = 1)
    illuminant: colour.SpectralDistribution
    skin_raw: NDArray[np.float64]  # the skin's diffuse raw RGB under the card's light


@dataclass(frozen=True)
class RenderedPhoto:
    jpeg: bytes
    truth_Lab_D65: NDArray[np.float64]
    regions: list[dict[str, object]] = field(default_factory=list)
    card_corners_px: NDArray[np.float64] = field(default_factory=lambda: np.zeros((4, 2)))  # in the JPEG
    white_patch_clipped_share: float = 0.0  # share of the white patch's inner area with a channel at 255


def skin_truth_Lab(wavelengths_nm: NDArray[np.float64], reflectance: NDArray[np.float64]) -> NDArray[np.float64]:
    """What a spectrophotometer reports: CIELAB under D65, CIE 1931 2°."""
    return XYZ_to_Lab_D65(reflectance_to_XYZ(wavelengths_nm, reflectance))


def add_haemoglobin(
    wavelengths_nm: NDArray[np.float64],
    reflectance: NDArray[np.float64],
    extinction_wavelengths_nm: NDArray[np.float64],
    molar_extinction_HbO2: NDArray[np.float64],
    concentration_path_M_cm: float,
) -> NDArray[np.float64]:
    """Skin with more oxygenated blood, as on a flushed cheek: Beer-Lambert with a wavelength-dependent path.

    R'(λ) = R(λ) · 10^(−2 · ε(λ) · c·ℓ · (λ / 560 nm)^4): ``molar_extinction_HbO2`` is ε in cm⁻¹/M (Prahl's
    tabulation), ``concentration_path_M_cm`` the added c·ℓ in M·cm at 560 nm (1 µM·cm = 1e-6), the factor 2
    for light going in and out, and the path's rise with wavelength is ``HAEMOGLOBIN_PATH_EXPONENT``'s.
    ``reflectance`` (..., n) follows ``wavelengths_nm``; the extinction is interpolated onto it.

    References:
        Prahl, S. (1999). Optical absorption of hemoglobin. Oregon Medical Laser Center,
        omlc.org/spectra/hemoglobin (compiled from Gratzer and from Kollias).
    """
    wavelengths = np.asarray(wavelengths_nm, dtype=np.float64)
    extinction = np.interp(wavelengths, extinction_wavelengths_nm, molar_extinction_HbO2)
    path = (wavelengths / HAEMOGLOBIN_PATH_REFERENCE_NM) ** HAEMOGLOBIN_PATH_EXPONENT
    transmittance = 10.0 ** (-extinction * concentration_path_M_cm * path)
    redder: NDArray[np.float64] = np.asarray(reflectance, dtype=np.float64) * transmittance**2
    return redder


def resample(
    wavelengths_nm: NDArray[np.float64], values: NDArray[np.float64], grid: NDArray[np.float64]
) -> NDArray[np.float64]:
    return np.asarray(np.interp(grid, wavelengths_nm, values), dtype=np.float64)


def _axis_rotations(rotation_deg: float, tilt_deg: tuple[float, float]) -> NDArray[np.float64]:
    """Camera-frame rotation (x right, y down, z away): in-plane rotation, then the two tilts."""
    r, a, b = np.radians([rotation_deg, tilt_deg[0], tilt_deg[1]])
    in_plane = np.array([[np.cos(r), -np.sin(r), 0.0], [np.sin(r), np.cos(r), 0.0], [0.0, 0.0, 1.0]])
    about_vertical = np.array([[np.cos(a), 0.0, -np.sin(a)], [0.0, 1.0, 0.0], [np.sin(a), 0.0, np.cos(a)]])
    about_horizontal = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(b), -np.sin(b)], [0.0, np.sin(b), np.cos(b)]])
    rotation: NDArray[np.float64] = about_vertical @ about_horizontal @ in_plane
    return rotation


def camera_matrix(shot: Shot) -> NDArray[np.float64]:
    """Pinhole intrinsics K of the shot: focal length in pixels, principal point at the image's centre."""
    f = shot.focal_length_px
    return np.array([[f, 0.0, shot.size[0] / 2], [0.0, f, shot.size[1] / 2], [0.0, 0.0, 1.0]])


def card_homography(card: ReferenceCard, shot: Shot) -> NDArray[np.float64]:
    """Card mm → image px (before any mirroring), centred at ``shot.card_centre`` (see ``Shot``)."""
    width_mm, height_mm = card.layout.size_mm
    centre = np.array([shot.card_centre[0] * shot.size[0], shot.card_centre[1] * shot.size[1]])
    if shot.card_tilt_deg is not None:
        K = camera_matrix(shot)
        distance = shot.focal_length_px * width_mm / shot.card_width  # mm, along the optical axis
        position = distance * np.linalg.solve(K, np.array([centre[0], centre[1], 1.0]))
        rotation = _axis_rotations(shot.card_rotation_deg, shot.card_tilt_deg)
        from_centre = np.array([[1.0, 0.0, -width_mm / 2], [0.0, 1.0, -height_mm / 2], [0.0, 0.0, 1.0]])
        homography = K @ np.column_stack([rotation[:, 0], rotation[:, 1], position]) @ from_centre
        return np.asarray(homography / homography[2, 2], dtype=np.float64)
    scale = shot.card_width / width_mm
    half = np.array([width_mm, height_mm]) * scale / 2
    corners = np.array([[-half[0], -half[1]], [half[0], -half[1]], [half[0], half[1]], [-half[0], half[1]]])
    corners[1, 1] *= 1 - shot.card_tilt  # the right edge is farther away: shorter
    corners[2, 1] *= 1 - shot.card_tilt
    corners[1:3, 0] *= 1 - shot.card_tilt / 2
    angle = np.radians(shot.card_rotation_deg)
    rotation_2d = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    image_corners = corners @ rotation_2d.T + centre
    card_corners = np.array([[0, 0], [width_mm, 0], [width_mm, height_mm], [0, height_mm]], dtype=np.float64)
    homography = cv2.getPerspectiveTransform(card_corners.astype(np.float32), image_corners.astype(np.float32))
    return np.asarray(homography, dtype=np.float64)


def apply_homography(homography: NDArray[np.float64], points: NDArray[np.float64]) -> NDArray[np.float64]:
    mapped = np.c_[points, np.ones(len(points))] @ homography.T
    return np.asarray(mapped[:, :2] / mapped[:, 2:], dtype=np.float64)


def card_corners_px(card: ReferenceCard, shot: Shot) -> NDArray[np.float64]:
    """The card's corners (top-left, top-right, bottom-right, bottom-left as printed) in image px, unmirrored."""
    w, h = card.layout.size_mm
    return apply_homography(card_homography(card, shot), np.array([[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]]))


def face_geometry(shot: Shot) -> tuple[float, float, float, float]:
    width, height = shot.size
    return (
        shot.face_centre[0] * width,
        shot.face_centre[1] * height,
        shot.face_axes[0] * width,
        shot.face_axes[1] * height,
    )


def card_face_gap_px(card: ReferenceCard, shot: Shot) -> float:
    """Approximate distance (px) from the card's outline to the face ellipse; negative where the card covers it.

    Each point of the card's outline is measured radially from the face's centre, in units of the face's
    half-width: exact along the horizontal axis, where a card beside the face meets it.
    """
    corners = card_corners_px(card, shot)
    t = np.linspace(0.0, 1.0, 64, endpoint=False)[:, None]
    outline = np.concatenate([a + t * (b - a) for a, b in zip(corners, np.roll(corners, -1, axis=0), strict=True)])
    cx, cy, ax, ay = face_geometry(shot)
    radius = np.hypot((outline[:, 0] - cx) / ax, (outline[:, 1] - cy) / ay)
    return float(np.min(radius - 1.0) * ax)


def place_card_beside_face(card: ReferenceCard, shot: Shot, gap_px: float) -> Shot:
    """The shot with the card moved sideways (same height) to ``gap_px`` from the face; negative overlaps it.

    The card moves on the side of the face where it already is (right when centred on it).
    """
    side = 1.0 if shot.card_centre[0] >= shot.face_centre[0] else -1.0
    width = shot.size[0]

    def at(x_px: float) -> Shot:
        return replace(shot, card_centre=(x_px / width, shot.card_centre[1]))

    near = shot.face_centre[0] * width
    far = near + side * (shot.face_axes[0] * width + 2 * shot.card_width + abs(gap_px) + 10.0)
    for _ in range(50):  # the gap grows monotonically as the card moves away from the face
        middle = (near + far) / 2
        if card_face_gap_px(card, at(middle)) < gap_px:
            near = middle
        else:
            far = middle
    return at((near + far) / 2)


def _ellipse_polygon(centre: tuple[float, float], axes: tuple[float, float], n: int = 24) -> list[list[float]]:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return [[float(centre[0] + axes[0] * np.cos(t)), float(centre[1] + axes[1] * np.sin(t))] for t in angles]


def cheek_polygons(shot: Shot) -> dict[str, list[list[float]]]:
    """The two cheek regions an app would send: ellipses at (±0.5, 0.15) in face coordinates, in JPEG pixels."""
    width = shot.size[0]
    cx, cy, ax, ay = face_geometry(shot)

    def cheek(dx: float) -> list[list[float]]:
        polygon = _ellipse_polygon((cx + dx * ax, cy + 0.15 * ay), (0.22 * ax, 0.16 * ay))
        return [[width - 1 - x, y] for x, y in polygon] if shot.mirrored else polygon

    return {"left_cheek": cheek(-0.5), "right_cheek": cheek(0.5)}


@cache
def camera_to_sRGB_matrix(sensitivities: colour.MultiSpectralDistributions) -> NDArray[np.float64]:
    """3×3 from white-balanced raw camera RGB to linear sRGB, fitted on the ColorChecker under D65."""
    sds = colour.SDS_COLOURCHECKERS["BabelColor Average"]
    wavelengths = WAVELENGTHS_NM
    shape = colour.SpectralShape(wavelengths[0], wavelengths[-1], wavelengths[1] - wavelengths[0])
    reflectance = np.array([sds[name].copy().align(shape).values for name in sds])
    d65 = colour.SDS_ILLUMINANTS["D65"]
    raw = camera_response(wavelengths, reflectance, d65, sensitivities)
    white = camera_response(wavelengths, np.ones((1, wavelengths.size)), d65, sensitivities)[0]
    raw_balanced = raw / white
    target = colour.XYZ_to_RGB(reflectance_to_XYZ(wavelengths, reflectance), colour.RGB_COLOURSPACES["sRGB"])
    solution, *_ = np.linalg.lstsq(raw_balanced, target, rcond=None)
    matrix: NDArray[np.float64] = solution.T
    return matrix
