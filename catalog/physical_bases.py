"""The physical base library: K and S of real cosmetic pigment grades computed from published optical constants.

Each base is one dry, surface-treated pigment grade dispersed in the clear vehicle; its fraction in a recipe
is the pigment's mass fraction in the foundation. K(λ) and S(λ) come from Mie theory over a stated log-normal
size distribution (``catalog.mie_pigments``) and the complex index of the mineral (``catalog.optical_constants``).
``tonematch bases build`` regenerates the library from the constants table; ``python -m catalog.physical_bases
TABLE`` writes the packaged copy. Every number below that a supplier or regulation does not give is marked
as an assumption, here and in the library's ``metadata``.

Sizes: pigmentary rutile scatters best at 0.2-0.3 µm; iron oxide pigments are 0.1-1.0 µm, the red oxides
turning from yellowish (fine) to bluish (coarse) with size, yellow oxide being needles of about 0.1 × 0.6 µm
(Buxbaum & Pfaff 2005, ch. 2 and 3). The geometric standard deviations (1.4 for rutile, 1.5 for the oxides)
are assumptions. Loadings: a medium-coverage liquid foundation shade holds 10-12 % pigment, e.g. 7 % titanium
dioxide, 3 % yellow, 1.75 % red and 0.2 % black iron oxide, darker shades much less titanium dioxide and more
iron oxide (a practitioner's account: cosmeticchemgal 2014); the per-colourant caps and the full-coverage load
are assumptions for a lab to confirm. Applied amount: 0.2-0.6 g of liquid foundation per face application
(ten weighed applications per applicator, brightestbulbinthebox 2013) over about 400 cm² (assumed) is
0.5-1.5 mg/cm²; sunscreen testing uses 2 mg/cm² (ISO 24444) as a heavy application.

Grades of phys-2026.3: the fine red is 0.11 µm (number median) with a narrow spread, σg 1.3 (an assumption for
a precipitated grade, to be matched to a supplier's measured distribution), where 2026.2 had 0.12 µm, σg 1.5.
What sets a grade's colour is its volume-weighted size (median d_g·exp(3 ln²σg): 0.135 µm against 0.197 µm),
so the narrow grade's tint is as chromatic as a 0.084 µm, σg 1.5 grade's (1:10 with rutile: a* 13.8, b* 13.4
against 12.5, 13.4; 2026.2's: 10.4, 8.1) while far fewer of its particles are below 100 nm (36 % against
67 %). The fine black moved from 0.10 to 0.12 µm: at 0.10 µm, σg 1.5, half of its particles by number are
below 100 nm. Both were chosen among a handful of supplier-realistic variants on an independent tuning set
(the Monk scale and real foundation shades, never the benchmark's skins; ``bench/bench_pigment_grades.py``,
which also lists what was tried and left out, and why).

Nanomaterials: the EU definition (Commission Recommendation of 10 June 2022, 2022/C 229/01) counts a material
whose particles are, for 50 % or more by number, 1-100 nm in an external dimension. ``nano_number_share``
reads that share off a grade's stated log-normal number distribution of volume-equivalent diameters; for
acicular yellow oxide the needles' width is smaller than that diameter, so its status is marked to be verified.
A nano colourant needs an Annex IV entry naming its nano form (Regulation 1223/2009 Art. 14; the Art. 16
notification route excludes colourants); US 21 CFR 73.2250 and 73.2575 set no particle size. Korea's list
(MFDS, 'Types, Standards and Test Methods of Cosmetic Colorants', Annex 1) is marked to be verified, not read.

References:
    Buxbaum, G., Pfaff, G. (eds.) (2005). Industrial Inorganic Pigments, 3rd ed. Wiley-VCH.
    Anthony, J. W. et al. Handbook of Mineralogy. Mineralogical Society of America (densities).
    21 CFR 73.2250 (iron oxides) and 73.2575 (titanium dioxide), eCFR, read 2026.
    Regulation (EC) No 1223/2009 on cosmetic products, Art. 2(1)(k), 14 and 16, Annex IV (allowed colorants).
    Commission Recommendation of 10 June 2022 on the definition of nanomaterial, OJ C 229, 14.6.2022, p. 1-5.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from catalog.bases import BaseLibrary
from catalog.mie_pigments import pigment_KS
from catalog.optical_constants import (
    GOETHITE_EDGE_RATIO,
    GOETHITE_EDGE_WIDTH_NM,
    GOETHITE_K_EDGE,
    GOETHITE_K_TAIL,
    MAGNETITE_K,
    RUTILE_EDGE_SHIFT_EV,
    complex_index,
    parse_optical_constants,
)
from color.colorimetry import WAVELENGTHS_NM

VERSION = "phys-2026.3"  # phys-2026.1 (hematite-strength goethite, Querry's magnetite k) and 2026.2 stay packaged
# The dried foundation's vehicle (silicones, esters, film formers): 1.40-1.50 (dimethicone 1.40, esters 1.44-1.46).
N_MEDIUM = 1.47
# Wet film thickness (µm at 1 g/cm³ = applied mg/cm² × 10) and pigment load per coverage (see the module text).
FILM_THICKNESS_UM = {"sheer": 5.0, "medium": 10.0, "full": 18.0}
PIGMENT_LOAD = {"sheer": 0.06, "medium": 0.12, "full": 0.20}
# The recipe chooses each skin's load within these (assumed): pale skins need less pigment than deep ones.
PIGMENT_LOAD_RANGE = {"sheer": (0.03, 0.10), "medium": (0.08, 0.18), "full": (0.14, 0.25)}
MAX_TOTAL_FRACTION = 0.25  # assumption: above a quarter of pigment a liquid foundation drags and looks dry

US_IRON_OXIDES = (
    "21 CFR 73.2250: cosmetics generally, including the eye area, amounts consistent with GMP; exempt from "
    "certification; no limit on particle size"
)
EU_IRON_OXIDES = "Regulation (EC) 1223/2009 Annex IV: all cosmetic products (entry number to be verified in CosIng)"
US_TITANIUM = (
    "21 CFR 73.2575: cosmetics including the eye area, amounts consistent with GMP; exempt from certification; "
    "no limit on particle size"
)
EU_TITANIUM = (
    "Regulation (EC) 1223/2009 Annex IV: all cosmetic products (entry number to be verified in CosIng); the nano "
    "form only under Annex VI's conditions; Regulation (EU) 2021/850 restricts powder containing ≥ 1 % particles "
    "≤ 10 µm in face products in loose powder form (to be verified; not a liquid foundation)"
)
KR_COLOURANTS = (
    "MFDS notification 'Types, Standards and Test Methods of Cosmetic Colorants' (화장품의 색소 종류와 기준 및 "
    "시험방법), Annex 1: listing and conditions to be verified; rules for nanomaterials to be verified"
)
# The EU test for a nanomaterial (Commission Recommendation of 10 June 2022, 2022/C 229/01): 50 % or more of
# the particles by number with an external dimension of 1-100 nm.
NANO_SIZE_UM = 0.1
NANO_NUMBER_SHARE = 0.5
EU_NANO = (
    "a nanomaterial by the 2022 definition ({share:.0f} % of particles by number below 100 nm): a nano colourant "
    "needs an Annex IV entry that names its nano form (Regulation 1223/2009 Art. 14; Art. 16's notification "
    "route excludes colourants); none found for iron oxides or for titanium dioxide as a colourant (to be verified "
    "in CosIng), so not for EU sale as it stands"
)
EU_NOT_NANO = (
    "not a nanomaterial by the 2022 definition ({share:.0f} % of particles by number below 100 nm in the stated "
    "distribution; to be confirmed with the supplier's number-based size distribution, e.g. by electron "
    "microscopy); Regulation 1223/2009 Art. 2(1)(k) defines nanomaterials without a share (to be verified which "
    "an authority applies)"
)


@dataclass(frozen=True)
class PigmentGrade:
    name: str
    label: str
    material: str  # a key of catalog.optical_constants.MATERIALS
    median_um: float  # median diameter of the number distribution (volume-equivalent sphere)
    gsd: float  # geometric standard deviation
    density_g_cm3: float
    max_fraction: float  # of the foundation
    size_source: str
    limit_source: str
    us_status: str
    eu_status: str
    kr_status: str = KR_COLOURANTS
    nano_note: str = ""  # what the sphere model leaves out of the nano test (a needle's width)


GRADES = (
    PigmentGrade(
        "white", "titanium dioxide, rutile, pigmentary (CI 77891)", "rutile", 0.25, 1.4, 4.2, 0.20,
        "0.2-0.3 µm, the optimum for visible scattering (Buxbaum & Pfaff 2005); σg 1.4 assumed",
        "assumed formulation cap (whitening and feel); no regulatory limit", US_TITANIUM, EU_TITANIUM,
    ),
    PigmentGrade(
        "yellow", "yellow iron oxide, goethite (CI 77492), optics approximated from hematite", "goethite", 0.2, 1.5,
        4.26, 0.10, "needles about 0.1 × 0.6 µm (Buxbaum & Pfaff 2005) as the sphere of equal volume, 0.2 µm; "
        "σg 1.5 assumed", "assumed formulation cap; no regulatory limit", US_IRON_OXIDES, EU_IRON_OXIDES,
        nano_note="the needles' width, about 0.1 µm, is the smallest external dimension, which the definition "
        "counts: whether half the needles are narrower than 100 nm is to be verified with the supplier",
    ),
    PigmentGrade(
        "red", "red iron oxide, hematite, fine narrow-distribution yellowish-red grade (CI 77491)", "hematite", 0.11,
        1.3, 5.26, 0.06, "fine end of 0.1-1.0 µm: fine hematite is yellowish red (Buxbaum & Pfaff 2005); number "
        "median 0.11 µm, σg 1.3 assumed (phys-2026.3; 2026.2: 0.12 µm, σg 1.5), chosen on an independent tuning set "
        "(bench/bench_pigment_grades.py) as the finest non-nano grade: 36 % of particles below 100 nm",
        "assumed formulation cap; no regulatory limit", US_IRON_OXIDES, EU_IRON_OXIDES,
    ),
    PigmentGrade(
        "red_blue", "red iron oxide, hematite, coarse bluish-red grade (CI 77491)", "hematite", 0.4, 1.5, 5.26, 0.06,
        "coarse part of 0.1-1.0 µm: coarse hematite is bluish red (Buxbaum & Pfaff 2005); σg 1.5 assumed",
        "assumed formulation cap; no regulatory limit", US_IRON_OXIDES, EU_IRON_OXIDES,
    ),
    PigmentGrade(
        "black", "black iron oxide, magnetite (CI 77499)", "magnetite", 0.2, 1.5, 5.18, 0.04,
        "0.1-0.6 µm (Buxbaum & Pfaff 2005); σg 1.5 assumed",
        "assumed formulation cap; no regulatory limit", US_IRON_OXIDES, EU_IRON_OXIDES,
    ),
    PigmentGrade(
        "black_fine", "black iron oxide, magnetite, fine grade (CI 77499)", "magnetite", 0.12, 1.5, 5.18, 0.04,
        "fine end of 0.1-0.6 µm (Buxbaum & Pfaff 2005); σg 1.5 assumed; 0.12 µm (2026.2: 0.10 µm, which puts 50 % "
        "of particles below 100 nm, a nanomaterial by the EU definition)",
        "assumed formulation cap; no regulatory limit", US_IRON_OXIDES, EU_IRON_OXIDES,
    ),
)  # fmt: skip


def nano_number_share(grade: PigmentGrade) -> float:
    """Share of the grade's particles (by number) below 100 nm: its log-normal number distribution's CDF."""
    if grade.gsd <= 1.0:
        return float(grade.median_um < NANO_SIZE_UM)
    z = math.log(NANO_SIZE_UM / grade.median_um) / math.log(grade.gsd)
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def eu_nano_status(grade: PigmentGrade) -> str:
    """The grade's status under the EU nanomaterial definition, from its stated number distribution."""
    share = nano_number_share(grade)
    text = (EU_NANO if share >= NANO_NUMBER_SHARE else EU_NOT_NANO).format(share=100 * share)
    return f"{text}; {grade.nano_note}" if grade.nano_note else text


