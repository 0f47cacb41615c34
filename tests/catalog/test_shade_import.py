"""Reading catalogue files: the columns read, how the colour space is known, rows skipped, duplicates merged, every
refusal named; the CSV written reads back to the same shades; a shade listed twice is listed once."""

from __future__ import annotations

from pathlib import Path

import colour
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import shade_import
from catalog.shade_import import catalogue_csv, read_catalogue
from catalog.shades import (
    CatalogueEmpty,
    CatalogueEncoding,
    CatalogueTooLarge,
    InvalidHex,
    LabOutOfRange,
    MissingColumns,
    RowsSkipped,
    Shade,
    ShadeIndex,
    UnknownColourSpace,
    unique_shades,
)
from color.colorimetry import delta_E00

PUDDING_LIKE = (
    "brand,product,name,specific,colorspace,hex\nAcme,Silk,NA,01,RGB,#C8A07A\nAcme,Silk,Sand,NA,RGB,#B08060\n"
)


def _Lab_of_hex(value: str) -> np.ndarray:
    rgb = np.array([int(value[i : i + 2], 16) for i in (0, 2, 4)]) / 255
    return np.asarray(colour.XYZ_to_Lab(colour.sRGB_to_XYZ(rgb)))


class TestColumnsAndColourSpace:
    def test_a_hex_file_is_sRGB_and_NA_is_no_value(self) -> None:
        result = read_catalogue(PUDDING_LIKE)
        assert [(s.name, s.code) for s in result.shades] == [("", "01"), ("Sand", "")]
        assert result.columns["name"] == "name"
        assert result.columns["code"] == "specific"
        assert result.colour_spaces == {"sRGB from the hex column (sRGB by the web's convention)": 2}
        assert np.allclose(result.shades[0].Lab_D65, _Lab_of_hex("C8A07A"), atol=5e-4)

    def test_Lab_columns_need_their_colour_space_stated(self) -> None:
        text = "brand,product,shade_code,L_star,a_star,b_star\nAcme,Silk,01,60,12,18\n"
        with pytest.raises(UnknownColourSpace, match="D50"):
            read_catalogue(text)
        shade = read_catalogue(text, colour_space="CIELAB D65").shades[0]
        assert shade.Lab_D65 == (60.0, 12.0, 18.0)
        assert shade.colour_space == "CIELAB D65"

    def test_a_row_s_colour_space_column_wins_over_the_option(self) -> None:
        text = "brand,product,shade_code,colour_space,L,a,b,hex\nA,P,1,CIELAB D65,60,12,18,\nA,P,2,,,,,#C8A07A\n"
        shades = read_catalogue(text, colour_space="sRGB").shades
        assert [s.colour_space for s in shades] == ["CIELAB D65", "sRGB"]
        with pytest.raises(UnknownColourSpace, match="Row 3: no colour space"):
            read_catalogue(text)  # a colour_space column left empty is not taken as "hex, so sRGB"

    @pytest.mark.parametrize("space", ["Adobe RGB", "srgb", "Lab", "CIELAB D50"])
    def test_unknown_colour_spaces(self, space: str) -> None:
        with pytest.raises(UnknownColourSpace, match="must be one of"):
            read_catalogue(f"brand,product,shade_code,colour_space,hex\nA,P,1,{space},#aabbcc\n")
        with pytest.raises(UnknownColourSpace):
            read_catalogue(PUDDING_LIKE, colour_space=space)


class TestSkippedAndMerged:
    def test_rows_without_name_or_code_are_skipped_and_reported(self) -> None:
        text = "brand,product,shade_name,shade_code,hex\nA,P,,,#aabbcc\nA,P,Ivory,,#C8A07A\n,P,X,1,#aabbcc\n"
        result = read_catalogue(text)
        assert [s.name for s in result.shades] == ["Ivory"]
        assert [(r.line, r.reason) for r in result.skipped] == [(2, "no shade name or code"), (4, "no brand")]
        with pytest.raises(RowsSkipped, match="2 rows") as refused:
            read_catalogue(text, strict=True)
        assert refused.value.line == 2

    def test_a_skipped_row_s_colour_is_not_read(self) -> None:
        assert len(read_catalogue("brand,product,shade_name,hex\nA,P,,not-a-colour\nA,P,N,#aabbcc\n").shades) == 1

    def test_duplicates_are_merged_at_their_mean_with_the_spread(self) -> None:
        text = (
            "brand,product,shade_name,shade_code,colour_space,L,a,b\nA,P,Ivory,01,CIELAB D65,60,10,20\n"
            "a, p ,IVORY,01,CIELAB D65,62,10,20\nA,P,Ivory,02,CIELAB D65,50,10,20\n"
        )
        result = read_catalogue(text)
        assert len(result.shades) == 2
        (merged,) = result.merged
        assert merged.lines == (2, 3)
        assert merged.shade.Lab_D65 == (61.0, 10.0, 20.0)
        spread = delta_E00([[60, 10, 20], [62, 10, 20]], [61, 10, 20]).max()  # S_L depends on the pair's mean L*
        assert merged.spread_dE00 == pytest.approx(float(spread), abs=1e-3)
        assert result.rows_merged == 1


