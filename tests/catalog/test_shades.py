"""Shade catalogue: import rules (a colour space on every row, all or nothing) and the nearest-shade search."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import colour
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.shades import CatalogueError, ShadeIndex, parse_catalogue

HEADER = "brand,product,shade_name,shade_code,colour_space,L,a,b,hex"
GOOD = [
    "Acme,Silk,Ivory,01,CIELAB D65,80,6,15,",
    "Acme,Silk,Sand,02,sRGB,,,,#C8A07A",
    "Acme,Silk,,03W,CIELAB D65,45,14,20,",
]


def test_csv_with_lab_and_hex() -> None:
    shades = parse_catalogue("\n".join([HEADER, *GOOD]), "csv")
    assert [s.name or s.code for s in shades] == ["Ivory", "Sand", "03W"]
    expected = colour.XYZ_to_Lab(colour.sRGB_to_XYZ(np.array([0xC8, 0xA0, 0x7A]) / 255))
    assert shades[1].Lab_D65 == pytest.approx(tuple(expected), abs=5e-4)  # stored to 0.001 (LAB_DECIMALS)


def test_json_catalogue() -> None:
    rows = [
        {"brand": "B", "product": "P", "shade_name": "N", "colour_space": "sRGB", "hex": "aabbcc", "approximate": True}
    ]
    shade = parse_catalogue(json.dumps(rows), "json")[0]
    assert shade.approximate


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("Acme,Silk,Dune,04,,50,10,10,", "colour_space"),
        ("Acme,Silk,Dune,04,Adobe RGB,,,,#aabbcc", "colour_space must be"),
        ("Acme,Silk,Dune,04,sRGB,,,,#zzzzzz", "hex"),
        ("Acme,Silk,Dune,04,CIELAB D65,fifty,10,10,", "numeric"),
        ("Acme,Silk,Dune,04,CIELAB D65,150,10,10,", "outside"),
        ("Acme,Silk,Dune,04,CIELAB D65,nan,10,10,", "outside"),
        ("Acme,Silk,,,CIELAB D65,50,10,10,", "shade_name or a shade_code"),
        (",Silk,Dune,04,CIELAB D65,50,10,10,", "brand"),
    ],
)
def test_one_bad_row_refuses_the_whole_file(bad_row: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue("\n".join([HEADER, *GOOD, bad_row]), "csv")


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_a_row_without_a_known_colour_space_is_never_accepted(space: str) -> None:
    if space.strip() in {"CIELAB D65", "sRGB"}:
        return
    row = {"brand": "b", "product": "p", "shade_name": "n", "colour_space": space, "L": 50, "a": 1, "b": 1}
    with pytest.raises(CatalogueError):
        parse_catalogue(json.dumps([row]), "json")


@pytest.mark.parametrize(("text", "file_format"), [("[", "json"), ("{}", "json"), ("", "csv"), ("x", "xml")])
def test_malformed_files(text: str, file_format: str) -> None:
    with pytest.raises(CatalogueError):
        parse_catalogue(text, file_format)


def test_nearest_equals_brute_force() -> None:
    rng = np.random.default_rng(3)
    rows = [
        {"brand": "b", "product": "p", "shade_code": str(i), "colour_space": "CIELAB D65", "L": L, "a": a, "b": b}
        for i, (L, a, b) in enumerate(rng.uniform([20, 0, 5], [90, 25, 30], (500, 3)))
    ]
    index = ShadeIndex(parse_catalogue(json.dumps(rows), "json"))
    target = np.array([55.0, 12.0, 18.0])
    found = index.nearest(target, count=5)
    distances = [colour.delta_E(r, target, method="CIE 2000") for r in index.Lab]
    assert [m.shade.code for m in found] == [str(i) for i in np.argsort(distances)[:5]]
    assert found[0].delta_E00 == pytest.approx(min(distances))


def test_real_catalogue_imports_and_answers(shared_data: Path) -> None:
    """The Pudding shades (hex sampled from web images: approximate) import and give sensible neighbours."""
    with (shared_data / "foundation_shades" / "foundation_shades_combined_lab.csv").open() as handle:
        source = list(csv.DictReader(handle))
    rows = [
        {"brand": r["brand"], "product": r["product"], "shade_name": r["shade_name"],
         "shade_code": r["shade_code"] or f"row {i}", "colour_space": "sRGB", "hex": r["hex"], "approximate": "yes"}
        for i, r in enumerate(source) if r["hex"]
    ]  # fmt: skip
    index = ShadeIndex(parse_catalogue(json.dumps(rows), "json"))
    assert len(index.shades) > 6900  # 7,441 rows; the index lists one brand's identical colours once
    assert np.abs(index.Lab[0] - [float(source[0][k]) for k in ("L_star", "a_star", "b_star")]).max() < 0.01
    assert index.nearest([60, 12, 18], count=3)[0].delta_E00 < 2
