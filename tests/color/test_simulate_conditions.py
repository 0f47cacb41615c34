"""The photo renderer does what its parameters say, checked without the measurement pipeline.

Geometry is checked against a pinhole camera decomposed by hand and against OpenCV's own ArUco detector;
light against ratios of the linear (raw) render; spectra against the haemoglobin absorption bands; and the
truth is checked to stay the diffuse skin's colour whatever the light does on the face.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import colour
import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from bench.datasets import GRID_NM, skin_set
from color.card import ReferenceCard
from color.colorimetry import XYZ_to_Lab_D65, delta_E00
from color.simulate import (
    TONE_CURVES,
    Phone,
    Scene,
    Shadow,
    Shine,
    Shot,
    add_haemoglobin,
    camera_matrix,
    card_corners_px,
    card_face_gap_px,
    card_homography,
    cheek_polygons,
    encode_tone,
    place_card_beside_face,
    render_photo,
    scene_raw,
    skin_truth_Lab,
)
from color.spectral import reflectance_to_XYZ

CAMERA = "Nikon 5100 (NPL)"
SENSITIVITIES = colour.MSDS_CAMERA_SENSITIVITIES[CAMERA]
SMALL = Shot(size=(800, 600), card_width_px=330)


def _scene(card: ReferenceCard, **options: object) -> Scene:
    return Scene(
        illuminant=colour.SDS_ILLUMINANTS["D65"],
        card=card,
        skin_wavelengths_nm=GRID_NM,
        skin_reflectance=skin_set()[1].reflectance,
        **options,  # type: ignore[arg-type]
    )


def _phone(tone_curve: str = "filmic") -> Phone:
    return Phone(name=CAMERA, sensitivities=SENSITIVITIES, tone_curve=tone_curve)


def _mask(shot: Shot, polygon: list[list[float]] | NDArray[np.float64]) -> NDArray[np.bool_]:
    mask = np.zeros((shot.size[1], shot.size[0]), np.uint8)
    cv2.fillPoly(mask, [np.round(np.asarray(polygon)).astype(np.int32)], 1)
    return mask.astype(bool)


def _cheek_mean(raw: NDArray[np.float32], shot: Shot, name: str = "left_cheek") -> NDArray[np.float64]:
    return np.asarray(raw[_mask(shot, cheek_polygons(shot)[name])].mean(axis=0, dtype=np.float64))


@pytest.mark.parametrize("size", [(1600, 1200), (1500, 2000), (4032, 3024)])
def test_jpeg_has_the_requested_size(card: ReferenceCard, size: tuple[int, int]) -> None:
    shot = Shot(size=size, card_width_fraction=0.25, card_tilt_deg=(10.0, -5.0))
    photo = render_photo(_scene(card), _phone(), shot, np.random.default_rng(0))
    assert Image.open(io.BytesIO(photo.jpeg)).size == size


@pytest.mark.parametrize(("fraction", "rotation"), [(1 / 8, 0.0), (0.3, 30.0), (0.2, -135.0)])
def test_untilted_card_has_the_requested_width_rotation_and_centre(
    card: ReferenceCard, fraction: float, rotation: float
) -> None:
    shot = Shot(
        size=(2000, 1500),
        card_width_fraction=fraction,
        card_rotation_deg=rotation,
        card_tilt_deg=(0.0, 0.0),
        card_centre=(0.3, 0.7),  # off the optical axis: a card facing the camera keeps its shape there too
    )
    corners = card_corners_px(card, shot)
    top = corners[1] - corners[0]
    assert np.hypot(*top) == pytest.approx(fraction * 2000, rel=1e-9)
    assert np.hypot(*(corners[3] - corners[0])) == pytest.approx(fraction * 2000 * 54.0 / 85.6, rel=1e-9)
    assert np.degrees(np.arctan2(top[1], top[0])) == pytest.approx(rotation, abs=1e-9)
    assert corners.mean(axis=0) == pytest.approx([600.0, 1050.0], abs=1e-6)


@pytest.mark.parametrize(("tilt", "rotation"), [((35.0, 0.0), 0.0), ((0.0, -35.0), 20.0), ((20.0, 25.0), -70.0)])
def test_tilted_card_is_a_rigid_card_seen_through_a_pinhole(
    card: ReferenceCard, tilt: tuple[float, float], rotation: float
) -> None:
    """K⁻¹H = s·[r1 r2 t] with r1, r2 orthonormal, and the card's normal is tilted by the angles asked."""
    shot = Shot(size=(3000, 2250), card_width_fraction=0.25, card_rotation_deg=rotation, card_tilt_deg=tilt)
    M = np.linalg.solve(camera_matrix(shot), card_homography(card, shot))
    r1, r2 = M[:, 0], M[:, 1]
    assert np.linalg.norm(r1) == pytest.approx(np.linalg.norm(r2), rel=1e-9)
    assert float(np.dot(r1, r2)) == pytest.approx(0.0, abs=1e-9 * float(np.dot(r1, r1)))
    normal = np.cross(r1, r2)
    normal /= np.linalg.norm(normal)
    expected = np.degrees(np.arccos(np.cos(np.radians(tilt[0])) * np.cos(np.radians(tilt[1]))))
    assert np.degrees(np.arccos(abs(normal[2]))) == pytest.approx(expected, abs=1e-6)


