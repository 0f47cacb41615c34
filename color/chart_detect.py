"""Find a ColorChecker Classic 24 without markers: its chips, their grid, and its orientation.

1. Chips and their lattice come from ``color.patch_grid``: chips seen at a slant or in perspective, a chart
   touching the face or with chips hidden are all placed on whole (column, row) cells.
2. A lattice that fits in the chart's 6 × 4 grid is placed on it in every way it can be (four rotations
   and reflections, and every offset when part of the chart is hidden). The right placement makes the
   neutral row a grey ramp from white to black: low chroma, falling luminance.
3. The homography from the layout's patch centres (mm) to the chips' centres (pixels) is the card's pose.
   A chart whose chips are mostly hidden or outside the photo is ``card_partly_hidden``.
"""

from __future__ import annotations

from itertools import product

import cv2
import numpy as np
from numpy.typing import NDArray

from color.card import CardLayout, PatchKind
from color.colorimetry import LUMA_WEIGHTS
from color.detect import CardPose, pose_from_homography
from color.patch_grid import PatchGrid, find_patch_grids
from color.quality import Retake, check_pose
from color.sampling import sRGB_decoding_LUT

DETECTION_LONG_SIDE = 1600  # a chart an eighth of a 12 MP photo's width keeps 20 px chips at this size
MAX_UPSCALE = 2.0  # a small photo is enlarged for the search: contours of 15-20 px chips come out whole
GRID = (6, 4)  # columns, rows as printed
MIN_CHIPS = 12  # half the chart: enough to place the grid and test every orientation
MIN_VISIBLE_CHIPS = 20  # fewer chips than this found on a placed chart: part of it is covered
WHOLE_CHIP_TOLERANCE = 0.15  # a chip's side within ±15 % of the chart's median: its whole contour was found
Placement = tuple[bool, int, bool, int, int]  # transpose, half turns, mirror, column offset, row offset


def _placements(extent: tuple[int, int]) -> list[Placement]:
    """(transpose, half turns, mirror, column offset, row offset) that put a lattice of ``extent`` on the chart.

    With the transpose for a lattice seen 4 × 6, turns and mirror are the four symmetries of the rectangle that
    keep its shape; the offsets place a lattice smaller than the chart (part of it hidden) at every position.
    """
    placements = []
    columns, rows = GRID
    for transposed in (False, True):
        width, height = (extent[1], extent[0]) if transposed else extent
        if width > columns or height > rows:
            continue
        for dx, dy in product(range(columns - width + 1), range(rows - height + 1)):
            placements += [(transposed, turns, mirror, dx, dy) for turns, mirror in product((0, 2), (False, True))]
    return placements


def _layout_index(cell: NDArray[np.intp], placement: Placement) -> int:
    transposed, turns, mirror, dx, dy = placement
    column, row = (int(cell[1]), int(cell[0])) if transposed else (int(cell[0]), int(cell[1]))
    column, row = column + dx, row + dy
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


def _place(grid: PatchGrid, layout: CardLayout, colours: NDArray[np.float64]) -> tuple[float, Placement]:
    """The placement of ``grid`` on the chart whose neutral row is most like a grey ramp, and its score."""
    best: tuple[float, Placement] = (np.inf, (False, 0, False, 0, 0))
    for placement in _placements(grid.extent):
        assigned = {_layout_index(cell, placement): k for k, cell in enumerate(grid.cells)}
        score = _neutral_ramp_score(layout, colours, assigned)
        if score < best[0]:
            best = (score, placement)
    return best


def locate_colorchecker(BGR: NDArray[np.uint8], layout: CardLayout) -> CardPose:
    """Pose of a ColorChecker Classic 24 in the photo; ``RetakeNeeded("card_not_found")`` when there is none."""
    height, width = BGR.shape[:2]
    scale = min(MAX_UPSCALE, DETECTION_LONG_SIDE / max(height, width))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(BGR, None, fx=scale, fy=scale, interpolation=interpolation) if scale != 1 else BGR
    grey = np.asarray(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    lut = sRGB_decoding_LUT()
    chosen: tuple[float, PatchGrid, Placement] | None = None
    for grid in find_patch_grids(grey):
        if len(grid) < MIN_CHIPS:
            break
        pixels = np.clip(np.round(grid.centres).astype(int), 0, [small.shape[1] - 1, small.shape[0] - 1])
        colours = lut[small[pixels[:, 1], pixels[:, 0], ::-1]]
        score, placement = _place(grid, layout, colours)
        if np.isfinite(score) and (chosen is None or score < chosen[0]):
            chosen = (score, grid, placement)
    if chosen is None:
        raise Retake.CHART_NOT_FOUND.error("No colour chart was found in the photo.")
    _, grid, placement = chosen
    # Chips whose contour was only partly found (a dark chip's edge lost in its frame) have a smaller side and
    # an off-centre centroid: they count as visible, but only whole chips place the chart.
    whole = np.abs(grid.sides / grid.side_px - 1.0) <= WHOLE_CHIP_TOLERANCE
    cells = grid.cells[whole]
    layout_points = np.array([layout.patches[_layout_index(cell, placement)].centre_mm for cell in cells])
    image_points = grid.centres[whole] / scale
    homography, _ = cv2.findHomography(layout_points, image_points, 0)
    if homography is None:
        raise Retake.CHART_NOT_FOUND.error("The colour chart's chips do not form a flat chart.")
    pose = pose_from_homography(
        layout,
        np.asarray(homography, dtype=np.float64),
        layout_points,
        image_points,
        markers_found=(),
        mirrored=placement[0] != placement[2],  # a transpose is itself a reflection
    )
    pose = check_pose(pose, (width, height))
    if len(grid) < MIN_VISIBLE_CHIPS:
        raise Retake.CHART_CHIPS_HIDDEN.error(f"Only {len(grid)} of the chart's 24 chips are visible.")
    return pose
