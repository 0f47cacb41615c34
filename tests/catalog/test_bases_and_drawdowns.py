"""Base libraries: loading, export round trip, validation; fitting K and S back from drawdowns, the fit's residuals,
the example drawdown file; the batch target of a recipe."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from catalog.appearance import Lab_under, film_reflectance
from catalog.bases import BaseLibrary, BaseLibraryError
from catalog.correction import correct_batch, masstone_Lab, target_masstone_Lab
from catalog.drawdowns import (
    DEFAULT_TINTS,
    MAX_FIT_RESIDUAL_DE00,
    DrawdownError,
    drawdowns_csv,
    fit_library,
    fit_residuals,
    parse_drawdowns,
)
from catalog.packaged_data import UnknownLibrary, load_library
from catalog.recipe import grams_for_batch
from catalog.skin_spectrum import skin_reflectance_from_Lab
from color.colorimetry import delta_E00_between

LIBRARY = load_library("demo-2026.3")
EXAMPLE = Path(__file__).resolve().parents[2] / "catalog" / "examples" / "drawdowns-example.csv"


def drawdown_csv(library: BaseLibrary, tints: tuple[float, ...] = DEFAULT_TINTS) -> str:
    return drawdowns_csv(library, tints)


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


LINES = drawdown_csv(LIBRARY).count("\n")  # the header and one line per drawdown and wavelength
NEXT = LINES + 1  # the line a row appended to the file is on


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace("reflectance", "refl", 1), "Line 1: .*header"),
        (lambda t: t + "red,1.0,0.0,400,1.2", f"Line {NEXT}: reflectance 1.2 is impossible"),
        (lambda t: t + "red,1,0,400,0.1", f"Line {NEXT}: wavelength 400 nm repeated"),
        (lambda t: t + "green,1.0,0.0,400,0.1", f"Line {NEXT}: every drawdown must be measured at the same"),
        (lambda t: t + "red,0.7,0.7,400,0.1", f"Line {NEXT}: fractions"),
        (lambda t: t + "red,x,0.0,400,0.1", f"Line {NEXT}: base_fraction 'x' is not a number"),
        (lambda t: t + "red,1,0,400", f"Line {NEXT}: reflectance is missing"),
        (lambda t: t + "red,1,0,400,0.1,7", f"Line {NEXT}: more values"),
        (lambda t: t + "red,1,0,400,nan", f"Line {NEXT}: reflectance must be finite"),
        (lambda t: t + ",1,0,400,0.1", f"Line {NEXT}: base is missing"),
        (lambda t: t.replace("\nred,1,0,380,", "\n\nred,1,0,380,", 1) + "red,x,0,400,0.1", f"Line {NEXT + 1}:"),
        (lambda t: "\n".join(line for line in t.splitlines() if not line.startswith("white,")), "white"),
        (lambda t: "\n".join(line for line in t.splitlines() if not line.startswith("red,0.")), "tint"),
        (lambda t: "base,base_fraction,white_fraction,wavelength_nm,reflectance\n", "no rows"),
    ],
)
def test_bad_drawdowns_are_refused_with_the_line(mangle, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DrawdownError, match=message):
        _fit(mangle(drawdown_csv(LIBRARY)))


def test_a_base_the_library_does_not_have_is_refused_with_its_line() -> None:
    text = drawdown_csv(LIBRARY)
    green = "".join(f"green,1,0,{w:g},0.3\n" for w in LIBRARY.wavelengths_nm)
    with pytest.raises(DrawdownError, match=f"Line {NEXT}: base 'green' is not in the library"):
        _fit(text + green)


def test_drawdowns_on_another_wavelength_grid_are_refused_saying_which() -> None:
    shifted = "\n".join(
        line if i == 0 else ",".join([*line.split(",")[:3], str(float(line.split(",")[3]) + 5), line.split(",")[4]])
        for i, line in enumerate(drawdown_csv(LIBRARY).splitlines())
    )
    with pytest.raises(DrawdownError, match=r"wavelength grid, 380-730 nm every 10 nm \(36 values\)"):
        _fit(shifted)


def test_the_example_file_is_the_demo_library_and_fits_back_to_it() -> None:
    """``catalog/examples/drawdowns-example.csv`` is ``drawdowns_csv`` of the demo library (regenerate it so if the
    library changes); fitting it gives the library back, with residuals of nothing but the file's 9 decimals."""
    text = EXAMPLE.read_text()
    assert text == drawdowns_csv(LIBRARY)
    wavelengths, drawdowns = parse_drawdowns(text)
    assert len(drawdowns) == 1 + 3 * (len(LIBRARY.names) - 1)
    fitted = fit_library(wavelengths, drawdowns, LIBRARY.S[0], LIBRARY, "lab-example")
    assert pytest.approx(LIBRARY.K, rel=1e-4, abs=1e-6) == fitted.K
    assert pytest.approx(LIBRARY.S, rel=1e-4, abs=1e-6) == fitted.S
    residuals = fit_residuals(fitted, drawdowns)
    assert [r.base for r in residuals] == list(LIBRARY.names)
    assert [r.drawdowns for r in residuals] == [1] + [3] * (len(LIBRARY.names) - 1)
    assert max(r.max_dE00 for r in residuals) < 1e-4


