"""The physical library's pigment grades: the EU nanomaterial test, regulatory status, and the grade choice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.packaged_data import load_library
from catalog.physical_bases import (
    GRADES,
    NANO_NUMBER_SHARE,
    VERSION,
    eu_nano_status,
    nano_number_share,
    physical_library,
)

CONSTANTS_CSV = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "pigments" / "pigment_optical_constants_nk_300-1000nm.csv"
)
needs_constants = pytest.mark.skipif(not CONSTANTS_CSV.is_file(), reason="../shared/data/pigments is absent")
RED = next(g for g in GRADES if g.name == "red")


class TestNanoShare:
    def test_known_values(self) -> None:
        # Φ(ln(0.1/d_g) / ln σg): the median at 100 nm puts exactly half below; 0.12 µm, σg 1.5 gives Φ(−0.450).
        assert nano_number_share(replace(RED, median_um=0.1, gsd=1.5)) == pytest.approx(0.5)
        assert nano_number_share(replace(RED, median_um=0.12, gsd=1.5)) == pytest.approx(0.3264, abs=1e-4)
        assert nano_number_share(replace(RED, median_um=0.03, gsd=1.5)) > 0.99

    def test_monodisperse_is_a_step(self) -> None:
        assert nano_number_share(replace(RED, median_um=0.099, gsd=1.0)) == 1.0
        assert nano_number_share(replace(RED, median_um=0.101, gsd=1.0)) == 0.0

    @given(st.floats(0.02, 1.0), st.floats(0.02, 1.0), st.floats(1.05, 2.0))
    def test_finer_grades_have_more_nano_particles(self, a: float, b: float, gsd: float) -> None:
        small, large = sorted((a, b))
        assert nano_number_share(replace(RED, median_um=small, gsd=gsd)) >= nano_number_share(
            replace(RED, median_um=large, gsd=gsd)
        )

    def test_status_says_which(self) -> None:
        assert eu_nano_status(replace(RED, median_um=0.03)).startswith("a nanomaterial")
        assert eu_nano_status(RED).startswith("not a nanomaterial")


class TestShippedGrades:
    def test_every_grade_is_sold_outside_the_nano_definition(self) -> None:
        # The shipped library must be sellable in the EU and Korea: no grade with half its particles below 100 nm.
        assert all(nano_number_share(g) < NANO_NUMBER_SHARE for g in GRADES)

    def test_metadata_carries_each_grades_status(self) -> None:
        grades = load_library(VERSION).metadata["grades"]
        assert [g["name"] for g in grades] == [g.name for g in GRADES]
        for grade in grades:
            assert grade["nano_number_share"] < NANO_NUMBER_SHARE
            assert grade["eu_nanomaterial"].startswith("not a nanomaterial")
            assert "no limit on particle size" in grade["us_status"]
            assert "to be verified" in grade["kr_status"]
        yellow = next(g for g in grades if g["name"] == "yellow")
        assert "needles" in yellow["eu_nanomaterial"]  # the sphere model leaves the needles' width out

    def test_earlier_physical_libraries_still_load(self) -> None:
        names = load_library(VERSION).names
        assert load_library("phys-2026.1").names == names
        assert load_library("phys-2026.2").names == names


@needs_constants
class TestGradeChoice:
    def test_other_grades_give_other_bases(self) -> None:
        table = CONSTANTS_CSV.read_text()
        extra = replace(RED, name="red_transparent", median_um=0.03)
        library = physical_library(table, grades=(*GRADES, extra))
        assert library.names[-1] == "red_transparent"
        # Transparent oxide: far less scattering per gram than the fine pigmentary grade, as its name says.
        assert library.S[-1].mean() < 0.3 * library.S[library.names.index("red")].mean()

    def test_narrow_fine_red_tints_cleaner_than_2026_2s(self) -> None:
        # Why 2026.3 changed the red: with rutile (1:10) its tint is redder and yellower than 2026.2's grade.
        from catalog.appearance import Lab_under, film_reflectance

        def tint(library_version: str) -> np.ndarray:
            library = load_library(library_version)
            fractions = np.zeros(len(library.names))
            fractions[library.names.index("white")], fractions[library.names.index("red")] = 0.1, 0.01
            return Lab_under(library.wavelengths_nm, film_reflectance(library, fractions, "full", None))

        new, old = tint(VERSION), tint("phys-2026.2")
        assert new[1] > old[1] + 2
        assert new[2] > old[2] + 4