APPROXIMATIONS = (
    "Spheres of the volume-equivalent diameter; yellow oxide is acicular.",
    "Nano share: the stated log-normal number distribution's share below 100 nm (volume-equivalent diameter); a "
    "needle's width, its smallest dimension, is not modelled.",
    "Independent scattering: no crowding, which lowers titanium dioxide's scattering above about 10 % PVC (dry).",
    "K = 2 μa, S = (3/4) μs (1 − g) (van Gemert & Star 1987): the diffusion limit; S uncertain where absorption "
    "is strong (Thennadil 2008).",
    "Birefringent rutile and hematite: orientation average (2·o + e)/3 of n and k.",
    f"Rutile n: Devore (1951) Sellmeier refitted, extrapolated 380-430 nm; rutile k: an anatase film's edge "
    f"(Jolivet et al. 2023) moved {RUTILE_EDGE_SHIFT_EV:.2f} eV to rutile's 3.0 eV gap.",
    f"Goethite is not in the data: hematite's n at λ·{GOETHITE_EDGE_RATIO:.3f} (pair band 480 vs 535 nm, Sherman & "
    f"Waite 1985) scaled to goethite's mean index 2.35; k an edge at 480 nm, k = {GOETHITE_K_EDGE:g}/(1 + "
    f"exp((λ − 480)/{GOETHITE_EDGE_WIDTH_NM:g})) + {GOETHITE_K_TAIL:g}, fitted so that the 0.2 µm grade's masstone "
    "is L* 60, a* 10, b* 50 (mid-range of pigment-grade yellow iron oxide, L* 55-65, b* 45-60, as quoted in issue "
    "14; a* assumed; to be replaced by a supplier's measured masstone).",
    f"Magnetite: Querry's n; Querry's k (0.03-0.14, from a pressed pellet, lowest in the blue, which makes a "
    f"blue-black masstone L* 28, b* −21) replaced by a flat k = {MAGNETITE_K:g} (magnetite is opaque and black: its "
    "intervalence absorption is broad across the visible; magnitude assumed, masstone then L* 13.5, a* 0.5, b* 1.5).",
    "Pigment mass fraction to volume fraction at a foundation density of 1 g/cm³ (dilute limit); film thickness "
    "is the wet film at 1 g/cm³, i.e. 10 µm per mg/cm² applied.",
    "The vehicle neither absorbs nor scatters; fillers (mica, silica, talc) are left out.",
)


