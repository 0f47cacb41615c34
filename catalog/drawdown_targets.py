"""What a lab measures of a batch: a drawdown on an opacity chart, over its black and over its white.

A lab does not measure an infinitely thick film. It draws the batch down with a film applicator of a stated wet film
thickness on an opacity chart (Leneta type: sealed black and white halves) and, once dry, measures the film over the
black and over the white (CIE L*a*b*, D65, 2°, specular excluded). Each reading is Kubelka's layer of that thickness
over the chart's reflectance, as the foundation over skin is (``catalog.appearance``); the opaque masstone (R∞) is
the limit of both as the film thickens. The contrast ratio Y(over black) / Y(over white) is the standard measure of
hiding (ISO 6504-3; ASTM D2805): 1 for a film that hides the chart completely.

K and S per unit thickness times the thickness is what counts (pigment per area), so a film measured dry is
described by its wet thickness as long as K and S are per µm of wet film, which is how the physical libraries give
them. The demo libraries give them per a unit of their own: ``film_units_per_um`` says how that unit is read.

References:
    Kubelka, P. (1948). New contributions to the optics of intensely light-scattering materials, part I. J. Opt.
    Soc. Am. 38(5), 448-457. doi:10.1364/JOSA.38.000448
    ISO 6504-3 Paints and varnishes, determination of hiding power, part 3: contrast ratio.
    ASTM D2805 Standard test method for hiding power of paints by reflectometry.
    ISO 2808 Paints and varnishes, determination of film thickness (wet film comb gauges).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, cast, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from catalog.appearance import Lab_under, film_reflectance, tristimulus_weights
from catalog.bases import BaseLibrary
from color.errors import InvalidColorInput
from color.kubelka_munk import mixture_KS, reflectance_layer, saunderson_to_internal, saunderson_to_measured

Over = Literal["black", "white", "opaque"]
OVER_CHOICES: Final[tuple[str, ...]] = get_args(Over)
DEFAULT_OVER: Final[Over] = "opaque"
"""A reading that does not say what it was measured over is the opaque masstone: what QC took before drawdowns."""

# The applicator: a Bird-type film applicator rated for a 75 µm (3 mil) wet film, a common laboratory size. Assumed,
# not measured. At 75 µm the recipes of both packaged libraries nearly hide the chart (bench/bench_qc_tolerance.py,
# 50 NIST skins: contrast ratio ≥ 0.998 for demo-2026.3 and ≥ 0.994 for phys-2026.2), so a film 10 % thinner than
# rated moves a reading by at most 0.11 (demo) and 0.24 ΔE00 (phys), while the reading over black still differs from
# the masstone by up to 0.55 ΔE00 (phys), which a masstone target would have charged to the batch. A gap applicator
# lays down about half its gap: use a 150 µm gap, or check the wet film with a comb gauge (ISO 2808).
DRAWDOWN_WET_FILM_UM: Final = 75.0
# The chart's halves as measured (specular excluded), taken flat over 380-730 nm. Assumed: a sealed chart's white is
# typically 80-85 % and its black 1-5 %; no chart maker's certificate was at hand. A lab's own charts' values go here.
CHART_WHITE_REFLECTANCE: Final = 0.80
CHART_BLACK_REFLECTANCE: Final = 0.02
CHART = "opacity chart (Leneta type), sealed black and white halves"
# Libraries whose K and S are not per µm (the demo libraries: per a unit of their own) are read by their medium
# coverage, taken as the 10 µm wet film of 1.0 mg/cm² on the face that the physical libraries assume (0.2-0.6 g per
# face over about 400 cm², at 1 g/cm³).
MEDIUM_FACE_FILM_UM: Final = 10.0


@dataclass(frozen=True)
class DrawdownConditions:
    """How the lab draws a batch down: the wet film thickness (µm) and the chart's reflectances (0-1, flat)."""

    wet_film_um: float = DRAWDOWN_WET_FILM_UM
    black_reflectance: float = CHART_BLACK_REFLECTANCE
    white_reflectance: float = CHART_WHITE_REFLECTANCE
    chart: str = CHART

    def __post_init__(self) -> None:
        if not (np.isfinite(self.wet_film_um) and 0 < self.wet_film_um <= 1000):
            raise ValueError(f"The wet film must be more than 0 and at most 1000 µm, not {self.wet_film_um}.")
        if not 0 < self.black_reflectance < self.white_reflectance < 1:
            raise ValueError(
                "The chart's reflectances must satisfy 0 < black < white < 1, "
                f"not black {self.black_reflectance} and white {self.white_reflectance}."
            )

    def substrate(self, over: str) -> float | None:
        """The chart's reflectance under a reading ``over`` black or white; None for the opaque masstone."""
        return {"black": self.black_reflectance, "white": self.white_reflectance, "opaque": None}[check_over(over)]


DEFAULT_DRAWDOWN: Final = DrawdownConditions()


