"""Find a marker card in a photo and its pose: the homography from card millimetres to image pixels.

1. The whole photo is searched on grey copies scaled to ``DETECTION_LONG_SIDES`` pixels (never enlarged), the
   smallest first: a card of usual size is read at once on a small copy.
2. When a card's markers are only partly read, the card is looked for again in a crop around where those
   markers put it, scaled so that its markers span about ``CROP_MARKER_PX``: a small card's markers are read
   there far more often than on the whole photo, at a fraction of the cost of enlarging all of it. When no
   marker is read at all, the crop is taken around the largest grid of colour patches (``color.patch_grid``).
3. Corners are refined to sub-pixel accuracy on the full-resolution image.

A photo from a front camera that mirrors the scene shows mirrored markers, which ArUco cannot read: such a
photo is searched again flipped, and the homography then includes the reflection, so patches are found all
the same. The markers' ids also tell the card's print batch (``color.card_identity``): the pose carries its
number, and markers that are not those of one card ask for a retake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from color.card import CardLayout
from color.card_identity import MarkerReading, check_one_card, printed_marker_ids, read_markers
from color.marker_search import detect_markers
from color.patch_grid import find_patch_grids
from color.quality import Retake, check_markers_found, check_pose

# Whole-photo searches, small first (fast); larger only when a small card is missed. A 12 MP photo is read at
# full size last: a card an eighth of its width has markers of about 25 px, which the 2,048 px copy halves.
DETECTION_LONG_SIDES = (1024, 2048, 4096)
# Markers narrower than this are not read on a whole-photo copy (4 × 4 bits in a 6 × 6 cell square need about
# 2 px a cell); OpenCV's perimeter floor (``minMarkerPerimeterRate``) is set from it, which also spares the
# reading of thousands of tiny outlines in skin and hair texture.
MIN_SEARCH_MARKER_PX = 10
# A crop around the card is scaled so that its markers span about this many pixels: on the 64 photos of
# bench_conditions' "card small" group (markers of 14-36 px), crops scaled to 20, 24, 32 and 40 px markers read
# all four markers on 58, 60, 62 and 60 photos.
CROP_MARKER_PX = 32.0
MAX_CROP_SCALE = 4.0
CROP_MARGIN = 0.25  # of the card's predicted extent, on every side: a card predicted from one small marker is rough
# One adaptive-threshold window (px; OpenCV's default is three, 3, 13 and 23), about 0.7 of a marker's side in a
# crop. On the 64 crops above it reads as many markers as the windows 3 and 23 together, in 60 % of the time; on
# whole photos (112 of bench_conditions' base, size, tilt, touching, white clipped and mixed groups, 1,024 px
# copies) it reads every marker of 88 cards at once against 92, the rest being read on the crop that follows, and
# takes 55 % of the time.
THRESHOLD_WINDOW = 23
# When no marker is read on the whole photo, a grid of at least this many even-toned squares is taken for the card
# (color.measure diagnoses a card it cannot read with the same count), searched on a copy of this long side
# (100-140 ms; patches of 12 px in a 2,000 px photo are still 10 px there), and the crop reaches this many patch
# sides beyond the grid's patch centres: past the corner markers and the card's white margin.
MIN_CARD_LIKE_PATCHES = 12
GRID_SEARCH_LONG_SIDE = 1600
GRID_REACH_SIDES = 2.5
# How ArUco reads a candidate's bits: OpenCV's defaults (4 px a cell, 13 % of each cell ignored) let the blur of
# a small marker's black border spill into its outer bits. Sampling 8 px a cell and ignoring 30 % of each cell's
# edge reads the centres of the cells only: on the whole "card small" group at full size, all four markers of 56
# photos of 64 instead of 39, and no stray id more.
PIXELS_PER_CELL = 8
IGNORED_CELL_MARGIN = 0.3
# On a crop, refineDetectedMarkers takes a square whose corners lie within this many marker sides of where the
# markers read put a missing one (OpenCV's default, 10 px, is a third of a marker there); the neighbouring patch
# lies 1.4 sides away. On crops around 48 cards a fourteenth to an eighth of the photo's width (markers of 9-19
# px), all four markers are read on 32 photos instead of 23.
RECOVER_DISTANCE_MARKERS = 0.6
SUBPIX_WINDOW_PX = 5
SUBPIX_CRITERIA = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.01)

Search = tuple[MarkerReading, bool]  # the best-read card's markers, and whether the photo was read mirrored


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


@dataclass(frozen=True, slots=True)
class _View:
    """A grey copy of part of the photo: ``image`` = photo[origin:...] scaled by ``scale``, and how to read it."""

    image: NDArray[np.uint8]
    scale: float
    origin: NDArray[np.float64]  # (2,) x, y of the part's top-left corner in the photo
    min_marker_px: float  # in the copy's pixels
    recover: bool = False  # look again for a card's markers not read where those read put them


def _detector(dictionary_name: str, view: _View) -> cv2.aruco.ArucoDetector:
    parameters = cv2.aruco.DetectorParameters()
    parameters.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_NONE  # refined on the full image below
    parameters.adaptiveThreshWinSizeMin = parameters.adaptiveThreshWinSizeMax = THRESHOLD_WINDOW
    # OpenCV's floor is a share of the image's long side (3 % by default: a marker on a card an eighth of the
    # photo's width is about 2 %); here it follows the smallest marker worth reading in this copy.
    parameters.minMarkerPerimeterRate = 4.0 * view.min_marker_px / max(view.image.shape)
    parameters.perspectiveRemovePixelPerCell = PIXELS_PER_CELL
    parameters.perspectiveRemoveIgnoredMarginPerCell = IGNORED_CELL_MARGIN
    # A marker expected at a place is taken from a candidate whose corners lie within this of where it is expected.
    refine = cv2.aruco.RefineParameters(minRepDistance=RECOVER_DISTANCE_MARKERS * CROP_MARKER_PX)
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, dictionary_name))
    return cv2.aruco.ArucoDetector(dictionary, parameters, refine)


def _photo_markers(
    view: _View, corners: Sequence[NDArray[Any]], ids: NDArray[Any] | None, *, mirrored: bool
) -> list[tuple[int, NDArray[np.float64]]]:
    """Markers found in ``view`` (searched as is or mirrored) as (id, corners (4, 2) in the photo's pixels)."""
    if ids is None:
        return []
    found = []
    width = view.image.shape[1]
    for marker_id, marker_corners in zip(ids.ravel().tolist(), corners, strict=True):
        points = marker_corners.reshape(4, 2).astype(np.float64)
        if mirrored:
            points[:, 0] = width - 1 - points[:, 0]
        found.append((int(marker_id), points / view.scale + view.origin))
    return found


def _board(
    layout: CardLayout, batch_number: int, dictionary: cv2.aruco.Dictionary, *, mirrored: bool
) -> cv2.aruco.Board:
    """The card's markers as an OpenCV board (mm), as seen in the photo searched as is or mirrored: the mirrored
    card's markers read the right way round, each with its corners in the mirrored card's own order."""
    width = layout.size_mm[0]
    corners = []
    for marker in layout.markers:
        points = marker.corners_mm()
        if mirrored:
            points = np.column_stack([width - points[:, 0], points[:, 1]])[[1, 0, 3, 2]]
        corners.append(np.column_stack([points, np.zeros(4)]).astype(np.float32))
    ids = np.array(printed_marker_ids(layout, batch_number), dtype=np.int32)
    return cv2.aruco.Board(corners, dictionary, ids)


def _readings(
    view: _View, dictionary_name: str, marker_layouts: list[CardLayout], *, mirrored: bool
) -> list[MarkerReading]:
    """What ``view`` shows of each layout of the dictionary, searched as is or mirrored. On a crop, a card's
    markers not read are looked for again where those read put them, among the squares whose bits did not
    decode, with OpenCV's more lenient reading of a marker whose id is expected there
    (``refineDetectedMarkers``)."""
    image = np.ascontiguousarray(view.image[:, ::-1]) if mirrored else view.image
    detector = _detector(dictionary_name, view)
    corners, ids, rejected = detect_markers(image, lambda part: _detector(dictionary_name, replace(view, image=part)))
    found = _photo_markers(view, corners, ids, mirrored=mirrored)
    readings = []
    for layout in (layout for layout in marker_layouts if layout.aruco_dictionary == dictionary_name):
        reading = read_markers(layout, found)
        if reading is not None and ids is not None and view.recover and len(reading.corners_px) < len(layout.markers):
            board = _board(layout, reading.batch_number, detector.getDictionary(), mirrored=mirrored)
            more, more_ids, _, _ = detector.refineDetectedMarkers(image, board, corners, ids, rejected)
            reading = read_markers(layout, _photo_markers(view, more, more_ids, mirrored=mirrored)) or reading
        if reading is not None:
            readings.append(reading)
    return readings


def _complete(best: Search | None) -> bool:
    return best is not None and len(best[0].corners_px) == len(best[0].layout.markers)


def _better(best: Search | None, other: Search | None) -> Search | None:
    """The search that read more of its card's markers (``other``, the later and closer look, on a tie)."""
    if other is None:
        return best
    if best is None or len(other[0].corners_px) >= len(best[0].corners_px):
        return other
    return best


def _search(view: _View, marker_layouts: list[CardLayout], orientations: tuple[bool, ...]) -> Search | None:
    """The markers of the best-read card in ``view`` and whether they were read mirrored. The second orientation is
    tried only when the first shows no card's every marker (a mirrored marker may read as another id, so finding
    some ids is no proof that the photo is not mirrored)."""
    best: Search | None = None
    dictionaries = sorted({layout.aruco_dictionary for layout in marker_layouts if layout.aruco_dictionary})
    for mirrored in orientations:
        for dictionary_name in dictionaries:
            for reading in _readings(view, dictionary_name, marker_layouts, mirrored=mirrored):
                if best is None or len(reading.corners_px) > len(best[0].corners_px):
                    best = (reading, mirrored)
        if _complete(best):
            break
    return best


def _grey(BGR: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(BGR), cv2.COLOR_BGR2GRAY), dtype=np.uint8)