def test_positive_tilts_turn_the_right_and_bottom_edges_away(card: ReferenceCard) -> None:
    def edges(tilt: tuple[float, float]) -> NDArray[np.float64]:
        corners = card_corners_px(card, Shot(size=(2000, 1500), card_rotation_deg=0.0, card_tilt_deg=tilt))
        return np.linalg.norm(np.roll(corners, -1, axis=0) - corners, axis=1)  # top, right, bottom, left

    top, right, bottom, left = edges((35.0, 0.0))
    assert right < 0.9 * left  # farther: shorter
    top, right, bottom, left = edges((0.0, 35.0))
    assert bottom < 0.9 * top


@pytest.mark.parametrize("mirrored", [False, True])
def test_rendered_markers_lie_where_the_pose_puts_them(card: ReferenceCard, mirrored: bool) -> None:
    """OpenCV's ArUco detector (not ours) finds each marker corner within 1.5 px of its projection."""
    shot = Shot(
        size=(2000, 1500),
        card_width_fraction=0.3,
        card_rotation_deg=-25.0,
        card_tilt_deg=(30.0, -15.0),
        optical_blur_px=0.6,
        mirrored=mirrored,
    )
    photo = render_photo(_scene(card), _phone(), shot, np.random.default_rng(1))
    grey = cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    if mirrored:
        grey = np.ascontiguousarray(grey[:, ::-1])
    parameters = cv2.aruco.DetectorParameters()
    parameters.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    detector = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50), parameters)
    corners, ids, _ = detector.detectMarkers(grey)
    assert ids is not None
    assert sorted(ids.ravel().tolist()) == [0, 1, 2, 3]
    homography = card_homography(card, shot)
    markers = {m.id: m for m in card.layout.markers}
    for marker_id, found in zip(ids.ravel().tolist(), corners, strict=True):
        expected = cv2.perspectiveTransform(markers[marker_id].corners_mm().reshape(-1, 1, 2), homography)
        # OpenCV's corner convention puts a pixel's centre at its integer coordinate, as the renderer does.
        assert np.abs(found.reshape(4, 2) - expected.reshape(4, 2)).max() < 1.5
    reported = photo.card_corners_px.copy()
    if mirrored:
        reported[:, 0] = shot.size[0] - 1 - reported[:, 0]
    assert reported == pytest.approx(card_corners_px(card, shot))


@pytest.mark.parametrize("gap", [12.0, 0.0, -40.0])
def test_card_is_placed_at_the_asked_gap_from_the_face(card: ReferenceCard, gap: float) -> None:
    shot = Shot(size=(2000, 1500), card_width_fraction=0.25, card_rotation_deg=10.0, card_tilt_deg=(15.0, 5.0))
    placed = place_card_beside_face(card, shot, gap)
    assert card_face_gap_px(card, placed) == pytest.approx(gap, abs=0.05)
    assert placed.card_centre[1] == shot.card_centre[1]
    # Independently, on a raster: the card and the face ellipse overlap only when the gap is negative.
    face = np.zeros((1500, 2000), np.uint8)
    cx, cy = placed.face_centre[0] * 2000, placed.face_centre[1] * 1500
    cv2.ellipse(face, (round(cx), round(cy)), (round(0.2 * 2000), round(0.34 * 1500)), 0, 0, 360, 1, -1)
    overlap = int(np.sum(face.astype(bool) & _mask(placed, card_corners_px(card, placed))))
    if gap > 0:
        assert overlap == 0
    elif gap == 0:
        assert overlap < 100  # touching: only pixels on both outlines
    else:
        assert overlap > 100 * abs(gap)


