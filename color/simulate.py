"""Physically rendered phone photos of a face next to a reference card, for tests and benchmarks.

Every pixel starts as a spectral reflectance (card patches, skin, a wall) under an illuminant's spectral
power distribution, integrated against a camera's spectral sensitivities (``color.spectral``). A phone
pipeline follows: auto exposure (with an optional bias), shot and read noise, auto white balance with an
error, a camera-to-sRGB matrix fitted under D65 (as a phone maker tunes it), a tone curve, 8-bit
quantisation and JPEG. The truth is what a spectrophotometer gives for the skin: its reflectance integrated
under D65 with the CIE 1931 2° observer. Shine, shadow and uneven light change the photo, never the truth.

The conditions a photo can be taken under, each an explicit parameter:

- ``Shot``: the JPEG's size (1,600 px to 12 MP and beyond), the card's size (in pixels or as a fraction of
  the image width), in-plane rotation, out-of-plane tilt through a pinhole camera (``card_tilt_deg``), the
  card's position (``place_card_beside_face`` puts it against the face or over its edge), an exposure bias
  that clips the white patch, a mirrored selfie, the face's place and size.
- ``Scene``: the light, the card, the skin spectrum, light on the face brighter or dimmer than on the card,
  a light gradient across the frame in any direction, specular shine (``Shine``) and cast shadows
  (``Shadow``) on the face, glare on the card.
- Skin spectra: ``add_haemoglobin`` makes skin redder with oxy-haemoglobin (Beer-Lambert); darker skin comes
  from ``color.skin_prior.darken_with_melanin``.

The scene itself (types, pinhole geometry, skin spectra and truth) is ``color.simulate_scene``; this module
renders it. Smooth light fields (face shading, gradient, shadow, shine) are computed at ``FIELD_LONG_SIDE_PX`` and
resized; the card, the face's edge, skin texture and sensor noise are rendered at the JPEG's full size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import colour
import cv2
import numpy as np
from numpy.typing import NDArray

from color.card import ReferenceCard
from color.card_render import card_labels
from color.simulate_scene import (
    Phone,
    RenderedPhoto,
    Scene,
    SceneRaw,
    Shadow,
    Shine,
    Shot,
    add_haemoglobin,
    apply_homography,
    camera_matrix,
    camera_to_sRGB_matrix,
    card_corners_px,
    card_face_gap_px,
    card_homography,
    cheek_polygons,
    face_geometry,
    place_card_beside_face,
    resample,
    skin_truth_Lab,
)
from color.simulate_tone import TONE_CURVES, encode_tone
from color.spectral import camera_response

# The scene's types and geometry are used through this module too, as before it was split.
__all__ = [
    "TONE_CURVES",
    "Phone",
    "RenderedPhoto",
    "Scene",
    "Shadow",
    "Shine",
    "Shot",
    "add_haemoglobin",
    "camera_matrix",
    "camera_to_sRGB_matrix",
    "card_corners_px",
    "card_face_gap_px",
    "card_homography",
    "cheek_polygons",
    "encode_tone",
    "place_card_beside_face",
    "render_photo",
    "scene_raw",
    "skin_truth_Lab",
]

CANVAS_PX_PER_MM = 12.0  # least resolution of the card texture before it is warped into the photo
CANVAS_OVERSAMPLING = 2.0  # at least this many texture pixels per photo pixel, so that large cards stay sharp
FIELD_LONG_SIDE_PX = 1024  # light fields vary over tens of pixels at least: computed this size, then resized
SKIN_TEXTURE = 0.02  # relative pixel-to-pixel variation of the skin's diffuse reflection (pores, fine hair)
FACE_EDGE_FALLOFF = 0.4  # relative darkening of the face toward its edge (it turns away from the light)
PLAIN_WHITE_CODE = 255  # the code a clipped channel takes


def _field_grid(shot: Shot) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Full-image pixel coordinates of the pixels of a reduced grid that ``cv2.resize`` maps onto the image."""
    width, height = shot.size
    factor = min(1.0, FIELD_LONG_SIDE_PX / max(width, height))
    small_width, small_height = max(2, round(width * factor)), max(2, round(height * factor))
    xs = (np.arange(small_width, dtype=np.float32) + 0.5) * (width / small_width) - 0.5
    ys = (np.arange(small_height, dtype=np.float32) + 0.5) * (height / small_height) - 0.5
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy


