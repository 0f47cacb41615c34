"""Find a marker card in a photo and its pose: the homography from card millimetres to image pixels.

Markers are searched on a grey copy scaled to ``DETECTION_LONG_SIDES`` pixels (fast on 12 MP
photos) and their corners refined to sub-pixel accuracy on the full image. A photo from a front camera
that mirrors the scene shows mirrored markers, which ArUco cannot read: such a photo is searched again
flipped, and the homography then includes the reflection, so patches are found all the same.

The markers' ids also tell the card's print batch (``color.card_identity``): the pose carries its number,
and markers that are not those of one card ask for a retake.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from color.card import CardLayout
from color.card_identity import MarkerReading, check_one_card, read_markers
from color.quality import Retake, check_markers_found, check_pose

# Search small first (fast); larger only when a small card is missed. The last level reads a 12 MP photo at full
# size: a card an eighth of its width has markers of about 25 px, which the 2,048 px copy shrinks below reading.
DETECTION_LONG_SIDES = (1024, 2048, 4096)
# A small photo is enlarged (bilinear) for the last searches: ArUco finds the square outline of a 14 px marker
# far more often at twice the size (a card an eighth of a 1,600 px photo's width has markers of about 15 px).
MAX_UPSCALE = 2.0
MIN_MARKER_PERIMETER_RATE = 0.01
SUBPIX_WINDOW_PX = 5
SUBPIX_CRITERIA = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.01)


@dataclass(frozen=True, slots=True)
class CardPose:
    layout: CardLayout
    homography: NDArray[np.float64]  # 3×3, card mm → image px
    markers_found: tuple[int, ...]
    mirrored: bool
    px_per_mm: float
    reprojection_error_mm: float
    batch_number: int | None = None  # the print batch the markers carry; None for cards without markers

    def to_image(self, points_mm: NDArray[np.float64]) -> NDArray[np.float64]:
        """Map card points (..., 2) in mm to image pixels."""
        points = np.asarray(points_mm, dtype=np.float64).reshape(-1, 1, 2)
        mapped = cv2.perspectiveTransform(points, self.homography)
        return np.asarray(mapped, dtype=np.float64).reshape(np.shape(points_mm))


def _detector(dictionary_name: str) -> cv2.aruco.ArucoDetector:
    parameters = cv2.aruco.DetectorParameters()
    parameters.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_NONE  # refined on the full image below
    # Two adaptive-threshold windows (3 and 23 px) instead of three: markers on the scaled photo are 20-80 px
    # wide, both windows find them, and detection takes half the time (measured: 2.5 ms instead of 4.4 ms).
    parameters.adaptiveThreshWinSizeStep = 20
    # OpenCV drops candidates whose perimeter is under 3 % of the image's long side: a marker of 6.4 mm on a card
    # an eighth of the photo's width is about 2 % of it. A 1 % floor keeps it (markers of 4 × 6 cells need at least
    # about 12 px to be decoded in any case).
    parameters.minMarkerPerimeterRate = MIN_MARKER_PERIMETER_RATE
    return cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, dictionary_name)), parameters)


def _find_markers(
    grey_small: NDArray[np.uint8], dictionary_name: str, *, mirrored: bool
) -> list[tuple[int, NDArray[np.float64]]]:
    """Every marker found as (id, corners (4, 2)) in the small image's pixels, the image searched as is or mirrored."""
    image = grey_small[:, ::-1] if mirrored else grey_small
    corners, ids, _ = _detector(dictionary_name).detectMarkers(np.ascontiguousarray(image))
    if ids is None:
        return []
    found = []
    width = grey_small.shape[1]
    for marker_id, marker_corners in zip(ids.ravel().tolist(), corners, strict=True):
        points = marker_corners.reshape(4, 2).astype(np.float64)
        if mirrored:
            points[:, 0] = width - 1 - points[:, 0]
        found.append((int(marker_id), points))
    return found


def _refine(BGR: NDArray[np.uint8], corners: NDArray[np.float64], marker_px: float) -> NDArray[np.float64]:
    """Sub-pixel corner refinement on the full-resolution image, in a small grey crop around each corner.

    The search window is at most a sixth of a marker's side (``marker_px``): on a small marker a larger one
    reaches the marker's inner cells, whose corners pull the outer one off by a pixel or two.
    """
    window = int(np.clip(round(marker_px / 6), 2, SUBPIX_WINDOW_PX))
    height, width = BGR.shape[:2]
    margin = 4 * window
    refined = corners.copy()
    for index, (x, y) in enumerate(corners):
        x0, y0 = max(int(x) - margin, 0), max(int(y) - margin, 0)
        x1, y1 = min(int(x) + margin + 1, width), min(int(y) + margin + 1, height)
        if x1 - x0 < 2 * window + 3 or y1 - y0 < 2 * window + 3:
            continue  # too close to the border to refine: keep the detected corner
        crop = cv2.cvtColor(np.ascontiguousarray(BGR[y0:y1, x0:x1]), cv2.COLOR_BGR2GRAY)
        point = np.array([[[x - x0, y - y0]]], dtype=np.float32)
        result = cv2.cornerSubPix(crop, point, (window, window), (-1, -1), SUBPIX_CRITERIA)
        refined[index] = result.reshape(2) + np.array([x0, y0], dtype=np.float64)
    return refined


