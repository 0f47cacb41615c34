"""Design of the tonematch reference card ``tm-skin-v1``; run ``python -m color.card_design`` to rewrite its data.

The card is ID-1 (credit card) size. A 9 × 5 grid of 8 mm cells holds four ArUco markers in its corner
cells (their ids also tell the print batch: ``color.card_identity``) and 41 patches: 8 neutrals spread
across the card (white balance, tone curve, light fall-off), 7 chromatic anchors, and 26 skin-like patches
spanning human skin from L* 18 to 84 at cool, neutral and warm hue angles. A correction fitted where skin
lives is more accurate there.

Every skin and neutral patch is a mixture a printer can really lay down: titanium dioxide and iron oxides
(the pigments of foundation itself) in an opaque film, modelled with Kubelka-Munk and Saunderson
(``color.kubelka_munk``, ``color.pigments``); its spectrum is that of the mixture, never a copy of a skin
spectrum. The chromatic anchors are the BabelColor average spectra of the ColorChecker's pigment patches.
The nominal batch written here is what the design predicts (print batch number 0: markers 0-3); each real
print batch is measured with a 45:0 spectrophotometer and added under ``batches/`` with its own id and the
next free ``batch_number``, which its cards' markers carry. The card id and batch are printed under the
patches, between the bottom markers (``label_box_mm``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import colour
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from color.colorimetry import WAVELENGTHS_NM, XYZ_to_Lab_D65
from color.kubelka_munk import mixture_KS, reflectance_infinite, saunderson_to_measured
from color.pigments import PIGMENT_NAMES, demo_pigment_KS
from color.spectral import reflectance_to_XYZ

CARD_ID = "tm-skin-v1"
CARD_SIZE_MM = (85.6, 54.0)  # ISO/IEC 7810 ID-1
CELL_MM = 8.0
GAP_MM = 1.0
GRID = (9, 5)  # columns, rows
MARKER_SIZE_MM = 6.4  # 6 modules of 1.07 mm (4 × 4 bits and a border), a 0.8 mm quiet zone in its cell
# DICT_4X4_250 begins with DICT_4X4_50's markers and has room for print batches 0-61 (why not a larger one:
# color.card_identity).
ARUCO_DICTIONARY = "DICT_4X4_250"
MARKER_IDS = (0, 1, 2, 3)  # top-left, top-right, bottom-right, bottom-left, as printed on print batch 0
BATCH_ID_STEP = 4  # print batch n carries ids 4n to 4n + 3
LABEL_GAP_MM = 0.6  # from the patches above to the printed card id and batch
LABEL_HEIGHT_MM = 2.4  # leaves 2 mm to the card's edge, inside the trim tolerance

# Where each kind of patch sits: M marker, N neutral, C chromatic, S skin. Neutrals are spread so that a
# light gradient across the card shows.
GRID_MAP = (
    "M N S S C S S N M",
    "C S S S N S S S C",
    "N S S S C S S S N",
    "C S S S N S S S C",
    "M N S S C S S N M",
)
NEUTRAL_L = (93.0, 82.0, 70.0, 58.0, 46.0, 34.0, 24.0, 14.0)
CHROMATIC = ("red", "green", "blue", "yellow", "magenta", "cyan", "orange")
SKIN_L = (22.0, 30.0, 38.0, 46.0, 54.0, 62.0, 70.0, 78.0)
SKIN_HUES_DEG = (48.0, 58.0, 68.0)  # cool, neutral, warm
SKIN_EXTRA_LCH = ((18.0, 7.0, 55.0), (84.0, 14.0, 62.0))  # very dark and very light


def skin_chroma(L: float) -> float:
    """Typical skin chroma C*ab at lightness L*: low for very dark and very light skin, about 21 in between."""
    return float(np.interp(L, [18, 30, 46, 62, 84], [7.0, 15.0, 21.0, 20.0, 14.0]))


def _mixture_reflectance(concentrations: NDArray[np.float64]) -> NDArray[np.float64]:
    K_unit, S_unit = demo_pigment_KS(WAVELENGTHS_NM)
    K, S = mixture_KS(concentrations, K_unit, S_unit)
    return saunderson_to_measured(reflectance_infinite(K, S))


def _Lab(reflectance: NDArray[np.float64]) -> NDArray[np.float64]:
    return XYZ_to_Lab_D65(reflectance_to_XYZ(WAVELENGTHS_NM, reflectance))


def mixture_for_Lab(target_Lab: NDArray[np.float64], allowed: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Pigment mass fractions (summing to 1) of an opaque film matching ``target_Lab`` under D65."""
    best: Any = None
    for start in (np.array([0.0, -2.0, -3.0, -4.0]), np.array([-1.0, 0.0, -1.0, -1.0]), np.zeros(4)):

        def residual(log_c: NDArray[np.float64]) -> NDArray[np.float64]:
            c = np.where(allowed, np.exp(log_c), 0.0)
            return _Lab(_mixture_reflectance(c / c.sum())) - target_Lab

        result = least_squares(residual, start[: allowed.size], xtol=1e-12, ftol=1e-12)
        if best is None or result.cost < best.cost:
            best = result
    concentrations = np.where(allowed, np.exp(best.x), 0.0)
    return np.asarray(concentrations / concentrations.sum(), dtype=np.float64)


