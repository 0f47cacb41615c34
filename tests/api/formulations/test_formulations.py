"""Matches, formulations, the lab's batch sheet and corrections over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from api.storage.shades import import_shades_sync
from api.web.tokens import Role
from catalog.shades import parse_catalogue
from tests.api.web.test_problems import READING, assert_problem

Auth = Callable[..., dict[str, str]]


def _measure(client: TestClient[Litestar], auth: Auth, customer: str, lab: dict[str, float] | None = None) -> str:
    body = {**READING, "lab": lab or {"L": 58, "a": 12, "b": 17}}
    response = client.post("/v1/measurements/", json=body, headers=auth(Role.CUSTOMER, customer))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _match(
    client: TestClient[Litestar],
    auth: Auth,
    customer: str = "alice",
    lab: dict[str, float] | None = None,
    **extra: object,
) -> dict:  # type: ignore[type-arg]
    measurement = _measure(client, auth, customer, lab)
    response = client.post(
        "/v1/matches/", json={"measurement_id": measurement, **extra}, headers=auth(Role.CUSTOMER, customer)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_match_returns_a_recipe_that_fills_the_bottle_and_nearest_shades(
    client: TestClient[Litestar], auth: Auth
) -> None:
    formulation = _match(client, auth, lab={"L": 60, "a": 10, "b": 18}, coverage="full", size_g=50)
    grams = sum(line["grams"] for line in formulation["recipe"]) + formulation["vehicle_g"]
    assert grams == pytest.approx(50.0, abs=1e-6)
    assert all(line["grams"] >= 0 for line in formulation["recipe"])
    assert formulation["delta_E00"] <= 0.5
    assert formulation["in_gamut"] is True
    assert formulation["out_of_gamut"] is None
    assert formulation["library_version"].startswith("phys-")  # the physical library is the default
    assert set(formulation["metamerism_dE00"]) == {"A", "FL11", "LED-B3"}
    shades = formulation["nearest_shades"]
    assert len(shades) == 5
    assert shades == sorted(shades, key=lambda s: s["delta_E00"])
    assert shades[0]["brand"] == "tonematch"  # only the house range is there on a fresh install
    assert formulation["colour_space"]["white_point"] == "D65"


def test_an_unreachable_skin_gets_the_nearest_colour_and_what_stops_it(
    client: TestClient[Litestar], auth: Auth
) -> None:
    """A deep, saturated skin (L* 20, b* 17): iron oxides reach no mixture that dark and yellow; the answer says how
    the nearest reachable colour differs and that no amount limit is to blame, and it is kept as it was answered."""
    formulation = _match(client, auth, lab={"L": 20, "a": 9, "b": 17})
    assert formulation["in_gamut"] is False
    assert formulation["delta_E00"] > 0.5
    gap = formulation["out_of_gamut"]
    assert gap["lightness_difference"] == pytest.approx(formulation["predicted_lab"]["L"] - 20, abs=0.02)
    assert gap["chroma_difference"] < 0
    assert [limit["kind"] for limit in gap["binding_limits"]] == ["spectral_shape"]
    assert "spectra cannot make this colour" in gap["explanation"]
    stored = client.get(f"/v1/formulations/{formulation['id']}", headers=auth(Role.CUSTOMER, "alice")).json()
    assert stored == formulation


def test_imported_catalogue_shades_are_found(client: TestClient[Litestar], auth: Auth, redis_url: str) -> None:
    text = (
        "brand,product,shade_name,shade_code,colour_space,L,a,b,approximate\nAcme,Silk,Exact,01,CIELAB D65,58,12,17,yes"
    )
    connection = redis.Redis.from_url(redis_url)
    import_shades_sync(connection, [asdict(s) for s in parse_catalogue(text, "csv")], replace=True)
    connection.close()
    best = _match(client, auth)["nearest_shades"][0]
    assert (best["brand"], best["shade_name"], best["approximate"]) == ("Acme", "Exact", True)
    assert best["delta_E00"] == pytest.approx(0.0, abs=1e-3)


def test_formulations_are_private(client: TestClient[Litestar], auth: Auth) -> None:
    formulation = _match(client, auth, customer="alice")
    url = f"/v1/formulations/{formulation['id']}"
    assert client.get(url, headers=auth(Role.CUSTOMER, "alice")).json() == formulation
    assert_problem(client.get(url, headers=auth(Role.CUSTOMER, "bob")), 404, "not_found")
    assert_problem(client.get(url, headers=auth(Role.LAB)), 403, "role_not_allowed")


def test_a_customer_cannot_match_another_customers_measurement(client: TestClient[Litestar], auth: Auth) -> None:
    alices = _measure(client, auth, "alice")
    response = client.post("/v1/matches/", json={"measurement_id": alices}, headers=auth(Role.CUSTOMER, "bob"))
    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {"measurement_id": "msr_000000000000ffffffffffffffff"},
        {"measurement_id": "../../etc/passwd"},
    ],
)
def test_unknown_measurements_are_404(client: TestClient[Litestar], auth: Auth, body: dict[str, object]) -> None:
    assert_problem(client.post("/v1/matches/", json=body, headers=auth(Role.CUSTOMER, "alice")), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"measurement_id": "x", "coverage": "opaque"},
        {"measurement_id": "x", "size_g": 1e9},
        {"measurement_id": "x", "extra": 1},
    ],
)
def test_bad_match_requests_are_400(client: TestClient[Litestar], auth: Auth, body: dict[str, object]) -> None:
    assert_problem(client.post("/v1/matches/", json=body, headers=auth(Role.CUSTOMER, "alice")), 400, "invalid_request")


def test_lab_batch_sheet_for_another_size(client: TestClient[Litestar], auth: Auth) -> None:
    formulation = _match(client, auth)
    url = f"/v1/lab/formulations/{formulation['id']}?size_g=100"
    sheet = client.get(url, headers=auth(Role.LAB)).json()
    assert sheet["library_version"] == formulation["library_version"]
    assert sum(b["grams"] for b in sheet["bases"]) + sheet["vehicle_g"] == pytest.approx(100.0, abs=1e-6)
    assert [b["order"] for b in sheet["bases"]] == list(range(1, len(sheet["bases"]) + 1))
    assert sheet["bases"][0]["base"] == "white"
    assert sheet["order_of_addition"]
    assert sheet["tolerance_dE00"] > 0
    assert_problem(client.get(url, headers=auth(Role.CUSTOMER, "alice")), 403, "role_not_allowed")
    assert_problem(
        client.get("/v1/lab/formulations/fml_000000000000ffffffffffffffff", headers=auth(Role.LAB)), 404, "not_found"
    )
    assert_problem(client.get(f"{url[:-3]}-5", headers=auth(Role.LAB)), 400, "invalid_request")


def test_corrections_are_computed_and_recorded(client: TestClient[Litestar], auth: Auth, redis_url: str) -> None:
    formulation = _match(client, auth)
    url = f"/v1/lab/formulations/{formulation['id']}"
    sheet = client.get(f"{url}?size_g=30", headers=auth(Role.LAB)).json()
    on_target = {"batch_g": 30, "lab": sheet["target_masstone_lab"], "batch_id": "B-1"}
    passed = client.post(f"{url}/corrections", json=on_target, headers=auth(Role.LAB))
    assert passed.status_code == 201, passed.text
    assert passed.json()["passed"] is True
    assert passed.json()["additions"] == []
    target = sheet["target_masstone_lab"]
    too_light = {"batch_g": 30, "lab": {**target, "L": target["L"] + 2.5}, "batch_id": "B-2"}
    corrected = client.post(f"{url}/corrections", json=too_light, headers=auth(Role.LAB)).json()
    assert corrected["passed"] is False
    assert corrected["additions"]
    assert all(a["grams"] > 0 for a in corrected["additions"])
    assert corrected["predicted_delta_E00_after"] < corrected["delta_E00_before"]
    connection = redis.Redis.from_url(redis_url)
    stored = list(connection.scan_iter("*corrections"))
    assert len(stored) == 1
    assert connection.llen(stored[0]) == 2
    connection.close()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"batch_g": 30, "lab": {"L": 150, "a": 0, "b": 0}, "batch_id": "B"}, 400, "invalid_request"),
        ({"batch_g": -1, "lab": {"L": 50, "a": 0, "b": 0}, "batch_id": "B"}, 400, "invalid_request"),
        ({"batch_g": 30, "batch_id": "B"}, 400, "invalid_request"),
        ({"batch_g": 30, "lab": {"L": 50, "a": 0, "b": 0}, "batch_id": "no spaces allowed"}, 400, "invalid_request"),
        (
            {
                "batch_g": 30,
                "spectrum": {"wavelengths_nm": [500, 510, 520], "reflectance": [0.1, 0.2, 0.3]},
                "batch_id": "B",
            },
            422,
            "invalid_colour",
        ),
    ],
)
def test_bad_corrections(
    client: TestClient[Litestar], auth: Auth, body: dict[str, object], status: int, code: str
) -> None:
    formulation = _match(client, auth)
    response = client.post(f"/v1/lab/formulations/{formulation['id']}/corrections", json=body, headers=auth(Role.LAB))
    assert_problem(response, status, code)
