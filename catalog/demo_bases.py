"""The demo base library, shipped as a named example (the default is the physical library); run
``python -m catalog.demo_bases``.

Eight bases, each a dispersion of one cosmetic colourant in the clear vehicle, from plausible spectra built on
the colourants' known absorption shapes (not measurements): a real lab replaces this library with one fitted
from its own drawdowns. Titanium dioxide and the three iron oxides make every skin colour; carmine,
ultramarine, manganese violet and an anthraquinone violet let the spectrum follow skin's so that the match
holds under incandescent and shop light. The anthraquinone violet's band near 580 nm stands in for the
sharp end of oxyhaemoglobin's 577 nm band, which sets skin's steep rise from 580 to 620 nm: without it the
film is too light at 560-600 nm and too dark beyond 620 nm, a difference that incandescent light, rich in
red, exposes (measured in bench/bench_formulation.py). Older versions stay packaged so that formulations
made with them can still be looked up: ``demo-2026.1`` (six bases, printing-grade iron oxides) and
``demo-2026.2`` (seven bases, no anthraquinone violet, iron oxides scattering 2.5 times more).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from catalog.bases import BaseLibrary
from color.colorimetry import WAVELENGTHS_NM
from color.pigments import absorption_band, absorption_edge, demo_colourant_KS, demo_pigment_KS

VERSION = "demo-2026.3"
BASE_NAMES = ("white", "yellow", "red", "black", "carmine", "blue", "violet", "violet_dye")
PIGMENT_LABELS = (
    "titanium dioxide (CI 77891)",
    "yellow iron oxide, cosmetic grade (CI 77492)",
    "red iron oxide, cosmetic grade (CI 77491)",
    "black iron oxide (CI 77499)",
    "carmine (CI 75470)",
    "ultramarine blue (CI 77007)",
    "manganese violet (CI 77742)",
    "D&C Violet No. 2, an anthraquinone dye (CI 60725; externally applied cosmetics only)",
)
PIGMENT_IN_BASE = (0.5, 0.3, 0.3, 0.3, 0.1, 0.2, 0.2, 0.2)  # pigment mass fraction in each base dispersion
MAX_FRACTION = (0.6, 0.5, 0.3, 0.2, 0.2, 0.1, 0.1, 0.2)  # of each base in a foundation
MAX_TOTAL_FRACTION = 0.7  # all bases together: the vehicle's pigment-load limit
# Film thickness per coverage, in the unit K and S are given for: sheer lets most of the skin show through,
# full hides it (a typical medium mix has S·X about 5; full about 15, which is practically opaque).
FILM_THICKNESS = {"sheer": 0.3, "medium": 1.0, "full": 3.0}
# Coverage is also pigment load: all bases together make up this share of the foundation.
PIGMENT_LOAD = {"sheer": 0.3, "medium": 0.45, "full": 0.6}


def cosmetic_grade_iron_oxides_KS(w: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """K and S of the yellow and red iron oxides milled for cosmetics (rows: yellow, red).

    Finer, more varied particles than the printing grades of the card (``color.pigments``) give broader
    absorption edges and scatter less (0.4 times the printing grades' S: fine oxides are more transparent,
    which lets the darkest, most saturated skins be matched); both keep absorbing into the blue. Broad edges
    matter for foundation: a sharp step leaves a flat red plateau that skin, whose reflectance keeps rising to
    700 nm, does not have; with broad edges the match under incandescent light improves markedly (measured in
    bench/bench_formulation.py).
    """
    blue_tail = 3.0 * (560.0 / w) ** 6
    K = np.stack(
        [
            0.3 + 28.0 * absorption_edge(w, 490.0, 35.0) + blue_tail,
            0.3 + 45.0 * absorption_edge(w, 585.0, 30.0) + blue_tail,
        ]
    )
    S = np.stack([1.0 * (560.0 / w) ** 0.5, 1.4 * (560.0 / w)])
    return K, S


def manganese_violet_KS(w: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Manganese violet (CI 77742): one broad band near 545 nm, between carmine's and ultramarine's."""
    return (0.1 + 12.0 * absorption_band(w, 545.0, 35.0))[None], (1.0 * (560.0 / w))[None]


def anthraquinone_violet_KS(w: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """D&C Violet No. 2 (CI 60725, 1-hydroxy-4-p-toluidino-anthraquinone): one broad band near 580 nm.

    1-Hydroxy-4-arylamino-anthraquinones absorb across about 550-610 nm; dissolved in the oil phase or laked,
    the dye scatters little.
    """
    return (0.1 + 12.0 * absorption_band(w, 580.0, 20.0))[None], (1.0 * (560.0 / w))[None]


def demo_library() -> BaseLibrary:
    K_printing, S_printing = demo_pigment_KS(WAVELENGTHS_NM)
    K_iron, S_iron = cosmetic_grade_iron_oxides_KS(WAVELENGTHS_NM)
    K_colourants, S_colourants = demo_colourant_KS(WAVELENGTHS_NM)
    K_violet, S_violet = manganese_violet_KS(WAVELENGTHS_NM)
    K_dye, S_dye = anthraquinone_violet_KS(WAVELENGTHS_NM)
    K_pigment = np.vstack([K_printing[[0]], K_iron, K_printing[[3]], K_colourants, K_violet, K_dye])
    S_pigment = np.vstack([S_printing[[0]], S_iron, S_printing[[3]], S_colourants, S_violet, S_dye])
    share = np.asarray(PIGMENT_IN_BASE)[:, None]
    return BaseLibrary(
        version=VERSION,
        description=(
            "Demo library: one base per colourant (titanium dioxide; yellow, red and black iron oxide; carmine, "
            "ultramarine, manganese violet, D&C Violet No. 2) in the clear vehicle, from plausible absorption "
            "shapes; not measured. Replace with a library fitted from the lab's drawdowns."
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
