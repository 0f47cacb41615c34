"""Find grids of uniform square patches (a colour chart's chips) in a photo, whatever the chart's pose.

1. Candidates. Chips are even-toned convex quadrilaterals of similar size. Contours of several binarisations
   (a local threshold in both polarities, so chips lighter or darker than their frame both show, and the
   regions between Canny edges, which also finds a black chip on a black frame) are kept when they are
   four-sided and convex (``cv2.approxPolyDP``), or nearly fill their minimum-area rectangle. Unlike a test of
   squareness, this keeps chips seen at a slant, which become parallelograms and trapezoids.
2. Lattice. From a seed chip, the neighbours one pitch away along its own two edge directions are claimed
   breadth first; each claimed chip carries the local steps measured to its neighbours, so the walk follows
   the changing pitch of a chart in perspective. A homography from lattice cells to the image, fitted by
   RANSAC on what the walk claimed, then pulls in chips the walk could not reach (across a missing chip).
3. Every seed not already in a lattice starts one; lattices are returned largest first.

This follows the segmentation of colour-checker-detection (adaptive threshold, quadrilateral contours,
swatches clustered into a chart) and of OpenCV's mcc module (chip candidates grouped into a chart by their
arrangement), but places chips on a lattice by their neighbours instead of fitting one rectangle to them,
so a chart that is tilted, in perspective, touching the face or partly hidden is still read.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

MIN_AREA_PX = 40  # a chip smaller than about 6 × 6 px cannot be told from noise
# Outlines of one size (areas within a factor OUTLINE_SIZE_STEP) a mask may offer: real photos give 20-100 of all
# sizes a mask, a photo of small tiles 8,000 of one size, each a few hundred microseconds to test. Beyond this
# the rest of that size is not tested: a mosaic costs about what a chart does, and a chart's chips, of one size,
# are still tested beside clutter of other sizes, however much of it there is.
MAX_OUTLINES_PER_SIZE = 150
OUTLINE_SIZE_STEP = 1.5
MAX_AREA_SHARE = 1 / 30  # no chip covers more than this share of the photo
MIN_FILL = 0.85  # contour area over its convex hull (and over its minimum-area rectangle, when not a 4-gon)
MAX_SIDE_RATIO = 2.2  # longest over shortest side of a chip: a square seen at up to about 60° of slant
SIDE_TOLERANCE = 0.45  # a neighbour's side within ±45 % of the chip's own (perspective changes it gently)
REACH = 0.3  # a neighbour is claimed within this share of a step from where the lattice predicts it
MAX_PITCH_SIDES = 1.8  # a step between neighbouring chips is at most this many chip sides (chip plus gap)
MIN_LATTICE = 4  # chips in the smallest lattice worth returning
THRESHOLD_OFFSET = 3  # grey codes a chip must differ from its surroundings' mean to stand out
MAX_SEEDS = 60  # seeds tried, largest chips first: a chart's lattice is found from any of its chips


@dataclass(frozen=True, slots=True)
class Chip:
    centre: NDArray[np.float64]  # (2,) pixels
    side: float  # square root of the area, pixels
    axes: NDArray[np.float64]  # (2, 2) unit vectors along the chip's two pairs of edges


@dataclass(frozen=True)
class PatchGrid:
    """Chips on a lattice: ``cells`` (n, 2) are whole (column, row) steps from the first, ``centres`` (n, 2)
    their pixel positions; ``homography`` maps cells to pixels."""

    cells: NDArray[np.intp]
    centres: NDArray[np.float64]
    sides: NDArray[np.float64]
    homography: NDArray[np.float64]

    @property
    def extent(self) -> tuple[int, int]:
        span = self.cells.max(axis=0) - self.cells.min(axis=0) + 1
        return int(span[0]), int(span[1])

    @property
    def side_px(self) -> float:
        return float(np.median(self.sides))

    def __len__(self) -> int:
        return len(self.cells)


def _quad_chip(contour: NDArray[np.int32]) -> Chip | None:
    area = cv2.contourArea(contour)
    hull_area = cv2.contourArea(cv2.convexHull(contour))
    if hull_area <= 0 or area / hull_area < MIN_FILL:
        return None
    approx = cv2.approxPolyDP(contour, 0.06 * cv2.arcLength(contour, True), True).reshape(-1, 2)
    if len(approx) == 4 and cv2.isContourConvex(approx.reshape(-1, 1, 2)):
        corners = approx.astype(np.float64)
    else:
        rect = cv2.minAreaRect(contour)
        if rect[1][0] * rect[1][1] <= 0 or area / (rect[1][0] * rect[1][1]) < MIN_FILL:
            return None
        corners = cv2.boxPoints(rect).astype(np.float64)
    edges = np.roll(corners, -1, axis=0) - corners
    lengths = np.linalg.norm(edges, axis=1)
    if lengths.min() <= 0 or lengths.max() / lengths.min() > MAX_SIDE_RATIO:
        return None
    first = (edges[0] - edges[2]) / 2  # opposite edges run in opposite directions around the quad
    second = (edges[1] - edges[3]) / 2
    axes = np.array([first / np.linalg.norm(first), second / np.linalg.norm(second)])
    if abs(float(axes[0] @ axes[1])) > 0.75:  # corners closer than about 40°: not a square seen at a slant
        return None
    moments = cv2.moments(contour)
    if moments["m00"] <= 0:
        return None
    centre = np.array([moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]])
    return Chip(centre=centre, side=float(np.sqrt(area)), axes=axes)


def _outlines_to_test(contours: Sequence[Any], max_area: float) -> list[int]:
    """Indices of the outlines of chip area, at most ``MAX_OUTLINES_PER_SIZE`` of each size, in the mask's order."""
    areas = np.array([cv2.contourArea(contour) for contour in contours])
    sized = np.flatnonzero((areas >= MIN_AREA_PX) & (areas <= max_area))
    size_class = np.floor(np.log(areas[sized]) / np.log(OUTLINE_SIZE_STEP)).astype(int)
    taken: dict[int, int] = {}
    chosen = []
    for index, size in zip(sized.tolist(), size_class.tolist(), strict=True):
        if taken.get(size, 0) < MAX_OUTLINES_PER_SIZE:
            taken[size] = taken.get(size, 0) + 1
            chosen.append(index)
    return chosen


