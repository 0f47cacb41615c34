"""The ColorChecker Classic 24 without markers: rendered charts, and real photos with annotated chips."""

from __future__ import annotations

import csv
from pathlib import Path

import colour
import cv2
import numpy as np
import pytest

from bench.datasets import GRID_NM, skin_set
from color.chart_detect import locate_colorchecker
from color.colorimetry import delta_E00
from color.decode import decode_photo
from color.errors import ColorError, RetakeNeeded
from color.measure import measure_photo
from color.packaged_data import load_card
from color.simulate import Phone, Scene, Shot, card_homography, render_photo

CHECKER = load_card("colorchecker-classic-24")
CORNERS_MM = np.array([[0.0, 0.0], [279.4, 0.0], [279.4, 215.9], [0.0, 215.9]])


def _render(rotation: float, mirrored: bool = False, seed: int = 0):  # type: ignore[no-untyped-def]
    scene = Scene(colour.SDS_ILLUMINANTS["D65"], CHECKER, GRID_NM, skin_set()[2].reflectance)
    phone = Phone("Nikon 5100 (NPL)", colour.MSDS_CAMERA_SENSITIVITIES["Nikon 5100 (NPL)"], tone_curve="filmic")
    shot = Shot(
        size=(1200, 900), card_width_px=430, card_centre=(0.75, 0.6), card_rotation_deg=rotation, mirrored=mirrored
    )
    return shot, render_photo(scene, phone, shot, np.random.default_rng(seed))


@pytest.mark.parametrize("rotation", [0.0, 15.0, 90.0, 180.0, -100.0])
def test_rendered_chart_is_found_in_any_orientation(rotation: float) -> None:
    shot, photo = _render(rotation)
    pose = locate_colorchecker(decode_photo(photo.jpeg).BGR, CHECKER.layout)
    truth = cv2.perspectiveTransform(CORNERS_MM.reshape(-1, 1, 2), card_homography(CHECKER, shot)).reshape(-1, 2)
    # Corners within a fifth of a chip (about 8 px here): chip centres are found from their contours.
    assert np.abs(pose.to_image(CORNERS_MM) - truth).max() < 0.2 * 39 * pose.px_per_mm
    assert not pose.mirrored


def test_mirrored_chart_is_recognised_as_mirrored() -> None:
    _, photo = _render(10.0, mirrored=True)
    assert locate_colorchecker(decode_photo(photo.jpeg).BGR, CHECKER.layout).mirrored


def test_measurement_with_the_colorchecker_is_recognised_without_naming_it() -> None:
    _, photo = _render(5.0)
    measured = measure_photo(photo.jpeg, regions=photo.regions)
    assert measured.card_id == "colorchecker-classic-24"
    assert float(delta_E00(measured.Lab_D65, photo.truth_Lab_D65)) < 2.0


def test_no_chart() -> None:
    with pytest.raises(RetakeNeeded) as error:
        locate_colorchecker(np.full((600, 800, 3), 120, np.uint8), CHECKER.layout)
    assert error.value.code == "card_not_found"


@pytest.mark.parametrize(
    "name",
    ["plantcv_colorchecker_classic.png", "plantcv_calibrite_passport.png", "plantcv_colorchecker_classic_mini.jpg"],
)
def test_real_charts_are_found_upright_and_unmirrored(shared_data: Path, name: str) -> None:
    """Real photos (PlantCV, MPL-2.0): the white patch and the dark skin patch are where the photo shows them."""
    image = cv2.imread(str(shared_data / "photos" / "colorchecker" / name), cv2.IMREAD_COLOR)
    pose = locate_colorchecker(image, CHECKER.layout)
    assert not pose.mirrored
    names = [p.name for p in CHECKER.layout.patches]
    white = pose.to_image(np.array([CHECKER.layout.patches[names.index("white 9.5 (.05 D)")].centre_mm]))[0]
    x, y = np.round(white).astype(int)
    assert image[y, x].min() > 150  # the white patch is white in the photo
    black = pose.to_image(np.array([CHECKER.layout.patches[names.index("black 2 (1.5 D)")].centre_mm]))[0]
    x, y = np.round(black).astype(int)
    assert image[y, x].max() < 90


def test_real_booth_charts_match_their_annotations(shared_data: Path) -> None:
    """The booth charts' chips are only 18 px wide, still enough to sample: their grid must be found exactly."""
    folder = shared_data / "photos" / "colorchecker"
    rows = list(csv.DictReader((folder / "plantcv_booth_chip_mean_rgb.csv").open()))
    for image_name in ("plantcv_booth_target_img.png", "plantcv_booth_source1_img.png"):
        annotated = [r for r in rows if r["image"] == image_name and r["mask_centroid_x"]]
        pose = locate_colorchecker(cv2.imread(str(folder / image_name), cv2.IMREAD_COLOR), CHECKER.layout)
        centres = np.array([CHECKER.layout.patches[int(r["cc24_patch_index"]) - 1].centre_mm for r in annotated])
        truth = np.array([[float(r["mask_centroid_x"]), float(r["mask_centroid_y"])] for r in annotated])
        chip_px = 39 * pose.px_per_mm
        assert np.linalg.norm(pose.to_image(centres) - truth, axis=1).max() < 0.3 * chip_px


def test_chart_covered_by_a_leaf_is_not_trusted(shared_data: Path) -> None:
    image = cv2.imread(str(shared_data / "photos" / "colorchecker" / "plantcv_partial_card_rgb.png"), cv2.IMREAD_COLOR)
    with pytest.raises(RetakeNeeded):
        locate_colorchecker(image, CHECKER.layout)


# Why each real chart photo (PlantCV, MPL-2.0) cannot give a skin colour: a reason a person would accept.
REAL_PHOTO_REFUSALS = {
    "plantcv_booth_plant_source.jpg": "image_too_small",  # 400 × 334: a thumbnail
    "plantcv_booth_plant_target.jpg": "image_too_small",
    "plantcv_booth_source1_img.png": "image_too_small",
    "plantcv_booth_source2_img.png": "image_too_small",
    "plantcv_booth_target_img.png": "image_too_small",
    "plantcv_calibrite_passport.png": "image_too_small",  # 300 × 436
    "plantcv_colorchecker_classic.png": "image_too_small",
    "plantcv_colorchecker_classic_mini.jpg": "image_too_small",
    "plantcv_partial_card_rgb.png": "card_partly_hidden",  # a leaf lies over a third of the chips
    "plantcv_seedhead_clone_card.jpg": "image_too_small",  # 500 × 375
}


@pytest.mark.parametrize(("name", "code"), sorted(REAL_PHOTO_REFUSALS.items()))
def test_real_chart_photos_are_refused_for_a_reason_a_person_accepts(shared_data: Path, name: str, code: str) -> None:
    with pytest.raises(ColorError) as error:
        measure_photo((shared_data / "photos" / "colorchecker" / name).read_bytes())
    assert error.value.code == code
    assert error.value.hint


def test_real_chart_thumbnails_are_found_at_their_own_size(shared_data: Path) -> None:
    """The thumbnails are refused as photos, but their charts are found: the finder is not what refuses them."""
    for name in ("plantcv_calibrite_passport.png", "plantcv_colorchecker_classic.png", "plantcv_booth_target_img.png"):
        image = cv2.imread(str(shared_data / "photos" / "colorchecker" / name), cv2.IMREAD_COLOR)
        assert locate_colorchecker(image, CHECKER.layout).px_per_mm > 0