def _LCh_to_Lab(L: float, C: float, h: float) -> NDArray[np.float64]:
    return np.array([L, C * np.cos(np.radians(h)), C * np.sin(np.radians(h))], dtype=np.float64)


def design() -> tuple[dict[str, Any], dict[str, Any]]:
    """The layout and nominal-batch documents of ``tm-skin-v1``."""
    width, height = CARD_SIZE_MM
    grid_w = GRID[0] * CELL_MM + (GRID[0] - 1) * GAP_MM
    grid_h = GRID[1] * CELL_MM + (GRID[1] - 1) * GAP_MM
    x0, y0 = (width - grid_w) / 2.0, (height - grid_h) / 2.0

    neutral_targets = [np.array([L, 0.0, 0.0]) for L in NEUTRAL_L]
    skin_targets = [_LCh_to_Lab(L, skin_chroma(L), h) for L in SKIN_L for h in SKIN_HUES_DEG]
    skin_targets += [_LCh_to_Lab(*lch) for lch in SKIN_EXTRA_LCH]
    neutral_allowed = np.array([True, False, False, True])  # titanium dioxide and black only
    skin_allowed = np.ones(4, dtype=bool)
    babel = colour.SDS_COLOURCHECKERS["BabelColor Average"]

    patches: list[dict[str, Any]] = []
    markers: list[dict[str, Any]] = []
    spectra: dict[str, list[float]] = {}
    recipes: dict[str, dict[str, float]] = {}
    counters = {"N": 0, "C": 0, "S": 0}
    for row, line in enumerate(GRID_MAP):
        for col, symbol in enumerate(line.split()):
            x, y = x0 + col * (CELL_MM + GAP_MM), y0 + row * (CELL_MM + GAP_MM)
            if symbol == "M":
                markers.append(
                    {"centre_mm": [round(x + CELL_MM / 2, 3), round(y + CELL_MM / 2, 3)], "size_mm": MARKER_SIZE_MM}
                )
                continue
            index = counters[symbol]
            counters[symbol] += 1
            rect = [round(x, 3), round(y, 3), CELL_MM, CELL_MM]
            if symbol == "N":
                name, kind = f"neutral_{index + 1}", "neutral"
                if index == 0:  # the white is titanium dioxide alone
                    c = np.array([1.0, 0.0, 0.0, 0.0])
                else:
                    c = mixture_for_Lab(neutral_targets[index], neutral_allowed)
                reflectance = _mixture_reflectance(c)
                recipes[name] = dict(zip(PIGMENT_NAMES, np.round(c, 6).tolist(), strict=True))
            elif symbol == "C":
                name, kind = CHROMATIC[index], "chromatic"
                reflectance = babel[name].values
            else:
                name, kind = f"skin_{index + 1:02d}", "skin"
                c = mixture_for_Lab(skin_targets[index], skin_allowed)
                reflectance = _mixture_reflectance(c)
                recipes[name] = dict(zip(PIGMENT_NAMES, np.round(c, 6).tolist(), strict=True))
            patches.append({"name": name, "kind": kind, "rect_mm": rect})
            spectra[name] = np.round(reflectance, 6).tolist()

    # Marker order in the grid scan is TL, TR, BL, BR; ids go clockwise from the top-left.
    order = [0, 1, 3, 2]
    for marker, marker_id in zip(markers, [MARKER_IDS[i] for i in order], strict=True):
        marker["id"] = marker_id
    markers.sort(key=lambda m: m["id"])
    # Between the bottom markers' columns, under the last row of patches.
    label_x0, label_x1 = x0 + CELL_MM + GAP_MM, x0 + (GRID[0] - 1) * CELL_MM + (GRID[0] - 2) * GAP_MM
    label_box = [round(label_x0, 3), round(y0 + grid_h + LABEL_GAP_MM, 3), round(label_x1 - label_x0, 3)]
    layout = {
        "card_id": CARD_ID,
        "title": "tonematch skin reference card, layout 1",
        "size_mm": list(CARD_SIZE_MM),
        "aruco": {"dictionary": ARUCO_DICTIONARY, "batch_id_step": BATCH_ID_STEP, "markers": markers},
        "patches": patches,
        "label_box_mm": [*label_box, LABEL_HEIGHT_MM],
        "default_batch": "nominal",
        "base": "white",
    }
    batch = {
        "card_id": CARD_ID,
        "batch": "nominal",
        "batch_number": 0,
        "source": "design prediction: Kubelka-Munk opaque films of the demo pigments, 45:0 (specular excluded)",
        "geometry": "45:0",
        "wavelengths_nm": WAVELENGTHS_NM.tolist(),
        "pigment_mass_fractions": recipes,
        "reflectance": spectra,
    }
    return layout, batch


