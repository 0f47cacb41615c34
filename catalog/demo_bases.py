"""The demo base library shipped so that a fresh install answers; run ``python -m catalog.demo_bases``.

Six bases, each a dispersion of one cosmetic pigment in the clear vehicle, built from the demo optical
constants of ``color.pigments`` (plausible spectra from the pigments' known absorption shapes, not
measurements): a real lab replaces this library with one fitted from its own drawdowns. Titanium dioxide and
the three iron oxides make every skin colour; carmine and ultramarine let the spectrum follow skin's
(haemoglobin's bands) so that the match holds under incandescent and shop light too.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from catalog.bases import BaseLibrary
from color.pigments import WAVELENGTHS_NM, demo_colourant_KS, demo_pigment_KS

VERSION = "demo-2026.1"
BASE_NAMES = ("white", "yellow", "red", "black", "carmine", "blue")
PIGMENT_LABELS = (
    "titanium dioxide (CI 77891)",
    "yellow iron oxide (CI 77492)",
    "red iron oxide (CI 77491)",
    "black iron oxide (CI 77499)",
    "carmine (CI 75470)",
    "ultramarine blue (CI 77007)",
)
PIGMENT_IN_BASE = (0.5, 0.3, 0.3, 0.3, 0.1, 0.2)  # pigment mass fraction in each base dispersion
MAX_FRACTION = (0.6, 0.5, 0.3, 0.2, 0.2, 0.1)  # of each base in a foundation
MAX_TOTAL_FRACTION = 0.7  # all bases together: the vehicle's pigment-load limit
# Film thickness per coverage, in the unit K and S are given for: sheer lets most of the skin show through,
# full hides it (a typical medium mix has S·X about 5; full about 15, which is practically opaque).
FILM_THICKNESS = {"sheer": 0.3, "medium": 1.0, "full": 3.0}
# Coverage is also pigment load: all bases together make up this share of the foundation.
PIGMENT_LOAD = {"sheer": 0.3, "medium": 0.45, "full": 0.6}


def demo_library() -> BaseLibrary:
    K_oxides, S_oxides = demo_pigment_KS(WAVELENGTHS_NM)
    K_colourants, S_colourants = demo_colourant_KS(WAVELENGTHS_NM)
    K_pigment, S_pigment = np.vstack([K_oxides, K_colourants]), np.vstack([S_oxides, S_colourants])
    share = np.asarray(PIGMENT_IN_BASE)[:, None]
    return BaseLibrary(
        version=VERSION,
        description=(
            "Demo library: one base per pigment (titanium dioxide, yellow, red and black iron oxide) in the "
            "clear vehicle, from plausible absorption shapes; not measured. Replace with a fitted library."
        ),
        wavelengths_nm=WAVELENGTHS_NM.copy(),
        names=BASE_NAMES,
        pigments=PIGMENT_LABELS,
        K=K_pigment * share,
        S=S_pigment * share,
        max_fraction=np.asarray(MAX_FRACTION),
        max_total_fraction=MAX_TOTAL_FRACTION,
        film_thickness=dict(FILM_THICKNESS),
        pigment_load=dict(PIGMENT_LOAD),
    )


if __name__ == "__main__":
    target = Path(__file__).parent / "data" / "bases" / f"{VERSION}.json"
    target.write_text(json.dumps(demo_library().to_dict(), indent=1) + "\n")