class TestRefusals:
    @pytest.mark.parametrize(
        ("text", "error", "message"),
        [
            ("", CatalogueEmpty, "empty"),
            ("brand,product,shade_name,hex\n", CatalogueEmpty, "no rows"),
            ("brand,product,shade_name,hex\n,,,\n", CatalogueEmpty, "None of the 1 rows"),
            ("brand,shade_name,hex\nA,N,#aabbcc\n", MissingColumns, "no product column"),
            ("brand,product,hex\nA,P,#aabbcc\n", MissingColumns, "shade name or shade code column"),
            ("brand,product,shade_name,colour_space\nA,P,N,sRGB\n", MissingColumns, "hex column"),
            ("brand,product,shade_name,hex\nA,P,N,#zzzzzz\n", InvalidHex, "Row 2: '#zzzzzz'"),
            ("brand,product,shade_name,hex\nA,P,N,#abc\n", InvalidHex, "six-digit"),
            ("brand,product,shade_name,colour_space,L,a,b\nA,P,N,CIELAB D65,150,0,0\n", LabOutOfRange, "Row 2"),
            ("brand,product,shade_name,colour_space,L,a,b\nA,P,N,CIELAB D65,50,0,200\n", LabOutOfRange, "outside"),
            ("brand,product,shade_name,colour_space,L,a,b\nA,P,N,CIELAB D65,nan,0,0\n", LabOutOfRange, "outside"),
            ("brand,product,shade_name,colour_space,L,a,b\nA,P,N,CIELAB D65,x,0,0\n", LabOutOfRange, "numeric"),
        ],
    )
    def test_each_refusal_names_what_is_wrong(self, text: str, error: type[Exception], message: str) -> None:
        with pytest.raises(error, match=message):
            read_catalogue(text.encode())

    def test_missing_columns_are_named(self) -> None:
        with pytest.raises(MissingColumns) as refused:
            read_catalogue("shade_name,hex\nN,#aabbcc\n")
        assert refused.value.columns == ("brand", "product")

    def test_encodings(self) -> None:
        latin1 = "brand,product,shade_name,hex\nLancôme,Teint,Beige,#C8A07A\n"
        with pytest.raises(CatalogueEncoding, match="byte 0xf4 on line 2 is not UTF-8"):
            read_catalogue(latin1.encode("latin-1"))
        with pytest.raises(CatalogueEncoding, match="UTF-16"):
            read_catalogue(latin1.encode("utf-16"))
        with pytest.raises(CatalogueEncoding, match="NUL"):
            read_catalogue(b"brand,product\x00")
        assert read_catalogue(b"\xef\xbb\xbf" + latin1.encode()).shades[0].brand == "Lancôme"  # BOM of Excel

    def test_size_limits(self, monkeypatch: pytest.MonkeyPatch) -> None:
        with pytest.raises(CatalogueTooLarge, match="the limit is 10 bytes"):
            read_catalogue(PUDDING_LIKE.encode(), max_bytes=10)
        monkeypatch.setattr(shade_import, "MAX_ROWS", 1)
        with pytest.raises(CatalogueTooLarge, match="more than 1 rows"):
            read_catalogue(PUDDING_LIKE)


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
    lambda t: " ".join(t.split()) == t and t.casefold() not in shade_import.NO_VALUE
)
shades = st.builds(
    Shade,
    brand=texts,
    product=texts,
    name=texts,
    code=st.just(""),
    Lab_D65=st.tuples(
        st.floats(0, 100).map(lambda v: round(v, 3)),
        st.floats(-128, 128).map(lambda v: round(v, 3)),
        st.floats(-128, 128).map(lambda v: round(v, 3)),
    ),
    colour_space=st.sampled_from(["sRGB", "CIELAB D65"]),
    approximate=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(shades, min_size=1, max_size=8, unique_by=lambda s: (s.brand.casefold(), s.product.casefold(),
                                                                    s.name.casefold())))  # fmt: skip
