"""Spectrophotometer exports read into one batch colour (``api.lab_console.spectro``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from api.lab_console.spectro import ExportError, parse_export
from color.instrument import Lab_reading_to_D65


def test_lab_columns_with_a_preamble_semicolons_and_decimal_commas() -> None:
    text = "Instrument;CM-700d\nDate;2026-11-30\n\nName;L* (D65/2°);a*;b*\nB-7;61,30;13,80;21,00\n"
    reading = parse_export("export.csv", text.encode())
    assert reading.lab is not None
    assert (reading.lab.L, reading.lab.a, reading.lab.b) == (61.3, 13.8, 21.0)
    assert reading.described == "L*a*b* D65/2° from CSV"


def test_lab_under_d50_is_adapted_to_d65() -> None:
    reading = parse_export("x.csv", b"L*,a*,b*,Illuminant,Observer\n60,12,18,D50,2\n")
    expected = Lab_reading_to_D65([60, 12, 18], "D50", "2").Lab_D65
    assert reading.lab is not None
    np.testing.assert_allclose([reading.lab.L, reading.lab.a, reading.lab.b], expected)
    assert "adapted to D65 (CAT02)" in reading.described


def test_a_spectrum_in_percent_is_preferred_to_lab() -> None:
    header = ",".join(["L*", "a*", "b*", *[f"{w}nm" for w in range(400, 710, 10)]])
    row = ",".join(["10", "0", "0", *["45.0"] * 31])
    reading = parse_export("s.csv", f"{header}\n{row}\n".encode("utf-16"))
    assert reading.lab is None
    assert reading.spectrum is not None
    assert reading.spectrum.reflectance[0] == pytest.approx(0.45)
    assert "percent" in reading.described


@pytest.mark.parametrize(
    "document",
    [
        {"lab": {"L": 60, "a": 12, "b": 18}},
        {"L*": 60, "a*": 12, "b*": 18, "illuminant": "D65", "observer": "2°"},
        [{"Lab": {"l": 60, "A": 12, "B": 18}}],
    ],
)
def test_json_lab_spellings(document: object) -> None:
    reading = parse_export("r.json", json.dumps(document).encode())
    assert reading.lab is not None
    assert (reading.lab.L, reading.lab.a, reading.lab.b) == (60, 12, 18)


def test_json_spectrum_by_content_without_a_name() -> None:
    document = {"spectrum": {"wavelengths": [400, 500, 600, 700], "values": [0.2, 0.3, 0.5, 0.6]}}
    reading = parse_export(None, json.dumps(document).encode())
    assert reading.spectrum is not None
    assert reading.spectrum.wavelengths_nm == [400, 500, 600, 700]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.csv", b"L*,a*,b*\n60,12,18,D50\n", None),  # a stray cell past the header is ignored
        ("x.csv", b"L*,a*,b*,Illuminant\n60,12,18,moonlight\n", "Illuminant 'moonlight'"),
        ("x.json", b'{"L": 60, "a": 12, "b": 18, "observer": "7"}', "Observer '7'"),
        ("x.json", b'{"L": true, "a": 12, "b": 18}', "L* is not a number"),
        ("x.json", b'"just text"', "must be an object"),
        ("x.json", b'{"wavelengths_nm": [400, 500, 600], "reflectance": [0.1, 0.2]}', "not the same number"),
    ],
)
def test_exports_that_cannot_be_used(name: str, data: bytes, message: str | None) -> None:
    if message is None:
        assert parse_export(name, data).lab is not None
        return
    with pytest.raises(ExportError, match=message):
        parse_export(name, data)