def _search(
    BGR: NDArray[np.uint8], marker_layouts: list[CardLayout], long_side: int
) -> tuple[MarkerReading, bool] | None:
    """The markers of the best-read card in a copy of the photo scaled to ``long_side`` (at most ``MAX_UPSCALE``), and
    whether they were read mirrored: mirrored only when the photo as is shows no card's every marker (a mirrored
    marker may read as another id, so finding some ids is no proof that the photo is not mirrored)."""
    height, width = BGR.shape[:2]
    scale = min(MAX_UPSCALE, long_side / max(height, width))
    interpolation = cv2.INTER_NEAREST if scale < 1.0 else cv2.INTER_LINEAR
    small = cv2.resize(BGR, None, fx=scale, fy=scale, interpolation=interpolation) if scale != 1.0 else BGR
    grey_small = np.asarray(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    best: tuple[MarkerReading, bool] | None = None
    for mirrored in (False, True):
        for dictionary_name in sorted(
            {layout.aruco_dictionary for layout in marker_layouts if layout.aruco_dictionary}
        ):
            found = [(i, c / scale) for i, c in _find_markers(grey_small, dictionary_name, mirrored=mirrored)]
            for layout in marker_layouts:
                reading = read_markers(layout, found) if layout.aruco_dictionary == dictionary_name else None
                if reading is not None and (best is None or len(reading.corners_px) > len(best[0].corners_px)):
                    best = (reading, mirrored)
        if best is not None and len(best[0].corners_px) == len(best[0].layout.markers):
            break
    return best


def locate_card(BGR: NDArray[np.uint8], layouts: list[CardLayout]) -> CardPose:
    """Find which of ``layouts`` is in the photo and its pose; ``RetakeNeeded`` when it cannot be trusted."""
    marker_layouts = [layout for layout in layouts if layout.aruco_dictionary is not None]
    height, width = BGR.shape[:2]
    best = None
    for long_side in DETECTION_LONG_SIDES:
        best = _search(BGR, marker_layouts, long_side)
        complete = best is not None and len(best[0].corners_px) == len(best[0].layout.markers)
        if complete or long_side >= MAX_UPSCALE * max(height, width):
            break
    if best is None:
        raise Retake.CARD_NOT_FOUND.error("No reference card was found in the photo.")
    reading, mirrored = best
    layout, found = reading.layout, reading.corners_px
    sides = [np.linalg.norm(np.roll(corners, -1, axis=0) - corners, axis=1).mean() for corners in found.values()]
    marker_px = float(np.mean(sides))
    check_markers_found(len(found), marker_px)
    image_points = _refine(BGR, np.concatenate([found[i] for i in sorted(found)]), marker_px)
    markers = {m.id: m for m in layout.markers}
    card_points = np.concatenate([markers[i].corners_mm() for i in sorted(found)])
    found_homography, _ = cv2.findHomography(card_points, image_points, 0)
    if found_homography is None:
        raise Retake.CARD_MARKERS_NOT_FLAT.error("The card's markers do not form a flat card.")
    pose = pose_from_homography(
        layout,
        np.asarray(found_homography, dtype=np.float64),
        card_points,
        image_points,
        markers_found=tuple(sorted(found)),
        mirrored=mirrored,
        batch_number=reading.batch_number,
    )
    pose = check_pose(pose, (width, height))
    check_one_card(pose, reading)
    return pose


def pose_from_homography(
    layout: CardLayout,
    homography: NDArray[np.float64],
    card_points: NDArray[np.float64],
    image_points: NDArray[np.float64],
    *,
    markers_found: tuple[int, ...],
    mirrored: bool,
    batch_number: int | None = None,
) -> CardPose:
    """The pose with its scale and how far the reference points lie off it (checked by ``color.quality``).

    ``markers_found`` are layout marker ids (those of print batch 0); ``batch_number`` the batch they carry.
    """
    pose = CardPose(layout, homography, markers_found, mirrored, px_per_mm=0.0, reprojection_error_mm=0.0)
    px_per_mm = _px_per_mm(pose)
    reprojected = pose.to_image(card_points)
    error_mm = float(np.max(np.linalg.norm(reprojected - image_points, axis=1))) / max(px_per_mm, 1e-9)
    return CardPose(
        layout,
        homography,
        markers_found,
        mirrored,
        px_per_mm=px_per_mm,
        reprojection_error_mm=error_mm,
        batch_number=batch_number,
    )


def _px_per_mm(pose: CardPose) -> float:
    """Smallest local scale over the card (the far side of a tilted card), from its four corners."""
    w, h = pose.layout.size_mm
    corners = pose.to_image(np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64))
    sides = np.linalg.norm(np.roll(corners, -1, axis=0) - corners, axis=1)
    return float(min(sides[0] / w, sides[2] / w, sides[1] / h, sides[3] / h))