def chip_candidates(grey: NDArray[np.uint8]) -> list[Chip]:
    """Even-toned convex quadrilaterals of chip size in a grey image."""
    short = min(grey.shape)
    smooth = cv2.GaussianBlur(grey, (3, 3), 0)
    open_kernel = np.ones((3, 3), np.uint8)
    masks = []
    for block in {max(11, (short // 20) | 1), max(11, (short // 60) | 1)}:
        # Lighter, then darker, than the surroundings by more than the noise of a flat area (a few codes).
        for polarity, offset in ((cv2.THRESH_BINARY, -THRESHOLD_OFFSET), (cv2.THRESH_BINARY_INV, THRESHOLD_OFFSET)):
            mask = cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, polarity, block, offset)
            masks.append(cv2.morphologyEx(mask, cv2.MORPH_OPEN, open_kernel))  # specks of noise go
    edges = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 0), 20, 60)
    masks.append(cv2.bitwise_not(cv2.dilate(edges, open_kernel)))
    max_area = grey.size * MAX_AREA_SHARE
    chips: list[Chip] = []
    for mask in masks:
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        for index in _outlines_to_test(contours, max_area):
            chip = _quad_chip(np.asarray(contours[index], dtype=np.int32))
            if chip is not None:
                chips.append(chip)
    return _merge_duplicates(chips)


