"""The face diagram of a report: a face drawn with matplotlib patches (never the photo), each measured region
filled with its display colour and labelled with its values."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.patches import Arc, Ellipse, FancyBboxPatch, Patch, PathPatch
from matplotlib.path import Path

from api.reports.data import RegionValues

OUTLINE = "#5b5b5b"
FACE_FILL = "#f4f1ee"  # a neutral paper tone: the face is a diagram, not a skin colour
# Region: (centre x, centre y, width, height) in the diagram's units (the face is 2.0 wide, 2.7 tall, at 0, 0);
# "left" is the photo's left, as the server names regions, so the left cheek is drawn on the reader's left.
REGION_SHAPES = {
    "forehead": (0.0, 0.83, 1.05, 0.36),
    "left_cheek": (-0.52, -0.22, 0.5, 0.46),
    "right_cheek": (0.52, -0.22, 0.5, 0.46),
    "chin": (0.0, -1.05, 0.52, 0.26),
}
# Where each region's label goes (x, y of its anchor, horizontal alignment): beside the face, never over it.
LABEL_PLACES = {
    "forehead": (1.45, 1.6, "left"),
    "right_cheek": (1.45, 0.0, "left"),
    "left_cheek": (-1.45, 0.85, "right"),
    "chin": (-1.45, -0.75, "right"),
}
X_LIMITS = (-4.2, 4.2)
Y_LIMITS = (-2.2, 1.9)


def _face_outline(ax: Axes) -> None:
    """Head, ears, hair line, eyes, brows, nose and mouth, in thin grey lines."""
    for side in (-1, 1):
        ax.add_patch(Ellipse((side * 1.02, 0.05), 0.22, 0.5, facecolor=FACE_FILL, edgecolor=OUTLINE, linewidth=1.0))
    ax.add_patch(Ellipse((0, 0), 2.0, 2.7, facecolor=FACE_FILL, edgecolor=OUTLINE, linewidth=1.2))
    ax.add_patch(
        Arc((0, 0.95), 1.9, 0.9, theta1=20, theta2=160, edgecolor=OUTLINE, linewidth=1.0, fill=False)
    )  # hair line
    for side in (-1, 1):
        ax.add_patch(Ellipse((side * 0.4, 0.32), 0.3, 0.13, edgecolor=OUTLINE, linewidth=1.0, fill=False))
        ax.add_patch(
            Arc((side * 0.4, 0.42), 0.42, 0.2, theta1=25, theta2=155, edgecolor=OUTLINE, linewidth=1.0, fill=False)
        )
    nose = Path([(0.0, 0.3), (-0.1, -0.15), (-0.12, -0.3), (0.0, -0.35), (0.12, -0.3)],
                [Path.MOVETO, Path.CURVE3, Path.CURVE3, Path.CURVE3, Path.CURVE3])  # fmt: skip
    ax.add_patch(PathPatch(nose, edgecolor=OUTLINE, linewidth=1.0, fill=False))
    ax.add_patch(Arc((0, -0.58), 0.55, 0.22, theta1=200, theta2=340, edgecolor=OUTLINE, linewidth=1.0, fill=False))


def _region_patch(ax: Axes, region: RegionValues, shape: tuple[float, float, float, float]) -> None:
    x, y, width, height = shape
    patch: Patch
    if region.name == "forehead":
        box = "round,pad=0,rounding_size=0.15"
        patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle=box)
    else:
        patch = Ellipse((x, y), width, height)
    patch.set_facecolor(region.sRGB)
    patch.set_edgecolor("#222222")
    patch.set_linewidth(0.8)
    ax.add_patch(patch)


def _label(ax: Axes, region: RegionValues, shape: tuple[float, float, float, float]) -> None:
    label_x, label_y, align = LABEL_PLACES[region.name]
    x, y, width, _ = shape
    edge_x = x + (width / 2 if align == "left" else -width / 2) * 0.9
    lines = region.lines()
    ax.annotate(
        "\n".join(lines[1:]),
        xy=(edge_x, y),
        xytext=(label_x, label_y),
        ha=align,
        va="top",
        fontsize=7,
        linespacing=1.35,
        arrowprops={"arrowstyle": "-", "color": "#888888", "linewidth": 0.7, "shrinkA": 0, "shrinkB": 2},
    )
    ax.text(label_x, label_y + 0.02, lines[0], ha=align, va="bottom", fontsize=8, fontweight="bold")


def draw_face(ax: Axes, regions: Sequence[RegionValues]) -> None:
    """The face with ``regions`` (the known ones drawn in place, any others listed below); a plain note when there
    are none (instrument readings)."""
    ax.set_xlim(*X_LIMITS)
    ax.set_ylim(*Y_LIMITS)
    ax.set_aspect("equal")
    ax.axis("off")
    _face_outline(ax)
    placed = [r for r in regions if r.name in REGION_SHAPES]
    for region in placed:
        _region_patch(ax, region, REGION_SHAPES[region.name])
        _label(ax, region, REGION_SHAPES[region.name])
    others = [r for r in regions if r.name not in REGION_SHAPES]
    if others:
        listed = "; ".join(f"{r.label}: " + ", ".join(r.lines()[1:3]) for r in others)
        ax.text(0, Y_LIMITS[0] + 0.02, "Other regions: " + listed, ha="center", va="bottom", fontsize=6.5, wrap=True)
    if not regions:
        ax.text(0, 0, "No regions:\ninstrument readings\nmeasure one spot", ha="center", va="center", fontsize=8,
                color="#555555")  # fmt: skip