@dataclass(frozen=True)
class DrawdownTargets:
    """The drawdown a recipe should give, CIELAB (D65, 2°): over the chart's black and white, and opaque."""

    conditions: DrawdownConditions
    over_black_Lab: NDArray[np.float64]
    over_white_Lab: NDArray[np.float64]
    masstone_Lab: NDArray[np.float64]
    contrast_ratio: float  # Y over black / Y over white (ISO 6504-3), in (0, 1]

    def for_reading(self, over: str) -> NDArray[np.float64]:
        """The target a reading ``over`` black, white or opaque is compared with."""
        return {"black": self.over_black_Lab, "white": self.over_white_Lab, "opaque": self.masstone_Lab}[
            check_over(over)
        ]


def check_over(over: str) -> Over:
    """``over`` if it names a reading ("black", "white" or "opaque"), else ``InvalidColorInput`` saying so."""
    if over not in OVER_CHOICES:
        raise InvalidColorInput(
            f"`over` says what the drawdown was measured over: 'black' or 'white' (the opacity chart's halves) or "
            f"'opaque' (a film that hides whatever is under it, the masstone), not {over!r}.",
            hint="Measure the drawdown over the chart's black or its white and say which.",
        )
    return cast(Over, over)


def film_units_per_um(library: BaseLibrary) -> float:
    """How many of the library's film-thickness units make 1 µm of wet film.

    1 for a library whose K and S are per µm (its metadata's ``units`` say so); otherwise its medium coverage is read
    as a 10 µm wet film (``MEDIUM_FACE_FILM_UM``), the film the physical libraries put on the face.
    """
    if "µm" in str(library.metadata.get("units", "")):
        return 1.0
    return library.film_thickness["medium"] / MEDIUM_FACE_FILM_UM


def drawdown_reflectance(
    library: BaseLibrary, fractions: ArrayLike, over: str, conditions: DrawdownConditions = DEFAULT_DRAWDOWN
) -> NDArray[np.float64]:
    """Measured reflectance (specular excluded) of a drawdown of ``fractions`` (..., n_bases) over the chart's black
    or white, or opaque: (..., n_λ). The chart is read through Saunderson's correction like the skin under a film;
    the layer is Kubelka's (1948)."""
    background = conditions.substrate(over)
    if background is None:
        return film_reflectance(library, fractions, "full", None)
    K, S = mixture_KS(fractions, library.K, library.S)
    thickness = conditions.wet_film_um * film_units_per_um(library)
    chart = saunderson_to_internal(np.full(library.wavelengths_nm.shape, background), library.k1, library.k2)
    internal = reflectance_layer(np.maximum(K, 1e-12), np.maximum(S, 1e-9), thickness, chart)
    return saunderson_to_measured(internal, library.k1, library.k2)


def drawdown_Lab(
    library: BaseLibrary, fractions: ArrayLike, over: str, conditions: DrawdownConditions = DEFAULT_DRAWDOWN
) -> NDArray[np.float64]:
    """CIELAB (D65, 2°) of a drawdown of ``fractions`` over ``over`` ("black", "white" or "opaque")."""
    return Lab_under(library.wavelengths_nm, drawdown_reflectance(library, fractions, over, conditions))


def luminance_Y(library: BaseLibrary, reflectance: ArrayLike) -> NDArray[np.float64]:
    """Luminous reflectance Y (D65, 2°; 1 for the perfect diffuser) of reflectances (..., n_λ), by colour-science's
    ASTM E308 integration."""
    weights = tristimulus_weights(tuple(library.wavelengths_nm.tolist()), "D65")
    Y: NDArray[np.float64] = np.asarray(reflectance, dtype=np.float64) @ (weights[:, 1] / weights[:, 1].sum())
    return Y


def contrast_ratio(
    library: BaseLibrary, fractions: ArrayLike, conditions: DrawdownConditions = DEFAULT_DRAWDOWN
) -> NDArray[np.float64]:
    """Contrast ratio Y(over black) / Y(over white) of the drawdown (ISO 6504-3; ASTM D2805), in (0, 1]."""
    black = luminance_Y(library, drawdown_reflectance(library, fractions, "black", conditions))
    white = luminance_Y(library, drawdown_reflectance(library, fractions, "white", conditions))
    ratio: NDArray[np.float64] = black / white
    return ratio


def drawdown_targets(
    library: BaseLibrary, fractions: ArrayLike, conditions: DrawdownConditions = DEFAULT_DRAWDOWN
) -> DrawdownTargets:
    """The drawdown targets of a recipe's exact mass fractions (n_bases,): the same for every batch size."""
    mix = np.asarray(fractions, dtype=np.float64)
    if mix.shape != (len(library.names),) or not np.all(np.isfinite(mix)) or np.any(mix < 0) or mix.sum() > 1 + 1e-9:
        raise ValueError(f"A recipe is one mass fraction per base ({len(library.names)}), each ≥ 0, together ≤ 1.")
    return DrawdownTargets(
        conditions=conditions,
        over_black_Lab=drawdown_Lab(library, mix, "black", conditions),
        over_white_Lab=drawdown_Lab(library, mix, "white", conditions),
        masstone_Lab=drawdown_Lab(library, mix, "opaque", conditions),
        contrast_ratio=float(contrast_ratio(library, mix, conditions)),
    )
