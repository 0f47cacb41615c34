"""The lab's batch sheet and corrections: sizes the dispenser makes, targets (the drawdown over the chart's black and
white, the masstone) that do not depend on the size, no empty lines, a reading compared with the target of what it was
measured over, one correction per batch id, additions' fraction of the batch."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.formulations import service
from api.formulations.batches import correction_fingerprint
from api.formulations.schemas import CORRECTION_EXAMPLE, BatchMeasurementIn, CorrectionOut
from api.settings import Settings
from api.web.tokens import Role
from catalog.drawdown_targets import DEFAULT_DRAWDOWN, DrawdownConditions
from color.colorimetry import delta_E00_between
from tests.api.orders.helpers import make_formulation
from tests.api.web.test_problems import assert_problem

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def formulation(client: TestClient[Litestar], auth: Auth) -> str:
    return make_formulation(client, auth, "alice")


def _sheet(client: TestClient[Litestar], auth: Auth, formulation: str, size: float) -> dict:  # type: ignore[type-arg]
    response = client.get(f"/v1/lab/formulations/{formulation}?size_g={size:g}", headers=auth(Role.LAB))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_target_masstone_is_the_same_at_every_size_and_no_line_is_empty(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    recipe = client.get(f"/v1/formulations/{formulation}", headers=auth(Role.CUSTOMER, "alice")).json()["recipe"]
    assert any(line["grams"] == 0 for line in recipe)  # the recipe leaves some bases out (red, for this skin)
    sheets = {size: _sheet(client, auth, formulation, size) for size in (15, 30, 50, 1000)}
    targets = {tuple(sheet["target_masstone_lab"].values()) for sheet in sheets.values()}
    assert len(targets) == 1
    for size, sheet in sheets.items():
        assert all(line["grams"] > 0 for line in sheet["bases"])
        assert [line["order"] for line in sheet["bases"]] == list(range(1, len(sheet["bases"]) + 1))
        assert sheet["bases"][0]["base"] == "white"
        assert sum(line["grams"] for line in sheet["bases"]) + sheet["vehicle_g"] == pytest.approx(size, abs=1e-6)
        assert 0 <= sheet["rounding_dE00"] < 0.2
    used = {line["base"] for line in recipe if line["grams"] > 0}
    assert {line["base"] for line in sheets[30]["bases"]} == used  # the ordered size weighs what the recipe says
    assert sheets[30]["rounding_dE00"] == pytest.approx(0.0, abs=0.002)  # the bottle's own grams are the recipe


@pytest.mark.parametrize("size", ["7", "14.9", "30.5", "5001", "1e9"])
def test_sizes_the_dispenser_cannot_make_are_a_422(
    client: TestClient[Litestar], auth: Auth, formulation: str, size: str
) -> None:
    response = client.get(f"/v1/lab/formulations/{formulation}?size_g={size}", headers=auth(Role.LAB))
    if size == "1e9":
        assert_problem(response, 400, "invalid_request")  # beyond any batch: the query's own bound
        return
    body = assert_problem(response, 422, "batch_size_not_makeable")
    assert (body["min_g"], body["max_g"], body["step_g"]) == (15.0, 5000.0, 1.0)
    assert "15 to 5000 g in steps of 1 g" in body["detail"]
    assert body["hint"]


def test_the_dispenser_limits_are_settings(make_settings: Callable[..., Settings], auth: Auth) -> None:
    settings = make_settings(batch_min_g=5.0, batch_max_g=100.0, batch_step_g=2.5)
    with TestClient(app=create_app(settings), raise_server_exceptions=False) as client:
        formulation = make_formulation(client, auth, "alice")
        assert _sheet(client, auth, formulation, 7.5)["size_g"] == 7.5
        lab = auth(Role.LAB)
        refused = client.get(f"/v1/lab/formulations/{formulation}?size_g=7", headers=lab)
        assert_problem(refused, 422, "batch_size_not_makeable")
        assert_problem(client.get(f"/v1/lab/formulations/{formulation}?size_g=102.5", headers=lab), 422,
                       "batch_size_not_makeable")  # fmt: skip


def test_an_unknown_formulation_is_404_before_its_size_is_judged(client: TestClient[Litestar], auth: Auth) -> None:
    url = "/v1/lab/formulations/fml_000000000000ffffffffffffffff"
    assert_problem(client.get(f"{url}?size_g=7", headers=auth(Role.LAB)), 404, "not_found")
    assert_problem(client.get(f"{url}/corrections", headers=auth(Role.LAB)), 404, "not_found")
    body = {"batch_g": 30, "lab": {"L": 60, "a": 12, "b": 17}, "batch_id": "B-1"}
    assert_problem(client.post(f"{url}/corrections", json=body, headers=auth(Role.LAB)), 404, "not_found")


def test_a_correction_is_recorded_once_per_batch_id(
    client: TestClient[Litestar], auth: Auth, formulation: str, redis_url: str
) -> None:
    lab = auth(Role.LAB)
    url = f"/v1/lab/formulations/{formulation}/corrections"
    target = _sheet(client, auth, formulation, 30)["target_masstone_lab"]
    light = {"batch_g": 30, "lab": {**target, "L": target["L"] + 2.5}, "batch_id": "B-7"}
    first = client.post(url, json=light, headers=lab)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = client.post(url, json=light, headers=lab)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    other = {**light, "lab": {**target, "L": target["L"] + 3.0}}
    conflict = assert_problem(client.post(url, json=other, headers=lab), 409, "batch_id_reused")
    assert conflict["batch_id"] == "B-7"
    assert conflict["recorded_at"] == first.json()["recorded_at"]
    next_batch = client.post(url, json={**other, "batch_id": "B-8"}, headers=lab)
    assert next_batch.status_code == 201, next_batch.text
    listed = client.get(url, headers=lab)
    assert listed.status_code == 200, listed.text
    assert [c["batch_id"] for c in listed.json()] == ["B-7", "B-8"]
    connection = redis.Redis.from_url(redis_url)
    [stored] = list(connection.scan_iter("*:corrections"))
    assert connection.llen(stored) == 2
    connection.close()


def test_additions_give_their_fraction_of_the_batch(client: TestClient[Litestar], auth: Auth, formulation: str) -> None:
    target = _sheet(client, auth, formulation, 50)["target_masstone_lab"]
    body = {"batch_g": 50, "lab": {**target, "L": target["L"] + 2.5}, "batch_id": "B-9"}
    response = client.post(f"/v1/lab/formulations/{formulation}/corrections", json=body, headers=auth(Role.LAB))
    correction = response.json()
    assert correction["target_masstone_lab"] == target
    assert correction["additions"]
    for addition in correction["additions"]:
        assert addition["grams"] > 0
        assert addition["fraction"] == pytest.approx(addition["grams"] / 50, abs=1e-6)


def test_the_lab_routes_refuse_other_roles(client: TestClient[Litestar], auth: Auth, formulation: str) -> None:
    url = f"/v1/lab/formulations/{formulation}/corrections"
    for role in (Role.CUSTOMER, Role.FULFILMENT, Role.ADMIN):
        assert_problem(client.get(url, headers=auth(role, "alice")), 403, "role_not_allowed")
        body = {"batch_g": 30, "lab": {"L": 60, "a": 12, "b": 17}, "batch_id": "B-1"}
        assert_problem(client.post(url, json=body, headers=auth(role, "alice")), 403, "role_not_allowed")
    assert client.get(url, headers=auth(Role.LAB)).json() == []


def test_the_sheet_states_the_drawdown_and_its_targets_at_every_size(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    sheets = [_sheet(client, auth, formulation, size) for size in (15, 30, 1000)]
    for field in ("drawdown", "target_over_black_lab", "target_over_white_lab", "contrast_ratio"):
        assert len({json.dumps(sheet[field], sort_keys=True) for sheet in sheets}) == 1, field
    sheet = sheets[0]
    assert sheet["drawdown"]["wet_film_um"] == DEFAULT_DRAWDOWN.wet_film_um
    assert (sheet["drawdown"]["black_reflectance"], sheet["drawdown"]["white_reflectance"]) == (0.02, 0.8)
    assert "75 µm" in sheet["drawdown"]["applicator"]
    assert 0 < sheet["contrast_ratio"] <= 1
    assert sheet["target_over_white_lab"]["L"] >= sheet["target_over_black_lab"]["L"]


@pytest.fixture
def thin_drawdown(monkeypatch: pytest.MonkeyPatch) -> DrawdownConditions:
    """A 10 µm drawdown, so that the targets over black and over white are well apart."""
    thin = DrawdownConditions(wet_film_um=10.0)
    monkeypatch.setattr(service, "DEFAULT_DRAWDOWN", thin)
    return thin


def test_a_reading_is_compared_with_the_target_of_what_it_was_measured_over(
    client: TestClient[Litestar], auth: Auth, formulation: str, thin_drawdown: DrawdownConditions
) -> None:
    sheet = _sheet(client, auth, formulation, 30)
    assert sheet["drawdown"]["wet_film_um"] == thin_drawdown.wet_film_um
    black, white = sheet["target_over_black_lab"], sheet["target_over_white_lab"]
    assert delta_E00_between(list(black.values()), list(white.values())) > 1.0
    url, lab = f"/v1/lab/formulations/{formulation}/corrections", auth(Role.LAB)
    over_black = client.post(url, json={"batch_g": 30, "lab": black, "over": "black", "batch_id": "B-b"}, headers=lab)
    assert over_black.status_code == 201, over_black.text
    assert over_black.json()["over"] == "black"
    assert over_black.json()["target_lab"] == black
    assert over_black.json()["target_masstone_lab"] == sheet["target_masstone_lab"]
    assert over_black.json()["passed"]
    over_white = client.post(url, json={"batch_g": 30, "lab": black, "over": "white", "batch_id": "B-w"}, headers=lab)
    assert over_white.json()["target_lab"] == white
    corrected = over_white.json()
    assert not corrected["passed"]  # the black half's colour is not what the white half should read
    assert corrected["delta_E00_before"] == pytest.approx(
        delta_E00_between([*black.values()], [*white.values()]), abs=0.01
    )
    # 15 ΔE00 darker than the white half should read: no addition of at most a tenth of the batch brings it nearer,
    # so none is offered (an addition that made it worse was offered before) and the batch is to be remade.
    assert corrected["additions"] == []
    assert corrected["predicted_delta_E00_after"] == corrected["delta_E00_before"]
    assert not corrected["within_tolerance_after"]


def test_a_reading_without_over_is_the_masstone_and_keeps_its_fingerprint(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    target = _sheet(client, auth, formulation, 30)["target_masstone_lab"]
    url, lab = f"/v1/lab/formulations/{formulation}/corrections", auth(Role.LAB)
    body = {"batch_g": 30, "lab": {**target, "L": target["L"] + 2.5}, "batch_id": "B-m"}
    first = client.post(url, json=body, headers=lab).json()
    assert (first["over"], first["target_lab"]) == ("opaque", target)
    stated = client.post(url, json={**body, "over": "opaque"}, headers=lab)
    assert stated.headers["idempotent-replayed"] == "true"  # the same request as before `over` existed
    assert_problem(client.post(url, json={**body, "over": "black"}, headers=lab), 409, "batch_id_reused")
    assert correction_fingerprint("fml_x", BatchMeasurementIn.model_validate(body)) == _fingerprint_before_over(body)


def _fingerprint_before_over(body: dict[str, Any]) -> str:
    """The fingerprint as it was computed before readings said what they were over (corrections recorded then)."""
    full = {"batch_g": float(body["batch_g"]), "lab": body["lab"], "spectrum": None, "batch_id": body["batch_id"]}
    canonical = json.dumps({"formulation": "fml_x", "body": full}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize("over", ["grey", "Black", "", "masstone"])
def test_an_unknown_over_is_a_422_problem_naming_the_choices(
    client: TestClient[Litestar], auth: Auth, formulation: str, over: str
) -> None:
    body = {"batch_g": 30, "lab": {"L": 60, "a": 12, "b": 17}, "over": over, "batch_id": "B-x"}
    response = client.post(f"/v1/lab/formulations/{formulation}/corrections", json=body, headers=auth(Role.LAB))
    problem = assert_problem(response, 422, "invalid_colour")
    assert "'black' or 'white'" in problem["detail"]
    assert "'opaque'" in problem["detail"]
    assert repr(over) in problem["detail"]
    assert problem["hint"]
    listed = client.get(f"/v1/lab/formulations/{formulation}/corrections", headers=auth(Role.LAB))
    assert listed.json() == []  # nothing recorded


def test_a_correction_recorded_before_over_existed_reads_as_the_masstone() -> None:
    recorded = {**CORRECTION_EXAMPLE}
    del recorded["over"], recorded["target_lab"]
    correction = CorrectionOut.model_validate(recorded)
    assert correction.over == "opaque"
    assert correction.target_lab == correction.target_masstone_lab


def test_a_batch_too_small_for_its_pigments_says_so_and_what_size_would_do(
    client: TestClient[Litestar], auth: Auth
) -> None:
    """A very light skin: its recipe holds a few hundredths of a gram of red per 30 g. At 20 g no rounding to 0.01 g
    keeps the drawdown within half the QC tolerance: the sheet says so and names a size that does."""
    light = make_formulation(client, auth, "alice", lab={"L": 80, "a": 5, "b": 12})
    sheet = _sheet(client, auth, light, 20)
    assert sheet["rounding_dE00"] > 0.5
    assert sheet["rounding_within_budget"] is False
    assert "over half the QC tolerance" in sheet["rounding_note"]
    larger = sheet["suggested_batch_g"]
    assert larger is not None
    assert larger > 20
    assert f"make {larger:g} g" in sheet["rounding_note"]
    fixed = _sheet(client, auth, light, larger)
    assert fixed["rounding_within_budget"] is True
    assert fixed["rounding_dE00"] <= 0.5
    assert fixed["rounding_note"] is None
    assert fixed["suggested_batch_g"] is None
