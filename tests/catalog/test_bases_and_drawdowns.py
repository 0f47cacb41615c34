"""Base libraries: loading, export round trip, validation; fitting K and S back from drawdowns."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from catalog.appearance import Lab_under, film_reflectance
from catalog.bases import BaseLibrary, BaseLibraryError
from catalog.drawdowns import DrawdownError, fit_library, parse_drawdowns
from catalog.packaged_data import UnknownLibrary, load_library
from catalog.skin_spectrum import skin_reflectance_from_Lab

LIBRARY = load_library()


def drawdown_csv(library: BaseLibrary, tints: tuple[float, ...] = (0.2, 0.05)) -> str:
    rows = ["base,base_fraction,white_fraction,wavelength_nm,reflectance"]

    def add(base: str, fraction: float, white: float) -> None:
        mix = np.zeros(len(library.names))
        mix[library.names.index(base)] += fraction
        mix[0] += white
        reflectance = film_reflectance(library, mix, "full", None)
        rows.extend(
            f"{base},{fraction},{white},{w:g},{r:.9f}" for w, r in zip(library.wavelengths_nm, reflectance, strict=True)
        )

    add("white", 1.0, 0.0)
    for base in library.names[1:]:
        add(base, 1.0, 0.0)
        for tint in tints:
            add(base, tint, 1.0 - tint)
    return "\n".join(rows)


def _fit(text: str) -> BaseLibrary:
    wavelengths, drawdowns = parse_drawdowns(text)
    return fit_library(wavelengths, drawdowns, LIBRARY.S[0], LIBRARY, "x")


def test_demo_library_round_trips_through_its_export() -> None:
    again = BaseLibrary.from_dict(json.loads(json.dumps(LIBRARY.to_dict())))
    assert again.names == LIBRARY.names
    assert pytest.approx(LIBRARY.K, abs=1e-6) == again.K
    assert again.pigment_load == LIBRARY.pigment_load


def test_unknown_version() -> None:
    with pytest.raises(UnknownLibrary):
        load_library("demo-1999")


@pytest.mark.parametrize(
    "change",
    [
        {"K": -LIBRARY.K},
        {"S": np.zeros_like(LIBRARY.S)},
        {"K": LIBRARY.K[:, :10]},
        {"film_thickness": {"sheer": 0.3, "medium": 1.0}},
        {"pigment_load": {"sheer": 0.3, "medium": 0.45, "full": 0.95}},
        {"max_total_fraction": 1.5},
    ],
)
def test_unphysical_libraries_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(BaseLibraryError):
        dataclasses.replace(LIBRARY, **change)


def test_fitting_recovers_the_library_that_made_the_drawdowns() -> None:
    wavelengths, drawdowns = parse_drawdowns(drawdown_csv(LIBRARY))
    fitted = fit_library(wavelengths, drawdowns, LIBRARY.S[0], LIBRARY, "fitted")
    assert pytest.approx(LIBRARY.K, rel=1e-4, abs=1e-6) == fitted.K
    assert pytest.approx(LIBRARY.S, rel=1e-4, abs=1e-6) == fitted.S
    skin = skin_reflectance_from_Lab([50, 12, 16])
    mix = np.full(len(LIBRARY.names), 0.01)
    mix[:4] = [0.1, 0.15, 0.05, 0.02]
    same = Lab_under(LIBRARY.wavelengths_nm, film_reflectance(fitted, mix, "medium", skin))
    assert same == pytest.approx(
        Lab_under(LIBRARY.wavelengths_nm, film_reflectance(LIBRARY, mix, "medium", skin)), abs=1e-3
    )


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace("reflectance", "refl", 1), "columns"),
        (lambda t: t + "\nred,1.0,0.0,400,1.2", "impossible"),
        (lambda t: t + "\nred,1.0,0.0,400,0.1", "repeated"),
        (lambda t: t + "\ngreen,1.0,0.0,400,0.1", "same wavelengths"),
        (lambda t: t + "\nred,0.7,0.7,400,0.1", "fractions"),
        (lambda t: t + "\nred,x,0.0,400,0.1", "number"),
        (lambda t: "\n".join(line for line in t.splitlines() if not line.startswith("white,")), "white"),
        (lambda t: "\n".join(line for line in t.splitlines() if not line.startswith("red,0.")), "tint"),
    ],
)
def test_bad_drawdowns_are_refused(mangle, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DrawdownError, match=message):
        _fit(mangle(drawdown_csv(LIBRARY)))


def test_drawdowns_that_imply_negative_scattering_are_refused() -> None:
    """Tints darker than their masstone: adding white cannot do that, the fit would need S < 0."""
    masstone = {}
    rows = drawdown_csv(LIBRARY).splitlines()
    for line in rows[1:]:
        base, fraction, white, wavelength, value = line.split(",")
        if base == "red" and white == "0.0":
            masstone[wavelength] = float(value)
    darker = []
    for line in rows:
        base, fraction, white, wavelength, value = line.split(",")
        if base == "red" and white not in {"0.0", "white_fraction"}:
            value = f"{masstone[wavelength] * 0.6:.9f}"
        darker.append(",".join([base, fraction, white, wavelength, value]))
    wavelengths, drawdowns = parse_drawdowns("\n".join(darker))
    with pytest.raises(DrawdownError, match="negative"):
        fit_library(wavelengths, drawdowns, LIBRARY.S[0], LIBRARY, "x")
