"""OpenCV's ArUco search on one grey image, with its cost bounded however crowded the image is.

OpenCV compares a search's marker candidates pairwise, so its time grows with the square of their number: a photo
of 24 px tiles held 15,000 candidates and took 8-13 s a search (3,500: 0.6 s). An image is searched whole when
the density of candidates, read in four windows of a sixteenth of it, promises at most ``MAX_MARKER_CANDIDATES``
(real photos: 1-60 on a whole 1,024-2,048 px copy); otherwise in overlapping tiles of about
``TILE_CANDIDATES`` each, whose markers are put back in the image's pixels, one of each id and place kept.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

MAX_MARKER_CANDIDATES = 3000
TILE_CANDIDATES = 1500
# A tile reaches this far into its neighbours, so that every marker lies whole in some tile: a marker is a
# fourteenth of the own card's width, so on the first, 1,024 px copy at most about 75 px (a card as wide as the
# photo), 140 px across its diagonal; larger markers are read on that copy before a larger one is searched.
TILE_OVERLAP_PX = 144

Detection = tuple[Sequence[NDArray[Any]], NDArray[Any] | None, Sequence[NDArray[Any]]]  # corners, ids, rejected
DetectorFor = Callable[[NDArray[np.uint8]], cv2.aruco.ArucoDetector]  # a detector set up for the image it reads


def estimated_candidates(image: NDArray[np.uint8], detector_for: DetectorFor) -> int:
    """Marker candidates in ``image``, estimated from four windows of a sixteenth of it, at its quarters' centres."""
    height, width = image.shape[:2]
    found = 0
    for y, x in itertools.product((height // 8, 5 * height // 8), (width // 8, 5 * width // 8)):
        window = np.ascontiguousarray(image[y : y + height // 4, x : x + width // 4])
        corners, _, rejected = detector_for(window).detectMarkers(window)
        found += len(corners) + len(rejected)
    return 4 * found


def _shifted(points: Sequence[NDArray[Any]], x: int, y: int) -> list[NDArray[Any]]:
    return [np.asarray(p, dtype=np.float32) + np.array([x, y], dtype=np.float32) for p in points]


def _tiles(height: int, width: int, count: int) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of about ``count`` tiles over the image, each widened by the overlap on every side."""
    columns = max(1, round(math.sqrt(count * width / height)))
    rows = max(1, math.ceil(count / columns))
    overlap = TILE_OVERLAP_PX
    tiles = []
    for row, column in itertools.product(range(rows), range(columns)):
        y0, y1 = row * height // rows, (row + 1) * height // rows
        x0, x1 = column * width // columns, (column + 1) * width // columns
        tiles.append((max(0, x0 - overlap), max(0, y0 - overlap), min(width, x1 + overlap), min(height, y1 + overlap)))
    return tiles


def detect_markers(image: NDArray[np.uint8], detector_for: DetectorFor) -> Detection:
    """``detectMarkers`` on ``image``: whole, or in tiles when it is crowded (see the module's docstring)."""
    estimate = estimated_candidates(image, detector_for)
    if estimate <= MAX_MARKER_CANDIDATES:
        corners, ids, rejected = detector_for(image).detectMarkers(image)
        return corners, ids, rejected
    all_corners: list[NDArray[Any]] = []
    all_ids: list[int] = []
    all_rejected: list[NDArray[Any]] = []
    height, width = image.shape[:2]
    for x0, y0, x1, y1 in _tiles(height, width, math.ceil(estimate / TILE_CANDIDATES)):
        tile = np.ascontiguousarray(image[y0:y1, x0:x1])
        corners, ids, rejected = detector_for(tile).detectMarkers(tile)
        all_rejected += _shifted(rejected, x0, y0)
        for marker_id, points in zip(
            [] if ids is None else ids.ravel().tolist(), _shifted(corners, x0, y0), strict=True
        ):
            centre, side = points.reshape(4, 2).mean(axis=0), float(np.ptp(points.reshape(4, 2)[:, 0]))
            if not any(  # the same marker read again in the overlap of two tiles
                marker_id == other_id and np.linalg.norm(other.reshape(4, 2).mean(axis=0) - centre) < side / 2
                for other_id, other in zip(all_ids, all_corners, strict=True)
            ):
                all_corners.append(points)
                all_ids.append(int(marker_id))
    ids_array = np.array(all_ids, dtype=np.int32).reshape(-1, 1) if all_ids else None
    return tuple(all_corners), ids_array, tuple(all_rejected)