def test_residuals_point_at_a_drawdown_the_model_cannot_explain() -> None:
    """A tint whose label says 5 % base but which holds 20 % (a mislabelled drawdown): the fit cannot reproduce
    every drawdown of that base, and the residual names the base and beyond the limit."""
    rows = drawdown_csv(LIBRARY).splitlines()
    twenty = {line.split(",")[3]: line.split(",")[4] for line in rows if line.startswith("red,0.2,0.8,")}
    mangled = [
        f"red,0.05,0.95,{line.split(',')[3]},{twenty[line.split(',')[3]]}" if line.startswith("red,0.05,") else line
        for line in rows
    ]
    wavelengths, drawdowns = parse_drawdowns("\n".join(mangled))
    fitted = fit_library(wavelengths, drawdowns, LIBRARY.S[0], LIBRARY, "x")
    residuals = {r.base: r for r in fit_residuals(fitted, drawdowns)}
    assert residuals["red"].max_dE00 > MAX_FIT_RESIDUAL_DE00
    assert rows[residuals["red"].worst_line - 1].startswith("red,")
    assert all(r.max_dE00 < 1e-4 for name, r in residuals.items() if name != "red")


def test_drawdowns_that_imply_negative_scattering_are_refused() -> None:
    """Tints darker than their masstone: adding white cannot do that, the fit would need S < 0."""
    masstone = {}
    rows = drawdown_csv(LIBRARY).splitlines()
    for line in rows[1:]:
        base, fraction, white, wavelength, value = line.split(",")
        if base == "red" and white == "0":
            masstone[wavelength] = float(value)
    darker = []
    for line in rows:
        base, fraction, white, wavelength, value = line.split(",")
        if base == "red" and white not in {"0", "white_fraction"}:
            value = f"{masstone[wavelength] * 0.6:.9f}"
        darker.append(",".join([base, fraction, white, wavelength, value]))
    wavelengths, drawdowns = parse_drawdowns("\n".join(darker))
    with pytest.raises(DrawdownError, match="negative"):
        fit_library(wavelengths, drawdowns, LIBRARY.S[0], LIBRARY, "x")


def test_the_batch_target_is_the_recipes_and_the_same_at_every_size() -> None:
    """The target masstone comes from the recipe's exact fractions; the grams weighed for a size are rounded, and
    their masstone is only a prediction near it. A batch measured on target needs no addition at any size."""
    fractions = np.zeros(len(LIBRARY.names))
    fractions[:4] = [0.2403, 0.1507, 0.0297, 0.0093]
    target = target_masstone_Lab(LIBRARY, fractions)
    for size in (15.0, 30.0, 50.0, 1000.0):
        grams, _ = grams_for_batch(fractions, size, 0.01)
        predicted = masstone_Lab(LIBRARY, grams, size)
        assert delta_E00_between(predicted, target) < 0.2
        on_target = correct_batch(LIBRARY, grams, size, target, target_Lab=target)
        assert on_target.within_tolerance_before
        assert on_target.intended_Lab_D65 == pytest.approx(target)
        light = correct_batch(LIBRARY, grams, size, target + np.array([2.5, 0.0, 0.0]), target_Lab=target)
        assert not light.within_tolerance_before
        assert light.intended_Lab_D65 == pytest.approx(target)
        assert np.all(light.additions_g >= 0)
        assert light.predicted_delta_E00_after < light.delta_E00_before


def test_a_library_fitted_on_the_physical_template_keeps_its_per_skin_loads_and_provenance() -> None:
    """A lab replacing the physical default by its own fit keeps the per-skin load ranges (without them every
    recipe would sit at one fixed load) and the template's sources and regulatory status, saying it was fitted."""
    physical = load_library("phys-2026.2")
    wavelengths, drawdowns = parse_drawdowns(drawdowns_csv(physical))
    fitted = fit_library(wavelengths, drawdowns, physical.S[0], physical, "lab-phys")
    assert fitted.pigment_load_range == physical.pigment_load_range
    assert fitted.metadata["template"] == "phys-2026.2"
    assert fitted.metadata["grades"] == physical.metadata["grades"]
    assert "fitted from" in fitted.metadata["kind"]
    assert pytest.approx(physical.K, rel=1e-3, abs=1e-6) == fitted.K
    assert BaseLibrary.from_dict(fitted.to_dict()).pigment_load_range == physical.pigment_load_range