def _merge_duplicates(chips: list[Chip]) -> list[Chip]:
    """One chip per place: several masks find most chips; of those of about one size (a chart's outline is not
    its chip's duplicate) closer than half a side, keep the largest."""
    chips = sorted(chips, key=lambda chip: -chip.side)
    if not chips:
        return []
    tree = cKDTree(np.array([chip.centre for chip in chips]))
    taken = np.zeros(len(chips), dtype=bool)
    kept: list[Chip] = []
    for index, chip in enumerate(chips):
        if taken[index]:
            continue
        kept.append(chip)
        for other in tree.query_ball_point(chip.centre, 0.5 * chip.side):
            if chips[other].side > (1.0 - SIDE_TOLERANCE) * chip.side:
                taken[other] = True
    return kept


def _first_steps(chip: Chip, centres: NDArray[np.float64], tree: cKDTree) -> NDArray[np.float64] | None:
    """The steps (2, 2) from ``chip`` to its nearest neighbours along each of its axes, or None."""
    steps = []
    for axis in chip.axes:
        best: NDArray[np.float64] | None = None
        for other in tree.query_ball_point(chip.centre, 3.0 * chip.side):
            offset = centres[other] - chip.centre
            distance = float(np.linalg.norm(offset))
            if distance < 0.8 * chip.side or abs(float(offset @ axis)) < 0.9 * distance:
                continue
            if best is None or distance < np.linalg.norm(best):
                best = offset if float(offset @ axis) > 0 else -offset
        if best is None or np.linalg.norm(best) > MAX_PITCH_SIDES * chip.side:
            return None
        steps.append(best)
    return np.array(steps)


def _walk(
    seed: int, chips: list[Chip], centres: NDArray[np.float64], tree: cKDTree, free: NDArray[np.bool_]
) -> dict[tuple[int, int], int]:
    """Cells claimed by a breadth-first walk from ``seed`` over chips still ``free``: cell → chip index."""
    first = _first_steps(chips[seed], centres, tree)
    if first is None:
        return {}
    cells = {(0, 0): seed}
    claimed = {seed: (0, 0)}
    local_steps = {seed: first}
    queue = deque([seed])
    while queue:
        index = queue.popleft()
        column, row = claimed[index]
        steps = local_steps[index]
        for axis, sign in ((0, 1), (0, -1), (1, 1), (1, -1)):
            cell = (column + sign, row) if axis == 0 else (column, row + sign)
            if cell in cells:
                continue
            predicted = centres[index] + sign * steps[axis]
            distance, other = tree.query(predicted)
            if distance > REACH * float(np.linalg.norm(steps[axis])) or other in claimed or not free[other]:
                continue
            if abs(chips[other].side / chips[index].side - 1.0) > SIDE_TOLERANCE:
                continue
            cells[cell] = other
            claimed[other] = cell
            measured = (centres[other] - centres[index]) * sign
            local_steps[other] = np.array([measured, steps[1]]) if axis == 0 else np.array([steps[0], measured])
            queue.append(other)
    return cells


def _extend(
    cells: dict[tuple[int, int], int], chips: list[Chip], centres: NDArray[np.float64], free: NDArray[np.bool_]
) -> tuple[dict[tuple[int, int], int], NDArray[np.float64] | None]:
    """Chips the walk could not reach, pulled in by a homography from cells to pixels (RANSAC)."""
    homography = None
    for _ in range(2):
        if len(cells) < 6:
            break
        source = np.array(list(cells), dtype=np.float64)
        target = centres[list(cells.values())]
        pitch = float(np.median([chips[i].side for i in cells.values()]))
        found, _ = cv2.findHomography(source, target, cv2.RANSAC, 0.25 * pitch)
        if found is None:
            break
        homography = np.asarray(found, dtype=np.float64)
        inverse = np.linalg.inv(homography)
        taken = set(cells.values())
        candidates = [i for i in range(len(chips)) if free[i] and i not in taken]
        if not candidates:
            break
        mapped = cv2.perspectiveTransform(centres[candidates].reshape(-1, 1, 2), inverse).reshape(-1, 2)
        low = np.array(source.min(axis=0)) - 1
        high = np.array(source.max(axis=0)) + 1
        for index, point in zip(candidates, mapped, strict=True):
            cell_array = np.round(point)
            if np.any(cell_array < low) or np.any(cell_array > high):
                continue
            if np.linalg.norm(point - cell_array) > REACH:
                continue
            cell = (int(cell_array[0]), int(cell_array[1]))
            if cell not in cells and abs(chips[index].side / pitch - 1.0) <= SIDE_TOLERANCE:
                cells[cell] = index
    return cells, homography