def physical_library(
    table_text: str,
    *,
    version: str = VERSION,
    n_medium: float = N_MEDIUM,
    size_scale: float = 1.0,
    grades: tuple[PigmentGrade, ...] = GRADES,
) -> BaseLibrary:
    """The library computed from the optical constants table (CSV text), with its provenance in ``metadata``.

    ``size_scale`` multiplies every median diameter and ``n_medium`` sets the vehicle's index: both for the
    sensitivity study in ``bench/bench_pigments.py``; ``grades`` for the study of other grades in
    ``bench/bench_pigment_grades.py``.
    """
    table = parse_optical_constants(table_text)
    wavelengths = WAVELENGTHS_NM.copy()
    grades = tuple(replace(g, median_um=g.median_um * size_scale) for g in grades)
    K_rows, S_rows = [], []
    for grade in grades:
        K, S = pigment_KS(
            complex_index(table, grade.material, wavelengths), wavelengths, n_medium=n_medium,
            median_um=grade.median_um, gsd=grade.gsd, density_g_cm3=grade.density_g_cm3,
        )  # fmt: skip
        K_rows.append(K)
        S_rows.append(S)
    metadata: dict[str, Any] = {
        "kind": "physical: K and S from published optical constants by Mie theory (catalog.mie_pigments)",
        "optical_constants": "refractiveindex.info database (CC0): Querry 1985 (Fe2O3; Fe3O4 n only), Devore 1951 "
        "(rutile n), Jolivet et al. 2023 (anatase film k, shifted); goethite and magnetite k approximated (see "
        "approximations)",
        "mie": "miepython (Prahl), log-normal number distributions, 24 Gauss-Hermite nodes",
        "mie_to_kubelka_munk": "K = 2 μa, S = 0.75 μs (1 − g): van Gemert & Star 1987; Star et al. 1988",
        "medium_refractive_index": n_medium,
        "units": "K, S per µm of wet film at 1 g/cm³ per unit pigment mass fraction; film thickness in µm",
        "film_thickness_source": "0.5-1.5 mg/cm² per application (0.2-0.6 g per face, brightestbulbinthebox 2013, "
        "over an assumed 400 cm²); sheer 0.5, medium 1.0, full 1.8 mg/cm²",
        "grade_selection": "phys-2026.3's fine red (0.11 µm, σg 1.3) and fine black (0.12 µm) chosen among a "
        "handful of non-nano grade variants on an independent tuning set (Monk scale, foundation shades), not on "
        "the benchmark skins: bench/bench_pigment_grades.py",
        "nanomaterial_definition": "Commission Recommendation 2022/C 229/01: ≥ 50 % of particles by number with an "
        "external dimension of 1-100 nm; share per grade from its stated number distribution",
        "pigment_load_source": "10-12 % pigment in a medium-coverage shade (cosmeticchemgal 2014); sheer and full "
        "loads, the per-skin load ranges and max_total_fraction assumed",
        "approximations": list(APPROXIMATIONS),
        "grades": [
            {**asdict(g), "nano_number_share": round(nano_number_share(g), 3), "eu_nanomaterial": eu_nano_status(g)}
            for g in grades
        ],
    }
    return BaseLibrary(
        version=version,
        description=(
            "Physical library: titanium dioxide (rutile), yellow iron oxide (goethite, approximated), two red iron "
            "oxide grades (hematite, fine and coarse) and two black iron oxide grades (magnetite, k approximated), "
            "each base the dry pigment in the clear vehicle; K and S computed by Mie theory from published n, k and "
            "stated particle sizes. A lab-fitted library (bases fit) replaces it."
        ),
        wavelengths_nm=wavelengths,
        names=tuple(g.name for g in grades),
        pigments=tuple(g.label for g in grades),
        K=np.asarray(K_rows),
        S=np.asarray(S_rows),
        max_fraction=np.array([g.max_fraction for g in grades]),
        max_total_fraction=MAX_TOTAL_FRACTION,
        film_thickness=dict(FILM_THICKNESS_UM),
        pigment_load=dict(PIGMENT_LOAD),
        pigment_load_range=dict(PIGMENT_LOAD_RANGE),
        metadata=metadata,
    )


# python -m catalog.physical_bases ../shared/data/pigments/pigment_optical_constants_nk_300-1000nm.csv
if __name__ == "__main__":
    library = physical_library(Path(sys.argv[1]).read_text())
    target = Path(__file__).parent / "data" / "bases" / f"{library.version}.json"
    target.write_text(json.dumps(library.to_dict(), indent=1, ensure_ascii=False) + "\n")
