"""Find a ColorChecker Classic 24 without markers: its chips, their grid, and its orientation.

1. Chips are uniform squares on a dark frame: an adaptive threshold and contour search on a scaled grey
   copy give square candidates of similar size.
2. In the chips' own rotated frame (the minimum-area rectangle of their centres), centres fall on a grid
   whose pitch is the typical distance between neighbours; each chip gets a row and a column.
3. The grid reads the chart in one of eight ways (four rotations, each possibly mirrored). The right one
   makes the neutral row a grey ramp from white to black: low chroma, falling luminance.
4. The homography from the layout's patch centres (mm) to the chips' centres (pixels) is the card's pose.
"""

from __future__ import annotations

from itertools import product

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from color.card import CardLayout, PatchKind
from color.colorimetry import LUMA_WEIGHTS
from color.detect import CardPose, pose_from_homography
from color.quality import Retake, check_pose
from color.sampling import sRGB_decoding_LUT

DETECTION_LONG_SIDE = 1024
GRID = (6, 4)  # columns, rows as printed
MIN_CHIPS = 12  # half the chart: enough to place the grid and test every orientation
SQUARENESS = 0.8  # contour area over its minimum-area rectangle
MAX_ASPECT = 1.4
SIZE_TOLERANCE = 0.35  # chips within ±35 % of the median chip side


def _chip_candidates(grey: NDArray[np.uint8]) -> tuple[NDArray[np.float64], float]:
    """Centres of square, similar-sized uniform regions, and their median side (pixels)."""
    block = max(11, (min(grey.shape) // 20) | 1)
    binary = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, -2)
    edges = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 0), 20, 60)
    regions = cv2.bitwise_not(cv2.dilate(edges, np.ones((3, 3), np.uint8)))
    centres, sides = [], []
    for mask in (binary, regions):
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            area = cv2.contourArea(contour)
            if area < 64 or area > grey.size / 20:
                continue
            (cx, cy), (w, h), _ = cv2.minAreaRect(contour)
            if min(w, h) <= 0 or max(w, h) / min(w, h) > MAX_ASPECT or area / (w * h) < SQUARENESS:
                continue
            centres.append((cx, cy))
            sides.append(np.sqrt(area))
    if not centres:
        return np.zeros((0, 2)), 0.0
    centres_array, sides_array = np.array(centres), np.array(sides)
    median = float(np.median(sides_array))
    keep = np.abs(sides_array / median - 1.0) <= SIZE_TOLERANCE
    centres_array = centres_array[keep]
    # The two masks find many chips twice: merge centres closer than half a chip.
    merged: list[NDArray[np.float64]] = []
    for centre in centres_array:
        if all(np.linalg.norm(centre - other) > median / 2 for other in merged):
            merged.append(centre)
    return np.array(merged), median


def largest_cluster(centres: NDArray[np.float64], reach: float) -> NDArray[np.float64]:
    """The largest group of centres linked by steps shorter than ``reach`` (drops stray squares)."""
    linked = np.linalg.norm(centres[:, None] - centres[None], axis=2) < reach
    _, labels = connected_components(csr_matrix(linked), directed=False)
    kept: NDArray[np.float64] = centres[labels == np.bincount(labels).argmax()]
    return kept


def _grid_indices(centres: NDArray[np.float64], side: float) -> tuple[NDArray[np.intp], tuple[int, int]] | None:
    """(column, row) of each centre in the chips' own frame, and the grid's extent, or None if not a grid."""
    distances = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    nearest = np.argmin(distances, axis=1)
    steps = centres[nearest] - centres
    pitch = float(np.median(np.linalg.norm(steps, axis=1)))
    if not side * 0.9 < pitch < side * 2.5:
        return None
    # Grid direction: the circular mean of the neighbour steps' angles taken modulo 90°.
    angles = np.arctan2(steps[:, 1], steps[:, 0]) * 4.0
    theta = float(np.arctan2(np.sin(angles).mean(), np.cos(angles).mean()) / 4.0)
    rotation = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    aligned = centres @ rotation.T
    indices = np.round((aligned - aligned.min(axis=0)) / pitch).astype(np.intp)
    extent = (int(indices[:, 0].max()) + 1, int(indices[:, 1].max()) + 1)
    if sorted(extent) != sorted(GRID) or len({tuple(i) for i in indices}) != len(indices):
        return None
    return indices, extent