def test_face_light_scales_the_cheek_and_not_the_card(card: ReferenceCard) -> None:
    base = scene_raw(_scene(card), SMALL, SENSITIVITIES)
    brighter = scene_raw(_scene(card, face_light=1.2), SMALL, SENSITIVITIES)
    assert _cheek_mean(brighter.raw, SMALL) / _cheek_mean(base.raw, SMALL) == pytest.approx([1.2] * 3, rel=1e-5)
    on_card = cv2.erode(_mask(SMALL, card_corners_px(card, SMALL)).astype(np.uint8), np.ones((5, 5))) > 0
    assert np.array_equal(brighter.raw[on_card], base.raw[on_card])


def test_light_gradient_runs_across_the_frame_in_the_asked_direction(card: ReferenceCard) -> None:
    flat = scene_raw(_scene(card), SMALL, SENSITIVITIES).raw
    for angle, axis in ((0.0, 1), (90.0, 0)):
        graded = scene_raw(_scene(card, light_gradient=0.4, light_gradient_angle_deg=angle), SMALL, SENSITIVITIES)
        ratio = (graded.raw / flat)[..., 1]
        profile = ratio.mean(axis=1 - axis)
        length = SMALL.size[1 - axis]
        # Irradiance 1 + g·(position − ½) along the gradient: from 0.8 at one edge to 1.2 at the other.
        expected = 1.0 + 0.4 * ((np.arange(length) + 0.5) / length - 0.5)
        assert profile == pytest.approx(expected, abs=0.002)
        across = ratio.mean(axis=axis)
        assert np.ptp(across) < 1e-3


def test_shine_adds_the_lights_colour_and_leaves_the_truth(card: ReferenceCard) -> None:
    shine = Shine(centre=(-0.5, 0.15), radius=0.1, strength=0.5)
    plain, shiny = _scene(card), _scene(card, shine=(shine,))
    raw_plain = scene_raw(plain, SMALL, SENSITIVITIES)
    raw_shiny = scene_raw(shiny, SMALL, SENSITIVITIES)
    cx = (SMALL.face_centre[0] - 0.5 * SMALL.face_axes[0]) * SMALL.size[0]
    cy = (SMALL.face_centre[1] + 0.15 * SMALL.face_axes[1]) * SMALL.size[1]
    added = raw_shiny.raw[round(cy), round(cx)] - raw_plain.raw[round(cy), round(cx)]
    # Surface reflection keeps the light's colour: the added raw RGB is 0.5 × a perfect white diffuser's.
    assert added == pytest.approx(0.5 * raw_plain.light_raw, rel=0.02)
    rng = np.random.default_rng(5)
    truth_plain = render_photo(plain, _phone(), SMALL, rng).truth_Lab_D65
    truth_shiny = render_photo(shiny, _phone(), SMALL, rng).truth_Lab_D65
    assert np.array_equal(truth_plain, truth_shiny)
    assert np.array_equal(truth_plain, skin_truth_Lab(GRID_NM, skin_set()[1].reflectance))


def test_shadow_leaves_its_fill_beyond_the_penumbra(card: ReferenceCard) -> None:
    shadow = Shadow(point=(0.5, 0.15), direction_deg=0.0, fill=0.4, penumbra=0.04)  # right half of a cheek
    lit = scene_raw(_scene(card), SMALL, SENSITIVITIES).raw
    shaded = scene_raw(_scene(card, shadows=(shadow,)), SMALL, SENSITIVITIES).raw
    ax = SMALL.face_axes[0] * SMALL.size[0]
    x_edge = SMALL.face_centre[0] * SMALL.size[0] + 0.5 * ax
    y = round((SMALL.face_centre[1] + 0.15 * SMALL.face_axes[1]) * SMALL.size[1])
    ratio = shaded[y] / lit[y]
    assert ratio[round(x_edge + 0.1 * ax)] == pytest.approx([0.4] * 3, abs=0.01)
    assert ratio[round(x_edge - 0.1 * ax)] == pytest.approx([1.0] * 3, abs=0.01)