def _consistent(
    cells: dict[tuple[int, int], int], chips: list[Chip], centres: NDArray[np.float64]
) -> dict[tuple[int, int], int]:
    """The cells whose chips sit where one homography of the lattice puts them (RANSAC inliers): a stray square
    the walk took for a chip would bend the chart's pose."""
    if len(cells) < 6:
        return cells
    source = np.array(list(cells), dtype=np.float64)
    target = centres[list(cells.values())]
    pitch = float(np.median([chips[i].side for i in cells.values()]))
    found, inliers = cv2.findHomography(source, target, cv2.RANSAC, 0.2 * pitch)
    if found is None or inliers is None:
        return cells
    keep = inliers.ravel().astype(bool)
    return {cell: index for (cell, index), kept in zip(cells.items(), keep, strict=True) if kept}


def _fit(cells: NDArray[np.intp], centres: NDArray[np.float64]) -> NDArray[np.float64] | None:
    found, _ = cv2.findHomography(cells.astype(np.float64), centres, 0)
    return None if found is None else np.asarray(found, dtype=np.float64)


def _left_handed(homography: NDArray[np.float64], cells: NDArray[np.intp]) -> bool:
    """True when the column and row steps, seen in the photo (x right, y down), turn the wrong way."""
    centre = cells.mean(axis=0)
    points = (centre + np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(points, homography).reshape(-1, 2)
    column, row = mapped[1] - mapped[0], mapped[2] - mapped[0]
    return bool(column[0] * row[1] - column[1] * row[0] < 0)


def find_patch_grids(grey: NDArray[np.uint8]) -> list[PatchGrid]:
    """Lattices of chips in a grey image, largest first (each chip in at most one).

    Each round walks from every free seed and keeps the largest lattice: a seed on a stray square, or one
    whose first step skips a chip, would otherwise claim chips of the real lattice on a wrong pitch.
    """
    chips = chip_candidates(grey)
    if len(chips) < MIN_LATTICE:
        return []
    centres = np.array([chip.centre for chip in chips])
    tree = cKDTree(centres)
    free = np.ones(len(chips), dtype=bool)
    grids: list[PatchGrid] = []
    while True:
        best: dict[tuple[int, int], int] = {}
        for seed in np.flatnonzero(free)[:MAX_SEEDS]:
            cells = _walk(int(seed), chips, centres, tree, free)
            if len(cells) > len(best):
                best = cells
        if len(best) < MIN_LATTICE:
            return sorted(grids, key=len, reverse=True)
        cells, _ = _extend(best, chips, centres, free)
        cells = _consistent(cells, chips, centres)
        free[list(best.values())] = False  # a lattice that falls apart does not come back
        if len(cells) < MIN_LATTICE:
            continue
        indices = list(cells.values())
        free[indices] = False
        lattice = np.array(list(cells), dtype=np.intp)
        lattice -= lattice.min(axis=0)
        homography = _fit(lattice, centres[indices])
        if homography is None:
            continue
        if _left_handed(homography, lattice):  # the walk's axes may form a mirror image of the photo's
            lattice[:, 1] = lattice[:, 1].max() - lattice[:, 1]
            homography = _fit(lattice, centres[indices])
            if homography is None:
                continue
        grids.append(
            PatchGrid(
                cells=lattice,
                centres=centres[indices],
                sides=np.array([chips[i].side for i in indices]),
                homography=homography,
            )
        )