def _orientations(extent: tuple[int, int]) -> list[tuple[bool, int, bool]]:
    """(transpose, half turns, mirror) readings that map the detected grid onto the 6 × 4 layout.

    With the transpose for a grid seen 4 × 6, these are the four symmetries of the rectangle that keep
    its shape: two rotations and two reflections.
    """
    transposed = extent != GRID
    return [(transposed, turns, mirror) for turns, mirror in product((0, 2), (False, True))]


def _layout_index(cell: NDArray[np.intp], extent: tuple[int, int], reading: tuple[bool, int, bool]) -> int:
    transposed, turns, mirror = reading
    column, row = (int(cell[1]), int(cell[0])) if transposed else (int(cell[0]), int(cell[1]))
    columns, rows = GRID
    if turns == 2:
        column, row = columns - 1 - column, rows - 1 - row
    if mirror:
        column = columns - 1 - column
    return row * columns + column


def _neutral_ramp_score(layout: CardLayout, colours: NDArray[np.float64], assigned: dict[int, int]) -> float:
    """How well the assigned neutrals form a grey ramp: chroma, plus penalties for any luminance inversion."""
    neutral = [i for i in layout.patch_index(PatchKind.NEUTRAL).tolist() if i in assigned]
    if len(neutral) < 4:
        return np.inf
    values = colours[[assigned[i] for i in neutral]]
    luminance = values @ LUMA_WEIGHTS
    chroma = np.abs(values - luminance[:, None]).sum(axis=1) / np.maximum(luminance, 1e-3)
    inversions = np.sum(np.diff(luminance) > 0)
    return float(np.mean(chroma) + inversions)


def locate_colorchecker(BGR: NDArray[np.uint8], layout: CardLayout) -> CardPose:
    """Pose of a ColorChecker Classic 24 in the photo; ``RetakeNeeded("card_not_found")`` when there is none."""
    height, width = BGR.shape[:2]
    scale = min(1.0, DETECTION_LONG_SIDE / max(height, width))
    small = cv2.resize(BGR, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else BGR
    grey = np.asarray(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    centres, side = _chip_candidates(grey)
    if len(centres) >= MIN_CHIPS:
        centres = largest_cluster(centres, reach=2.2 * side)
    grid = _grid_indices(centres, side) if len(centres) >= MIN_CHIPS else None
    if grid is None:
        raise Retake.CHART_NOT_FOUND.error("No colour chart was found in the photo.")
    indices, extent = grid
    lut = sRGB_decoding_LUT()
    pixels = np.clip(np.round(centres).astype(int), 0, [small.shape[1] - 1, small.shape[0] - 1])
    colours = lut[small[pixels[:, 1], pixels[:, 0], ::-1]]
    best: tuple[float, tuple[bool, int, bool]] | None = None
    for reading in _orientations(extent):
        assigned = {_layout_index(cell, extent, reading): k for k, cell in enumerate(indices)}
        score = _neutral_ramp_score(layout, colours, assigned)
        if best is None or score < best[0]:
            best = (score, reading)
    if best is None or not np.isfinite(best[0]):
        raise Retake.CHART_NOT_FOUND.error("The colour chart's grey row is not visible.")
    reading = best[1]
    layout_points, image_points = [], []
    for k, cell in enumerate(indices):
        patch = layout.patches[_layout_index(cell, extent, reading)]
        layout_points.append(patch.centre_mm)
        image_points.append(centres[k] / scale)
    homography, _ = cv2.findHomography(np.array(layout_points), np.array(image_points), 0)
    if homography is None:
        raise Retake.CHART_NOT_FOUND.error("The colour chart's chips do not form a flat chart.")
    pose = pose_from_homography(
        layout,
        np.asarray(homography, dtype=np.float64),
        np.array(layout_points),
        np.array(image_points),
        markers_found=(),
        mirrored=reading[0] != reading[2],  # a transpose is itself a reflection
    )
    return check_pose(pose, (width, height))