def test_exposure_bias_clips_part_of_the_white_patch_only(card: ReferenceCard) -> None:
    def white_and_grey(exposure_ev: float) -> tuple[float, float]:
        shot = replace(SMALL, exposure_ev=exposure_ev)
        photo = render_photo(
            _scene(card, light_gradient=0.3, light_gradient_angle_deg=180.0),  # light falls off across the card
            Phone(name=CAMERA, sensitivities=SENSITIVITIES, tone_curve="sRGB", awb_error=0.0, jpeg_quality=95),
            shot,
            np.random.default_rng(2),
        )
        image = cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR)
        Y = card.XYZ_D65[:, 1]
        shares = []
        for index in (int(np.argmax(Y)), int(np.argmin(np.abs(Y - 0.2)))):
            x, y, w, h = card.layout.patches[index].rect_mm
            inner = np.array([[x + 0.2 * w, y + 0.2 * h], [x + 0.8 * w, y + 0.2 * h], [x + 0.8 * w, y + 0.8 * h]])
            inner = np.vstack([inner, [x + 0.2 * w, y + 0.8 * h]])
            polygon = cv2.perspectiveTransform(inner.reshape(-1, 1, 2), card_homography(card, shot)).reshape(-1, 2)
            codes = image[_mask(shot, polygon)]
            shares.append(float(np.mean(np.any(codes >= 250, axis=1))))  # JPEG blurs 255 a little
        return photo.white_patch_clipped_share, shares[0], shares[1]

    assert white_and_grey(0.0) == (0.0, 0.0, 0.0)
    at_255, white, grey = white_and_grey(0.45)
    assert 0.05 < white < 0.95  # partly clipped
    assert 0.0 < at_255 <= white  # the renderer's own count: codes at 255 before JPEG
    assert grey == 0.0


def test_tone_table_matches_the_tone_curves() -> None:
    linear = np.random.default_rng(0).uniform(0.0, 1.0, 20_000) ** 3 * 2.0  # dense in the shadows
    for name, curve in TONE_CURVES.items():
        exact = curve(linear.astype(np.float64)) * 255
        codes = encode_tone(linear.astype(np.float32), name).astype(np.float64)
        assert np.abs(codes - exact).max() <= 0.55, name  # rounding (0.5) plus the table's step (≤ 0.05)


def test_every_tone_curve_rises_and_keeps_white_and_grey_readable() -> None:
    """The rendered phones' curves, the three tuned on and the three never tuned on: rising, the card's white
    (linear 0.8 at auto exposure) below clipping, 18 % grey in the middle third of the codes."""
    linear = np.linspace(0.0, 2.0, 4001)
    for name, curve in TONE_CURVES.items():
        codes = curve(linear) * 255
        assert np.all(np.diff(codes) >= 0), name
        assert np.ptp(codes) > 240, name  # the filmic shoulders reach 245 at twice the white
        assert 200 <= curve(np.array([0.8]))[0] * 255 <= 250, name
        assert 85 <= curve(np.array([0.18]))[0] * 255 <= 170, name


def test_haemoglobin_deepens_its_bands_and_reddens(shared_data: Path) -> None:
    table = np.genfromtxt(
        shared_data / "skin_reflectance" / "hemoglobin_molar_extinction_prahl.csv", delimiter=",", names=True
    )
    wavelengths = np.arange(400.0, 701.0, 1.0)
    forearm = np.interp(wavelengths, GRID_NM, skin_set()[3].reflectance)

    def redder(concentration_path_M_cm: float) -> NDArray[np.float64]:
        return add_haemoglobin(
            wavelengths,
            forearm,
            table["wavelength_nm"],
            table["HbO2_molar_extinction_cm1_per_M"],
            concentration_path_M_cm,
        )

    assert np.array_equal(redder(0.0), forearm)
    cheek = redder(1.5e-6)
    ratio = cheek / forearm
    at = {nm: float(ratio[wavelengths == nm][0]) for nm in (542, 560, 577, 650, 700)}
    assert at[542] < 0.9  # the oxy-haemoglobin Q bands
    assert at[577] < 0.9
    assert at[560] > min(at[542], at[577])  # the valley between them absorbs less
    assert at[700] > 0.98  # red light passes: the skin turns red
    assert at[650] > 0.95
    Lab_forearm, Lab_cheek = (XYZ_to_Lab_D65(reflectance_to_XYZ(wavelengths, r)) for r in (forearm, cheek))
    assert Lab_cheek[1] > Lab_forearm[1] + 3.0
    assert Lab_cheek[0] < Lab_forearm[0]
    assert float(delta_E00(Lab_cheek, Lab_forearm)) > 2.0
