"""Instrument readings through POST /v1/measurements, and customer isolation of measurements."""

from __future__ import annotations

from collections.abc import Callable

import colour
import numpy as np
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.web.tokens import Role
from tests.api.privacy.helpers import grant_history
from tests.api.web.test_problems import READING, assert_problem

URL = "/v1/measurements/"


def test_d65_reading_is_stored_as_given(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    response = client.post(URL, json={**READING, "illuminant": "D65"}, headers=auth(Role.CUSTOMER, "cus_1"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["lab"] == {"L": 60.0, "a": 12.0, "b": 18.0}
    assert body["colour_space"] == {"space": "CIE 1976 L*a*b*", "white_point": "D65", "observer": "CIE 1931 2°"}
    assert body["source"] == "instrument"
    assert body["consent"] == "2026-01"
    assert body["id"].startswith("msr_")
    assert body["skin_tone"]["ita_deg"] == pytest.approx(np.degrees(np.arctan2(10, 18)), abs=0.01)


def test_d50_reading_is_adapted_to_d65_with_cat02(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    response = client.post(URL, json={**READING, "illuminant": "D50"}, headers=auth(Role.CUSTOMER, "cus_1"))
    assert response.status_code == 201, response.text
    body = response.json()
    # Independent check with colour-science's generic chromatic adaptation entry point.
    d50 = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D50"]
    d65 = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]
    XYZ = colour.chromatic_adaptation(
        colour.Lab_to_XYZ([60, 12, 18], d50), colour.xy_to_XYZ(d50), colour.xy_to_XYZ(d65), transform="CAT02"
    )
    expected = colour.XYZ_to_Lab(XYZ, d65)
    assert [body["lab"][k] for k in "Lab"] == pytest.approx(expected, abs=1e-3)
    assert "CAT02" in body["instrument"]["conversion"]
    assert body["instrument"]["illuminant"] == "D50"


def test_spectrum_reading_matches_colour_science(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    wavelengths = np.arange(400, 701, 10)
    reflectance = np.linspace(0.15, 0.55, wavelengths.size)
    reading = {
        **READING,
        "lab": None,
        "spectrum": {"wavelengths_nm": wavelengths.tolist(), "reflectance": reflectance.tolist()},
    }
    response = client.post(URL, json=reading, headers=auth(Role.CUSTOMER, "cus_1"))
    assert response.status_code == 201, response.text
    sd = colour.SpectralDistribution(dict(zip(wavelengths, reflectance, strict=True)))
    XYZ = colour.sd_to_XYZ(sd, illuminant=colour.SDS_ILLUMINANTS["D65"]) / 100
    expected = colour.XYZ_to_Lab(XYZ, colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"])
    got = [response.json()["lab"][k] for k in "Lab"]
    assert colour.delta_E(got, expected, method="CIE 2000") < 0.05


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"illuminant": "D93"}, "invalid_colour"),
        ({"observer": "10"}, "invalid_colour"),
        (
            {"lab": None, "spectrum": {"wavelengths_nm": [500, 510, 520], "reflectance": [0.1, 0.2, 0.3]}},
            "invalid_colour",
        ),
        (
            {"lab": None, "spectrum": {"wavelengths_nm": list(range(400, 701, 10)), "reflectance": [50.0] * 31}},
            "invalid_colour",
        ),
        (
            {"lab": None, "spectrum": {"wavelengths_nm": list(range(700, 399, -10)), "reflectance": [0.3] * 31}},
            "invalid_colour",
        ),
    ],
)
def test_impossible_readings_are_422(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], change: dict[str, object], code: str
) -> None:
    response = client.post(URL, json={**READING, **change}, headers=auth(Role.CUSTOMER, "cus_1"))
    assert_problem(response, 422, code)
    assert client.get(URL, headers=auth(Role.CUSTOMER, "cus_1")).json()["items"] == []


@pytest.mark.parametrize(
    "change",
    [
        {"consent": ""},
        {"consent": None},
        {"lab": None},
        {"spectrum": {"wavelengths_nm": [400, 500, 600], "reflectance": [0.1, 0.2, 0.3]}},
        {"source": "photo"},
        {"lab": {"L": 50, "a": 200, "b": 0}},
        {"lab": {"L": -1, "a": 0, "b": 0}},
    ],
)
def test_invalid_documents_are_400(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], change: dict[str, object]
) -> None:
    document = {**READING, **change}
    response = client.post(URL, json=document, headers=auth(Role.CUSTOMER, "cus_1"))
    assert_problem(response, 400, "invalid_request")


def test_missing_consent_is_refused(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    document = {k: v for k, v in READING.items() if k != "consent"}
    assert_problem(client.post(URL, json=document, headers=auth(Role.CUSTOMER, "cus_1")), 400, "invalid_request")


def test_a_customer_cannot_see_another_customers_measurement(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    created = client.post(URL, json=READING, headers=auth(Role.CUSTOMER, "alice")).json()
    own = client.get(f"{URL}{created['id']}", headers=auth(Role.CUSTOMER, "alice"))
    assert own.status_code == 200
    assert own.json() == created
    other = client.get(f"{URL}{created['id']}", headers=auth(Role.CUSTOMER, "bob"))
    unknown = client.get(f"{URL}msr_000000000000ffffffffffffffff", headers=auth(Role.CUSTOMER, "bob"))
    # Same answer as an id that never existed: ids cannot be probed.
    assert_problem(other, 404, "not_found")
    assert_problem(unknown, 404, "not_found")
    assert other.json()["detail"].replace(created["id"], "X") == unknown.json()["detail"].replace(
        "msr_000000000000ffffffffffffffff", "X"
    )
    assert client.get(URL, headers=auth(Role.CUSTOMER, "bob")).json()["items"] == []


@pytest.mark.parametrize("bad_id", ["nope", "msr_", "../../etc", "msr_zz", "x" * 60])
def test_malformed_ids_are_404(client: TestClient[Litestar], auth: Callable[..., dict[str, str]], bad_id: str) -> None:
    assert_problem(client.get(f"{URL}{bad_id}", headers=auth(Role.CUSTOMER, "alice")), 404, "not_found")


def test_history_is_newest_first_and_paginated(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth(Role.CUSTOMER, "alice")
    grant_history(client, headers)
    ids = [
        client.post(URL, json={**READING, "lab": {"L": 40 + i, "a": 10, "b": 15}}, headers=headers).json()["id"]
        for i in range(5)
    ]
    first = client.get(f"{URL}?limit=2", headers=headers).json()
    assert [m["id"] for m in first["items"]] == ids[::-1][:2]
    second = client.get(f"{URL}?limit=2&cursor={first['next_cursor']}", headers=headers).json()
    assert [m["id"] for m in second["items"]] == ids[::-1][2:4]
    third = client.get(f"{URL}?limit=2&cursor={second['next_cursor']}", headers=headers).json()
    assert [m["id"] for m in third["items"]] == ids[::-1][4:]
    assert third["next_cursor"] is None