def test_the_csv_written_reads_back_to_the_same_shades(listed: list[Shade]) -> None:
    text = catalogue_csv(listed)
    assert list(read_catalogue(text).shades) == listed
    assert catalogue_csv(read_catalogue(text.encode()).shades) == text


class TestListedOnce:
    def _shade(self, brand: str, name: str, Lab: tuple[float, float, float], source: str = "") -> Shade:
        return Shade(brand, "P", name, "", Lab, "CIELAB D65", False, source)

    def test_one_product_listed_by_two_sources_is_listed_once(self) -> None:
        first, again = self._shade("A", "Ivory", (60, 10, 20), "s1"), self._shade("a", "IVORY", (61, 10, 20), "s2")
        assert unique_shades([first, again]) == [first]

    def test_one_colour_of_a_brand_is_listed_once_another_brand_s_is_kept(self) -> None:
        a1, a2 = self._shade("A", "Ivory", (60, 10, 20)), self._shade("A", "Porcelain", (60.02, 10, 20))
        b1 = self._shade("B", "Ivory", (60, 10, 20))
        far = self._shade("A", "Sand", (60.3, 10, 20))
        assert unique_shades([a1, a2, b1, far]) == [a1, b1, far]

    def test_the_index_never_answers_a_shade_twice(self) -> None:
        rng = np.random.default_rng(5)
        base = [
            self._shade("A", f"n{i}", tuple(v)) for i, v in enumerate(rng.uniform([40, 5, 10], [70, 20, 30], (50, 3)))
        ]
        copies = [Shade(s.brand.lower(), s.product, s.name.upper(), "", s.Lab_D65, "sRGB", True, "other") for s in base]
        found = ShadeIndex([*base, *copies]).nearest([55, 12, 18], count=10)
        assert len({(m.shade.brand.casefold(), m.shade.name.casefold()) for m in found}) == 10
        assert all(m.shade.source == "" for m in found)  # the first listed is kept


REAL_FILES = {
    # file: rows read, rows skipped, shades stored, shades merged
    "foundation_shades_combined_lab.csv": (7441, 625, 6750, 66),
    "pudding_foundation_names_2021_allShades.csv": (6816, 0, 6750, 66),
    "pudding_foundation_names_2021_allNumbers.csv": (3117, 0, 3117, 0),
    "pudding_foundation_names_2021_allCategories.csv": (5307, 0, 5237, 67),
}


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_the_real_catalogue_files_import_as_they_are(shared_data: Path, name: str) -> None:
    result = read_catalogue((shared_data / "foundation_shades" / name).read_bytes())
    rows, skipped, stored, merged = REAL_FILES[name]
    assert (result.rows_read, len(result.skipped), len(result.shades), len(result.merged)) == REAL_FILES[name]
    assert {r.reason for r in result.skipped} <= {"no shade name or code"}
    assert rows - skipped - result.rows_merged == stored
    assert merged == len(result.merged)


def test_the_2018_shades_have_no_names_and_are_refused(shared_data: Path) -> None:
    with pytest.raises(MissingColumns, match="cannot be told apart"):
        read_catalogue((shared_data / "foundation_shades" / "pudding_makeup_shades_2018.csv").read_bytes())


def test_the_combined_file_s_Lab_columns_are_its_hex_in_CIELAB_D65(shared_data: Path) -> None:
    data = (shared_data / "foundation_shades" / "foundation_shades_combined_lab.csv").read_bytes()
    from_hex, from_Lab = read_catalogue(data), read_catalogue(data, colour_space="CIELAB D65")
    Lab_hex = np.array([s.Lab_D65 for s in from_hex.shades])
    Lab_Lab = np.array([s.Lab_D65 for s in from_Lab.shades])
    assert delta_E00(Lab_hex, Lab_Lab).max() < 0.02  # the file's L*a*b* were rounded to 0.01