def _to_full(values: NDArray[np.float32], shot: Shot) -> NDArray[np.float32]:
    if values.shape == (shot.size[1], shot.size[0]):
        return values
    resized = cv2.resize(values, shot.size, interpolation=cv2.INTER_LINEAR)
    return np.asarray(resized, dtype=np.float32)


def _light_fields(
    scene: Scene, shot: Shot
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32] | None]:
    """Smooth fields on the reduced grid: face diffuse light, face specular light, frame gradient (or None)."""
    xx, yy = _field_grid(shot)
    cx, cy, ax, ay = face_geometry(shot)
    u, v = (xx - cx) / ax, (yy - cy) / ay  # face coordinates
    r2 = u**2 + v**2
    shading = np.clip(1.0 - FACE_EDGE_FALLOFF * np.clip(r2 - 0.5, 0.0, None), 0.0, None)
    light = np.full(xx.shape, scene.face_light, dtype=np.float32)
    for shadow in scene.shadows:
        angle = np.radians(shadow.direction_deg)
        px, py = cx + shadow.point[0] * ax, cy + shadow.point[1] * ay
        depth = ((xx - px) * np.cos(angle) + (yy - py) * np.sin(angle)) / max(shadow.penumbra * ax, 1e-6)
        s = np.clip(depth + 0.5, 0.0, 1.0)
        s = s * s * (3 - 2 * s)  # smooth step across the penumbra
        light *= (1.0 - (1.0 - shadow.fill) * s).astype(np.float32)
    specular = np.zeros(xx.shape, dtype=np.float32)
    for shine in scene.shine:
        distance2 = ((xx - cx - shine.centre[0] * ax) ** 2 + (yy - cy - shine.centre[1] * ay) ** 2) / ax**2
        specular += (shine.strength * np.exp(-distance2 / (2 * shine.radius**2))).astype(np.float32)
    gradient = None
    if scene.light_gradient:
        angle = np.radians(scene.light_gradient_angle_deg)
        position = (xx / shot.size[0] - 0.5) * np.cos(angle) + (yy / shot.size[1] - 0.5) * np.sin(angle)
        gradient = np.clip(1.0 + scene.light_gradient * position, 0.05, None).astype(np.float32)
    return (shading * light).astype(np.float32), specular * light, gradient


def _face_mask(shot: Shot) -> NDArray[np.float32]:
    """Coverage (0-1) of each pixel by the face ellipse, anti-aliased."""
    width, height = shot.size
    cx, cy, ax, ay = face_geometry(shot)
    mask = np.zeros((height, width), dtype=np.uint8)
    shift = 4  # sub-pixel precision of the drawing: 1/16 px
    cv2.ellipse(
        mask,
        (round(cx * 2**shift), round(cy * 2**shift)),
        (round(ax * 2**shift), round(ay * 2**shift)),
        0.0,
        0.0,
        360.0,
        255,
        thickness=-1,
        lineType=cv2.LINE_AA,
        shift=shift,
    )
    return mask.astype(np.float32) / np.float32(255.0)