def colorchecker_layout() -> dict[str, Any]:
    """X-Rite ColorChecker Classic 24: 6 × 4 patches, 279.4 × 215.9 mm, read row by row from the dark skin."""
    names = list(colour.SDS_COLOURCHECKERS["BabelColor Average"])
    kinds = {"dark skin": "skin", "light skin": "skin"}
    pitch, size, margin_x, margin_y = 45.0, 39.0, 7.7 + 3.0, 15.95 + 3.0
    patches = []
    for index, name in enumerate(names):
        row, col = divmod(index, 6)
        kind = kinds.get(name, "neutral" if index >= 18 else "chromatic")
        patches.append(
            {"name": name, "kind": kind, "rect_mm": [margin_x + col * pitch, margin_y + row * pitch, size, size]}
        )
    return {
        "card_id": "colorchecker-classic-24",
        "title": "X-Rite ColorChecker Classic 24",
        "size_mm": [279.4, 215.9],
        "aruco": None,
        "patches": patches,
        "default_batch": "babelcolor-average",
        "base": "black",
    }


def write(root: Path) -> None:
    layout, batch = design()
    card_dir = root / CARD_ID
    (card_dir / "batches").mkdir(parents=True, exist_ok=True)
    (card_dir / "layout.json").write_text(json.dumps(layout, indent=1) + "\n")
    (card_dir / "batches" / "nominal.json").write_text(json.dumps(batch, indent=1) + "\n")
    checker_dir = root / "colorchecker-classic-24"
    checker_dir.mkdir(parents=True, exist_ok=True)
    (checker_dir / "layout.json").write_text(json.dumps(colorchecker_layout(), indent=1) + "\n")


if __name__ == "__main__":
    write(Path(__file__).parent / "data" / "cards")
