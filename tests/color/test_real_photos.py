"""Real photographs from ../shared/data: faces with landmarks, and ColorChecker charts with patch annotations."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from color.calibrate import expand_3x3, fit_correction_matrix, leave_one_out_XYZ
from color.card import PatchKind
from color.colorimetry import XYZ_to_Lab_D65, delta_E00
from color.face import cheek_regions
from color.packaged_data import load_card
from color.sampling import sRGB_decoding_LUT
from color.tone_curve import fit_tone_model

FACE_IDS = ("001", "003", "004", "005", "006", "025", "030", "042", "062", "067", "087", "129")
# FRL template point indices around each cheek (see the shared SOURCES.md): cheekbone, smile line, under-eye.
LEFT_CHEEK_POINTS = (164, 165, 166, 158, 159, 160, 44, 45, 46)
RIGHT_CHEEK_POINTS = (167, 168, 169, 161, 162, 163, 47, 48, 49)


def _landmarks(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()
    count = int(lines[0])
    return np.array([[float(v) for v in line.split()[:2]] for line in lines[1 : 1 + count]])


def _inside_hull(point: np.ndarray, hull_points: np.ndarray, margin: float) -> bool:
    hull = cv2.convexHull(hull_points.astype(np.float32))
    return cv2.pointPolygonTest(hull, (float(point[0]), float(point[1])), True) >= -margin


@pytest.mark.parametrize("detector", ["haar", "yunet"])
def test_server_placed_cheeks_fall_on_cheek_skin(shared_data: Path, detector: str) -> None:
    faces = shared_data / "photos" / "faces"
    model = shared_data / "models" / "face_detection_yunet_2023mar.onnx" if detector == "yunet" else None
    if model is not None and not model.exists():
        pytest.skip("YuNet model absent")
    misses = []
    for face_id in FACE_IDS:
        image = cv2.imread(str(faces / f"frl_london_{face_id}_03.jpg"))
        points = _landmarks(faces / f"frl_london_{face_id}_03.tem")
        interocular = float(np.linalg.norm(points[0] - points[1]))
        regions = {r.name: r for r in cheek_regions(image, model)}
        for name, indices in (("left_cheek", LEFT_CHEEK_POINTS), ("right_cheek", RIGHT_CHEEK_POINTS)):
            centre = regions[name].polygon.mean(axis=0)
            # The region's centre lies in the cheek area the landmarks outline (a tenth of the eye distance slack).
            if not _inside_hull(centre, points[list(indices)], 0.1 * interocular):
                misses.append((face_id, name))
    assert not misses, misses


def test_no_face_is_a_retake(shared_data: Path) -> None:
    from color.errors import RetakeNeeded

    wall = np.full((800, 600, 3), 140, dtype=np.uint8)
    with pytest.raises(RetakeNeeded) as error:
        cheek_regions(wall)
    assert error.value.code == "no_face"


def test_leave_one_out_on_real_colorchecker_photos(shared_data: Path) -> None:
    """Real booth photos of a ColorChecker: a 3×3 fitted on the annotated chips predicts each held-out chip."""
    rows = list(csv.DictReader((shared_data / "photos" / "colorchecker" / "plantcv_booth_chip_mean_rgb.csv").open()))
    checker = load_card("colorchecker-classic-24")
    lut = sRGB_decoding_LUT()
    for image in ("target_img", "source1_img"):
        chips = [r for r in rows if r["image"].endswith(image + ".png") or r["image"] == image]
        if not chips:
            chips = [r for r in rows if image.split("_")[0] in r["image"]]
        indices = np.array([int(r["cc24_patch_index"]) - 1 for r in chips])
        codes = np.array([[float(r["r_avg"]), float(r["g_avg"]), float(r["b_avg"])] for r in chips])
        decoded = np.interp(codes, np.arange(256) / 255.0, lut)
        # As in the product: the tone curve first, from the chart's neutrals, then the correction.
        neutral = np.array([checker.layout.patches[i].kind is PatchKind.NEUTRAL for i in indices])
        tone = fit_tone_model(decoded, checker.XYZ_D65[indices, 1], neutral)
        terms = expand_3x3(tone.apply(decoded))
        weights = np.ones(len(chips))
        loo_Lab = XYZ_to_Lab_D65(leave_one_out_XYZ(terms, checker.XYZ_D65[indices], weights, len(chips)))
        errors = delta_E00(loo_Lab, checker.Lab_D65[indices])
        fit = XYZ_to_Lab_D65(terms @ fit_correction_matrix(terms, checker.XYZ_D65[indices], weights).T)
        in_sample = delta_E00(fit, checker.Lab_D65[indices])
        # The booth light and camera are unknown; a linear correction should still predict unseen chips to
        # within a few ΔE00 on these small, real photos (and never better than its own in-sample fit).
        assert np.median(errors) < 4.0, (image, np.median(errors))
        assert np.median(errors) >= np.median(in_sample)