def _draw_card(
    image: NDArray[np.float32], palette: NDArray[np.float32], scene: Scene, shot: Shot, white_raw: NDArray[np.float64]
) -> None:
    """Warp the card's texture (rows of ``palette`` by label; −1 ground, −2 ink) into ``image``, in place."""
    card = scene.card
    width_mm = card.layout.size_mm[0]
    scale = shot.card_width / width_mm  # photo px per card mm at the card's centre
    canvas_px_per_mm = max(CANVAS_PX_PER_MM, CANVAS_OVERSAMPLING * scale)
    labels = card_labels(card, canvas_px_per_mm)
    texture = np.empty((*labels.shape, 4), dtype=np.float32)
    texture[..., :3] = palette[labels]
    texture[..., 3] = 1.0  # coverage, warped with the colours: anti-aliased edges
    pad = 0
    if shot.optical_blur_px > 0:
        # Blurred in texture pixels, with a margin of empty (zero-coverage) texture so that the outline blurs
        # too; the colours are premultiplied by coverage, so blurred edges composite correctly.
        sigma = shot.optical_blur_px * canvas_px_per_mm / scale
        pad = int(np.ceil(3 * sigma))
        texture = cv2.copyMakeBorder(texture, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0.0, 0.0, 0.0, 0.0))
        texture = np.asarray(cv2.GaussianBlur(texture, (0, 0), sigma), dtype=np.float32)
    to_image = card_homography(card, shot)
    corners = card_corners_px(card, shot)
    height, width = image.shape[:2]
    margin = 2 + int(np.ceil(3 * shot.optical_blur_px))
    x0, y0 = (max(0, int(np.floor(v)) - margin) for v in corners.min(axis=0))
    x1, y1 = (int(np.ceil(v)) + margin + 1 for v in corners.max(axis=0))
    x1, y1 = min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return  # the card is wholly outside the photo
    to_roi = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]]) @ to_image
    to_mm = np.array([[1.0, 0.0, -pad], [0.0, 1.0, -pad], [0.0, 0.0, canvas_px_per_mm]]) / canvas_px_per_mm
    homography = to_roi @ to_mm
    warped = cv2.warpPerspective(texture, homography, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR)
    coverage = warped[..., 3:4]
    roi = image[y0:y1, x0:x1]
    roi *= 1.0 - coverage
    roi += warped[..., :3]  # already weighted by coverage (zero outside the card)
    if scene.glare_on_card:
        centre = apply_homography(to_roi, np.array([[width_mm * 0.45, card.layout.size_mm[1] * 0.5]]))[0]
        yy, xx = np.mgrid[0 : y1 - y0, 0 : x1 - x0].astype(np.float32)
        spot = np.exp(-((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / (2 * (shot.card_width * 0.12) ** 2))
        roi += (2.0 * spot * coverage[..., 0])[..., None] * white_raw.astype(np.float32)


@dataclass(frozen=True)
class _Materials:
    """Raw camera RGB of every material in the scene under the card's light."""

    palette: NDArray[np.float32]  # card patches, then ink (label −2), then ground (label −1)
    skin_raw: NDArray[np.float64]
    wall_raw: NDArray[np.float64]
    light_raw: NDArray[np.float64]
    white_raw: NDArray[np.float64]


def scene_raw(
    scene: Scene, shot: Shot, sensitivities: colour.MultiSpectralDistributions, rng: np.random.Generator | None = None
) -> SceneRaw:
    """Raw camera RGB of the whole scene (before exposure, noise and processing), unmirrored.

    With ``rng`` the skin has a fine texture (``SKIN_TEXTURE``); without it the skin is smooth.
    """
    card = scene.card
    grid = card.wavelengths_nm
    illuminant = scene.illuminant.copy().align(colour.SpectralShape(grid[0], grid[-1], grid[1] - grid[0]))
    lightest, darkest = int(np.argmax(card.XYZ_D65[:, 1])), int(np.argmin(card.XYZ_D65[:, 1]))
    ground = lightest if card.layout.base == "white" else darkest  # the card's white paper or black frame
    reflectance = np.vstack(
        [
            card.reflectance,
            card.reflectance[[darkest]],  # ink: the darkest neutral's material
            card.reflectance[[ground]],
            resample(scene.skin_wavelengths_nm, scene.skin_reflectance, grid)[None],
            np.full((1, grid.size), scene.wall_reflectance),
            np.ones((1, grid.size)),
        ]
    )
    raw = camera_response(grid, reflectance, illuminant, sensitivities)
    n = len(card.layout.patches)
    materials = _Materials(
        palette=raw[: n + 2].astype(np.float32),
        skin_raw=raw[n + 2],
        wall_raw=raw[n + 3],
        light_raw=raw[n + 4],
        white_raw=raw[lightest],
    )
    texture = None
    if rng is not None:
        texture = rng.standard_normal((shot.size[1], shot.size[0]), dtype=np.float32)
        texture *= np.float32(SKIN_TEXTURE)
        texture += np.float32(1.0)
    return SceneRaw(
        raw=_compose(scene, shot, materials, texture),
        white_raw=materials.white_raw,
        light_raw=materials.light_raw,
        illuminant=illuminant,
        skin_raw=materials.skin_raw,
    )


def _compose(
    scene: Scene, shot: Shot, materials: _Materials, texture: NDArray[np.float32] | None
) -> NDArray[np.float32]:
    """Wall, face (diffuse skin with texture, plus shine), card, then the frame's light gradient."""
    width, height = shot.size
    skin_raw, wall_raw, light_raw = materials.skin_raw, materials.wall_raw, materials.light_raw
    diffuse_small, specular_small, gradient_small = _light_fields(scene, shot)
    diffuse = _to_full(diffuse_small, shot)
    if texture is not None:
        diffuse = diffuse * texture
    specular = _to_full(specular_small, shot) if scene.shine else None
    face = _face_mask(shot)
    image = np.empty((height, width, 3), dtype=np.float32)
    for c in range(3):
        skin = diffuse * np.float32(skin_raw[c])
        if specular is not None:
            skin += specular * np.float32(light_raw[c])
        skin -= np.float32(wall_raw[c])
        skin *= face
        skin += np.float32(wall_raw[c])
        image[..., c] = skin
    _draw_card(image, materials.palette, scene, shot, materials.white_raw)
    if gradient_small is not None:
        image *= _to_full(gradient_small, shot)[..., None]
    return image


def _phone_pipeline(scene: SceneRaw, phone: Phone, shot: Shot, rng: np.random.Generator) -> NDArray[np.uint8]:
    """Exposure (white at about 0.8), noise, white balance, colour matrix, tone curve, 8-bit codes (R G B).

    ``scene.raw`` is used up (modified in place).
    """
    light_raw = scene.light_raw
    exposure = 0.8 / float(scene.white_raw[1]) * float(rng.uniform(0.85, 1.1)) * 2.0**shot.exposure_ev
    image = scene.raw
    image *= np.float32(exposure)
    deviation = np.maximum(image, 0.0)
    deviation *= np.float32(phone.shot_noise)
    deviation += np.float32(phone.read_noise**2)
    np.sqrt(deviation, out=deviation)
    noise = rng.standard_normal(image.shape, dtype=np.float32)
    noise *= deviation
    image += noise
    del noise, deviation
    gains = (light_raw[1] / light_raw) ** phone.awb_adaptation
    gains = gains * (1.0 + phone.awb_error * rng.standard_normal(3) * np.array([1.0, 0.0, 1.0]))
    matrix = camera_to_sRGB_matrix(phone.sensitivities) @ np.diag(gains)
    linear = np.asarray(cv2.transform(image, matrix.astype(np.float32)), dtype=np.float32)
    return encode_tone(linear, phone.tone_curve)


def _white_patch_clipped_share(codes: NDArray[np.uint8], card: ReferenceCard, shot: Shot) -> float:
    """Share of the white patch's inner 60 % whose pixels have a channel at 255 (``codes`` unmirrored)."""
    white = card.layout.patches[int(np.argmax(card.XYZ_D65[:, 1]))]
    x, y, w, h = white.rect_mm
    steps = np.linspace(0.2, 0.8, 24)
    grid = np.array([[x + a * w, y + b * h] for a in steps for b in steps])
    points = np.round(apply_homography(card_homography(card, shot), grid)).astype(int)
    height, width = codes.shape[:2]
    inside = (points[:, 0] >= 0) & (points[:, 0] < width) & (points[:, 1] >= 0) & (points[:, 1] < height)
    if not inside.any():
        return 0.0
    values = codes[points[inside, 1], points[inside, 0]]
    return float(np.mean(np.any(values >= PLAIN_WHITE_CODE, axis=1)))


def render_photo(
    scene: Scene, phone: Phone, shot: Shot, rng: np.random.Generator, edit_raw: Callable[[SceneRaw], None] | None = None
) -> RenderedPhoto:
    """Render one JPEG of the scene through the phone, with the truth, the cheek regions and the card's corners;
    ``edit_raw`` changes the raw scene in place first (``color.simulate_marks`` puts marks on the skin)."""
    raw = scene_raw(scene, shot, phone.sensitivities, rng)
    if edit_raw is not None:
        edit_raw(raw)
    codes = _phone_pipeline(raw, phone, shot, rng)
    clipped_share = _white_patch_clipped_share(codes, scene.card, shot)
    corners = card_corners_px(scene.card, shot)
    if shot.mirrored:
        codes = codes[:, ::-1]
        corners[:, 0] = shot.size[0] - 1 - corners[:, 0]
    ok, jpeg = cv2.imencode(".jpg", codes[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, phone.jpeg_quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    regions: list[dict[str, object]] = [{"name": n, "polygon": p} for n, p in cheek_polygons(shot).items()]
    truth = skin_truth_Lab(scene.skin_wavelengths_nm, scene.skin_reflectance)
    return RenderedPhoto(
        jpeg=jpeg.tobytes(),
        truth_Lab_D65=truth,
        regions=regions,
        card_corners_px=corners,
        white_patch_clipped_share=clipped_share,
    )