def _whole_view(BGR: NDArray[np.uint8], long_side: int) -> _View:
    """The whole photo scaled to ``long_side`` (never enlarged), scaled first: only the copy is made grey."""
    scale = min(1.0, long_side / max(BGR.shape[:2]))
    small = BGR if scale == 1.0 else cv2.resize(BGR, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    return _View(_grey(np.asarray(small, dtype=np.uint8)), scale, np.zeros(2), MIN_SEARCH_MARKER_PX)


def _crop_view(BGR: NDArray[np.uint8], box: NDArray[np.float64], marker_px: float) -> _View | None:
    """``box`` (x0, y0, x1, y1 in the photo's pixels, clipped to it) scaled so that markers of ``marker_px`` span
    about ``CROP_MARKER_PX``; None when the box is empty."""
    height, width = BGR.shape[:2]
    x0, y0 = max(int(box[0]), 0), max(int(box[1]), 0)
    x1, y1 = min(int(np.ceil(box[2])) + 1, width), min(int(np.ceil(box[3])) + 1, height)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    scale = float(np.clip(CROP_MARKER_PX / max(marker_px, 1.0), 0.25, MAX_CROP_SCALE))
    crop = _grey(BGR[y0:y1, x0:x1])
    interpolation = cv2.INTER_LINEAR if scale > 1.0 else cv2.INTER_AREA
    image = np.asarray(cv2.resize(crop, None, fx=scale, fy=scale, interpolation=interpolation), dtype=np.uint8)
    origin = np.array([x0, y0], dtype=np.float64)
    return _View(image, scale, origin, CROP_MARKER_PX / 2, recover=True)


def _box_around(points: NDArray[np.float64], margin_px: float) -> NDArray[np.float64]:
    return np.concatenate([points.min(axis=0) - margin_px, points.max(axis=0) + margin_px])


def _card_box(reading: MarkerReading) -> tuple[NDArray[np.float64], float]:
    """Where the card of a partial reading lies (x0, y0, x1, y1 in pixels, with a margin) and its markers' side.

    An affine map from card millimetres, fitted to the corners read, places the card: a perspective map fitted to
    one or two small markers can fold far from them, and the margin covers what an affine map leaves out.
    """
    layout = reading.layout
    markers = {marker.id: marker for marker in layout.markers}
    card_mm = np.concatenate([markers[i].corners_mm() for i in sorted(reading.corners_px)])
    image_px = np.concatenate([reading.corners_px[i] for i in sorted(reading.corners_px)])
    design = np.column_stack([card_mm, np.ones(len(card_mm))])
    affine, *_ = np.linalg.lstsq(design, image_px, rcond=None)
    width, height = layout.size_mm
    outline = np.column_stack([np.array([[0, 0], [width, 0], [width, height], [0, height]]), np.ones(4)]) @ affine
    extent = float(np.max(np.ptp(outline, axis=0)))
    return _box_around(outline, CROP_MARGIN * extent), _marker_side(reading)


def _marker_side(reading: MarkerReading) -> float:
    """Mean side (pixels) of the markers read."""
    corners = reading.corners_px.values()
    return float(np.mean([np.linalg.norm(np.roll(c, -1, axis=0) - c, axis=1).mean() for c in corners]))


def _card_like_box(
    BGR: NDArray[np.uint8], marker_layouts: list[CardLayout]
) -> tuple[NDArray[np.float64], float] | None:
    """Where the largest grid of colour patches lies (as ``_card_box``) and the markers' expected side, or None."""
    grey = _grey(BGR)
    scale = min(1.0, GRID_SEARCH_LONG_SIDE / max(grey.shape))
    small = grey if scale == 1.0 else cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grids = find_patch_grids(np.asarray(small, dtype=np.uint8))
    if not grids or len(grids[0]) < MIN_CARD_LIKE_PATCHES:
        return None
    centres, side = grids[0].centres / scale, grids[0].side_px / scale
    # A marker's side relative to a patch's, from the layouts (tm-skin-v1: 6.4 mm markers, 8 mm patches).
    ratio = min(
        min(m.size_mm for m in layout.markers) / min(min(p.rect_mm[2:]) for p in layout.patches)
        for layout in marker_layouts
    )
    return _box_around(centres, GRID_REACH_SIDES * side), ratio * side


def find_card_markers(BGR: NDArray[np.uint8], marker_layouts: list[CardLayout]) -> Search | None:
    """The best-read card's markers in the photo and whether it is mirrored (see the module's docstring)."""
    best: Search | None = None
    for long_side in DETECTION_LONG_SIDES:
        view = _whole_view(BGR, long_side)
        best = _search(view, marker_layouts, (False, True))
        if best is not None or view.scale == 1.0:
            break
    if _complete(best):
        return best
    box = _card_box(best[0]) if best is not None else _card_like_box(BGR, marker_layouts)
    crop = _crop_view(BGR, *box) if box is not None else None
    if crop is not None:
        orientations = (best[1], not best[1]) if best is not None else (False, True)
        best = _better(best, _search(crop, marker_layouts, orientations))
    return best


def _refine(BGR: NDArray[np.uint8], corners: NDArray[np.float64], marker_px: float) -> NDArray[np.float64]:
    """Sub-pixel corner refinement on the full-resolution image (made grey around the corners only).

    The search window is at most a sixth of a marker's side (``marker_px``): on a small marker a larger one
    reaches the marker's inner cells, whose corners pull the outer one off by a pixel or two. Corners too close to
    the border to refine keep their detected place.
    """
    window = int(np.clip(round(marker_px / 6), 2, SUBPIX_WINDOW_PX))
    height, width = BGR.shape[:2]
    margin = 2 * window + 2
    inside = np.all((corners >= margin) & (corners <= np.array([width, height]) - margin - 1), axis=1)
    refined = corners.copy()
    if inside.any():
        # The grey crop reaches ``margin`` beyond the corners: every pixel cornerSubPix reads, at no border.
        x0, y0 = np.floor(corners[inside].min(axis=0)).astype(int) - margin
        x1, y1 = np.ceil(corners[inside].max(axis=0)).astype(int) + margin + 1
        origin = np.array([x0, y0], dtype=np.float64)
        points = (corners[inside] - origin).astype(np.float32).reshape(-1, 1, 2)
        result = cv2.cornerSubPix(_grey(BGR[y0:y1, x0:x1]), points, (window, window), (-1, -1), SUBPIX_CRITERIA)
        refined[inside] = result.reshape(-1, 2) + origin
    return refined


def locate_card(BGR: NDArray[np.uint8], layouts: list[CardLayout]) -> CardPose:
    """Find which of ``layouts`` is in the photo and its pose; ``RetakeNeeded`` when it cannot be trusted."""
    marker_layouts = [layout for layout in layouts if layout.aruco_dictionary is not None]
    height, width = BGR.shape[:2]
    best = find_card_markers(BGR, marker_layouts)
    if best is None:
        raise Retake.CARD_NOT_FOUND.error("No reference card was found in the photo.")
    reading, mirrored = best
    layout, found = reading.layout, reading.corners_px
    marker_px = _marker_side(reading)
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
