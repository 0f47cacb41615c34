"""Our own small shade range, made with the demo bases, so that a fresh install answers shade searches.

Eighteen shades on a grid of lightness (L* 30 to 80) and undertone (cool, neutral, warm hue angles), each
the masstone of the full-coverage recipe for that skin colour. Run ``python -m catalog.house_range`` to
rewrite ``data/house_range.json`` after the demo library changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from catalog.appearance import Lab_under, film_reflectance
from catalog.packaged_data import DATA_DIR, load_library
from catalog.recipe import predict_recipe
from color.card_design import skin_chroma

HOUSE_LIBRARY = "demo-2026.3"  # the range's colours were made with it; the physical default came later (issue 14)
LIGHTNESS = (30.0, 40.0, 50.0, 60.0, 70.0, 80.0)
UNDERTONES = (("C", 50.0), ("N", 58.0), ("W", 66.0))  # cool, neutral, warm hue angles (degrees)


def house_range() -> list[dict[str, object]]:
    library = load_library(HOUSE_LIBRARY)
    shades: list[dict[str, object]] = []
    for L in LIGHTNESS:
        for letter, hue in UNDERTONES:
            chroma = skin_chroma(L)
            target = [L, chroma * np.cos(np.radians(hue)), chroma * np.sin(np.radians(hue))]
            recipe = predict_recipe(library, target, coverage="full")
            masstone = film_reflectance(library, recipe.fractions, "full", None)
            L_, a, b = (round(float(v), 2) for v in Lab_under(library.wavelengths_nm, masstone))
            shades.append(
                {
                    "brand": "tonematch",
                    "product": "House custom range",
                    "shade_name": f"{int(L)}{letter}",
                    "shade_code": f"TM-{int(L)}{letter}",
                    "colour_space": "CIELAB D65",
                    "L": L_,
                    "a": a,
                    "b": b,
                    "approximate": False,
                }
            )
    return shades


if __name__ == "__main__":
    (Path(DATA_DIR) / "house_range.json").write_text(json.dumps(house_range(), indent=1) + "\n")
