"""Mie theory to Kubelka-Munk: known efficiencies, the physics of the pigments, the library builder and its CLI."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from catalog.bases import BaseLibrary
from catalog.mie_pigments import lognormal_nodes, mie_efficiencies, optical_coefficients, pigment_KS
from catalog.optical_constants import OpticalConstantsError, complex_index, parse_optical_constants
from catalog.packaged_data import load_library
from catalog.physical_bases import VERSION, physical_library

CONSTANTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "pigments"
CONSTANTS_CSV = CONSTANTS / "pigment_optical_constants_nk_300-1000nm.csv"
needs_constants = pytest.mark.skipif(not CONSTANTS_CSV.is_file(), reason="../shared/data/pigments is absent")
W = np.arange(380.0, 731.0, 10.0)


@cache
def table_text() -> str:
    return CONSTANTS_CSV.read_text()


class TestMieEfficiencies:
    def test_miepython_documented_example(self) -> None:
        # miepython's own docstring example (efficiencies_mx): m = 1.5 − 0.01i, x = 2.
        qext, qsca, g = mie_efficiencies(1.5 + 0.01j, 2.0)
        assert float(qext) == pytest.approx(1.812597, abs=1e-6)
        assert float(qsca) == pytest.approx(1.724396, abs=1e-6)
        assert float(g) == pytest.approx(0.630214, abs=1e-6)

    def test_small_non_absorbing_sphere_is_rayleigh(self) -> None:
        # Bohren & Huffman (1983) eq. 5.8: Q_sca = (8/3) x⁴ |(m² − 1)/(m² + 2)|² as x → 0; g → 0.
        m, x = 1.5, 0.01
        qext, qsca, g = mie_efficiencies(m, x)
        expected = 8.0 / 3.0 * x**4 * abs((m**2 - 1) / (m**2 + 2)) ** 2
        assert float(qsca) == pytest.approx(expected, rel=1e-3)
        assert float(qext) == pytest.approx(float(qsca), rel=1e-6)  # nothing absorbed
        assert abs(float(g)) < 1e-3

    def test_large_sphere_extinction_paradox(self) -> None:
        # Extinction efficiency tends to 2 for large spheres (Bohren & Huffman 1983, §4.4.4).
        qext, _, _ = mie_efficiencies(1.33 + 0.01j, 2000.0)
        assert float(qext) == pytest.approx(2.0, abs=0.02)

    def test_arrays_broadcast(self) -> None:
        qext, qsca, g = mie_efficiencies(np.array([[1.5 + 0.01j, 1.8]]), np.array([[1.0], [2.0], [3.0]]))
        assert qext.shape == qsca.shape == g.shape == (3, 2)


def test_lognormal_nodes_reproduce_moments() -> None:
    diameters, weights = lognormal_nodes(0.2, 1.5)
    assert weights.sum() == pytest.approx(1.0)
    # ⟨d³⟩ of a log-normal number distribution: d_g³ exp(4.5 ln² σ_g).
    assert np.sum(weights * diameters**3) == pytest.approx(0.2**3 * np.exp(4.5 * np.log(1.5) ** 2), rel=1e-6)
    with pytest.raises(ValueError, match="geometric SD"):
        lognormal_nodes(0.2, 0.9)


def test_non_absorbing_pigment_has_no_K() -> None:
    c = optical_coefficients(np.full(W.size, 2.7 + 0j), W, 1.47, 0.25, 1.4)
    assert np.all(c.mu_a == 0)
    assert np.all(c.mu_s > 0)
    assert np.all((c.g > 0) & (c.g < 1))


@needs_constants
class TestPigments:
    def test_K_and_S_are_not_negative(self) -> None:
        library = physical_library(table_text())
        assert np.all(library.K >= 0)
        assert np.all(library.S >= 0)
        assert np.all(np.isfinite(library.K))
        assert np.all(np.isfinite(library.S))

    def test_titanium_dioxide_scatters_far_more_than_iron_oxides(self) -> None:
        # Per unit mass, in the blue-green; over the whole visible titanium dioxide still scatters most, but fine
        # hematite comes close in the red, where its index (about 3.0) exceeds rutile's (2.6).
        library = physical_library(table_text())
        blue_green, visible = (W >= 450) & (W <= 550), (W >= 450) & (W <= 700)
        white = library.S[library.names.index("white")]
        # Weakly absorbing goethite (index about 2.4) scatters nearly as well: yellow oxide hides well too; so
        # does phys-2026.3's narrow fine red (0.11 µm, σg 1.3: its particles sit near hematite's optimum size).
        for name in ("yellow", "red", "red_blue", "black", "black_fine"):
            S = library.S[library.names.index(name)]
            assert white[blue_green].mean() > (1.2 if name in ("yellow", "red") else 1.8) * S[blue_green].mean(), name
            assert white[visible].mean() > S[visible].mean(), name
        # ... and hardly absorbs above 420 nm, where it is transparent.
        assert np.all(library.K[library.names.index("white"), W >= 420] < 1e-3)

    def test_hematite_absorbs_blue_more_than_red(self) -> None:
        table = parse_optical_constants(table_text())
        K, _ = pigment_KS(
            complex_index(table, "hematite", W), W, n_medium=1.47, median_um=0.15, gsd=1.5, density_g_cm3=5.26
        )
        assert K[W == 450][0] > 3 * K[W == 700][0]

    def test_goethite_edge_lies_blueward_of_hematite(self) -> None:
        table = parse_optical_constants(table_text())
        hematite, goethite = (complex_index(table, m, W).imag for m in ("hematite", "goethite"))
        half = [W[np.argmin(np.abs(k - (k.max() + k.min()) / 2))] for k in (hematite, goethite)]
        assert half[1] < half[0]

    def test_yellow_and_black_masstones_are_the_stated_pigment_facts(self) -> None:
        # The two approximated k (catalog.optical_constants): goethite's edge is fitted to a masstone of L* 60,
        # a* 10, b* 50; the flat magnetite k gives a near-neutral black.
        from catalog.appearance import Lab_under, film_reflectance

        library = physical_library(table_text())

        def masstone(name: str) -> np.ndarray:
            fractions = np.where(np.array(library.names) == name, 0.1, 0.0)
            return Lab_under(library.wavelengths_nm, film_reflectance(library, fractions, "medium", None))

        yellow, black = masstone("yellow"), masstone("black")
        np.testing.assert_allclose(yellow, [60.0, 10.0, 50.0], atol=0.5)
        assert black[0] < 18
        assert abs(black[1]) < 2
        assert abs(black[2]) < 3

    def test_previous_physical_library_still_loads(self) -> None:
        assert load_library("phys-2026.1").names == load_library(VERSION).names

    def test_coarse_hematite_absorbs_less_per_mass(self) -> None:
        # Large absorbing particles shade their own interior: the coarse (bluish) grade is weaker per gram.
        library = physical_library(table_text())
        fine, coarse = (library.K[library.names.index(n), W == 500][0] for n in ("red", "red_blue"))
        assert coarse < 0.5 * fine

    def test_library_round_trips_with_its_metadata(self) -> None:
        library = physical_library(table_text())
        again = BaseLibrary.from_dict(json.loads(json.dumps(library.to_dict())))
        assert again.metadata["medium_refractive_index"] == pytest.approx(1.47)
        assert again.pigment_load_range == library.pigment_load_range
        assert {"21 CFR 73.2250" in g["us_status"] for g in again.metadata["grades"][1:]} == {True}

    def test_packaged_library_is_what_the_builder_makes(self) -> None:
        packaged = load_library(VERSION)
        built = physical_library(table_text())
        assert packaged.names == built.names
        np.testing.assert_allclose(packaged.K, built.K, atol=2e-6)
        np.testing.assert_allclose(packaged.S, built.S, atol=2e-6)


class TestBadConstants:
    def test_missing_columns(self) -> None:
        with pytest.raises(OpticalConstantsError, match="lacks the column"):
            parse_optical_constants("material,n\nTiO2,2.5\n")

    def test_garbage_numbers(self) -> None:
        with pytest.raises(OpticalConstantsError, match="Line 2"):
            parse_optical_constants("material,source_dataset,wavelength_nm,n,k\nFe2O3,Querry-o,abc,2,1\n")

    def test_negative_k(self) -> None:
        with pytest.raises(OpticalConstantsError, match="not negative"):
            parse_optical_constants("material,source_dataset,wavelength_nm,n,k\nFe2O3,Querry-o,500,2,-1\n")

    def test_missing_material(self) -> None:
        table = parse_optical_constants("material,source_dataset,wavelength_nm,n,k\nFe2O3,Querry-o,500,2,1\n")
        with pytest.raises(OpticalConstantsError, match="no Fe3O4"):
            complex_index(table, "magnetite", W)
        with pytest.raises(OpticalConstantsError, match="covers 500-500 nm"):
            complex_index(table, "hematite", W)
        with pytest.raises(OpticalConstantsError, match="Unknown pigment material"):
            complex_index(table, "carmine", W)


class TestBuildCommand:
    def invoke(self, *args: str) -> tuple[int, str]:
        from api.cli.science import bases

        result = CliRunner().invoke(bases, ["build", *args])
        return result.exit_code, result.output

    def test_missing_file_is_a_clear_error(self, tmp_path: Path) -> None:
        code, output = self.invoke("--constants", str(tmp_path / "none.csv"), "-o", str(tmp_path / "x.json"))
        assert code != 0
        assert "no such file" in output
        assert not (tmp_path / "x.json").exists()

    def test_malformed_file_is_refused(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.csv"
        bad.write_text("a,b\n1,2\n")
        code, output = self.invoke("--constants", str(bad), "-o", str(tmp_path / "x.json"))
        assert code != 0
        assert "lacks the column" in output
        assert not (tmp_path / "x.json").exists()

    def test_bad_version_name(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.csv"
        bad.write_text("material,source_dataset,wavelength_nm,n,k\n")
        code, output = self.invoke("--constants", str(bad), "--version", "../x", "-o", str(tmp_path / "x.json"))
        assert code != 0
        assert "version" in output

    @needs_constants
    def test_builds_a_library(self, tmp_path: Path) -> None:
        out = tmp_path / "lib.json"
        code, output = self.invoke("--constants", str(CONSTANTS_CSV), "--version", "phys-test", "-o", str(out))
        assert code == 0, output
        library = BaseLibrary.from_dict(json.loads(out.read_text()))
        assert library.version == "phys-test"
        assert len(library.names) == 6
