"""Inputs that once made the service answer 500: each must be a 4xx problem, never a server error."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.fulfilment.signing import sign
from api.settings import Settings
from api.web.tokens import Role
from tests.api.asgi import call_app
from tests.api.web.test_problems import READING, assert_problem


def _guarded_paths(app: Litestar) -> list[str]:
    paths = []
    for route in app.routes:
        path = route.path.split("{")[0] + "x" if "{" in route.path else route.path  # any id: the guard runs first
        if path.startswith("/v1/"):
            paths.append(path)
    return sorted(set(paths))


def test_options_without_a_token_is_never_a_server_error(client: TestClient[Litestar], app: Litestar) -> None:
    paths = _guarded_paths(app)
    assert len(paths) >= 10
    for path in paths:
        response = client.options(path)
        assert response.status_code < 500, (path, response.status_code, response.text)


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def _nested_json(depth: int) -> bytes:
    return ("[" * depth + "1" + "]" * depth).encode()


@pytest.mark.parametrize("path", ["/v1/orders/", "/v1/matches/", "/v1/measurements/"])
def test_deeply_nested_json_is_a_400(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], path: str
) -> None:
    headers = {**auth(Role.CUSTOMER, "cus_1"), "Content-Type": "application/json", "Idempotency-Key": "k" * 16}
    response = client.post(path, content=_nested_json(1200), headers=headers)
    assert 400 <= response.status_code < 500, response.text


NOT_SKIN = [
    {"L": 99, "a": 0, "b": 0},
    {"L": 0, "a": 0, "b": 0},
    {"L": 50, "a": 70, "b": 0},
    {"L": 50, "a": 0, "b": -60},
]


@pytest.mark.parametrize("lab", NOT_SKIN)
def test_a_reading_no_skin_can_have_is_refused(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], lab: dict[str, float]
) -> None:
    response = client.post("/v1/measurements/", json={**READING, "lab": lab}, headers=auth(Role.CUSTOMER, "cus_1"))
    body = assert_problem(response, 422, "not_skin_colour")
    assert "reflectance mode" in body["hint"]


@pytest.mark.parametrize("lab", NOT_SKIN[:3])
def test_a_kept_measurement_no_skin_can_have_gets_a_422_at_the_match(
    client: TestClient[Litestar],
    auth: Callable[..., dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    lab: dict[str, float],
) -> None:
    """Measurements kept before readings were checked can still be matched: a clear 422, not a 500."""
    import api.measurements.service

    headers = auth(Role.CUSTOMER, "cus_1")
    with monkeypatch.context() as patch:
        patch.setattr(api.measurements.service, "check_skin_colour", lambda Lab: Lab)
        created = client.post("/v1/measurements/", json={**READING, "lab": lab}, headers=headers)
    assert created.status_code == 201, created.text
    match = client.post("/v1/matches/", json={"measurement_id": created.json()["id"]}, headers=headers)
    assert_problem(match, 422, "invalid_recipe_request")


def test_an_all_zero_spectrum_is_refused(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    spectrum = {"wavelengths_nm": list(range(400, 701, 10)), "reflectance": [0.0] * 31}
    response = client.post(
        "/v1/measurements/", json={**READING, "lab": None, "spectrum": spectrum}, headers=auth(Role.CUSTOMER, "cus_1")
    )
    assert_problem(response, 422, "not_skin_colour")


def _spectrum_Lab(client: TestClient[Litestar], headers: dict[str, str], start: float, step: float) -> list[float]:
    wavelengths = np.arange(start, 700.0 + step, step)  # ends at or past 700 nm
    reflectance = 0.2 + 0.3 * ((wavelengths - 380) / 330) ** 2  # smooth and skin-like: rising towards the red
    spectrum = {"wavelengths_nm": wavelengths.tolist(), "reflectance": reflectance.tolist()}
    response = client.post("/v1/measurements/", json={**READING, "lab": None, "spectrum": spectrum}, headers=headers)
    assert response.status_code == 201, response.text
    return [response.json()["lab"][k] for k in "Lab"]


@pytest.mark.parametrize(("start", "step"), [(380, 3), (380, 2), (380, 0.5), (380.5, 5), (380, 4), (380, 1)])
def test_any_regular_grid_is_accepted_and_agrees_with_the_10_nm_reading(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], start: float, step: float
) -> None:
    headers = auth(Role.CUSTOMER, "cus_1")
    from color.colorimetry import delta_E00_between

    assert (
        delta_E00_between(_spectrum_Lab(client, headers, start, step), _spectrum_Lab(client, headers, 380, 10)) < 0.05
    )


@pytest.fixture(scope="module")
def photo_jpeg() -> bytes:
    """A rendered photo with the card, so that the regions are read (they are checked after the card is found)."""
    from color.packaged_data import load_card
    from tests.color.conftest import render

    return render(load_card("tm-skin-v1")).jpeg


HUGE_INTEGER = "1" + "0" * 400


@pytest.mark.parametrize(
    "regions",
    [
        "[" * 1200 + "]" * 1200,
        f'[{{"name": "left_cheek", "polygon": [[{HUGE_INTEGER}, 1], [2, 3], [4, 5]]}}]',
        '[{"name": "left_cheek", "polygon": [[1e400, 1], [2, 3], [4, 5]]}]',
    ],
    ids=["nested", "400-digit integer", "infinite"],
)
def test_hostile_regions_are_400(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], photo_jpeg: bytes, regions: str
) -> None:
    files = {"photo": ("face.jpg", io.BytesIO(photo_jpeg), "image/jpeg")}
    data = {"consent": "2026-01", "regions": regions}
    response = client.post("/v1/measurements/", files=files, data=data, headers=auth(Role.CUSTOMER, "cus_1"))
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"] in {"invalid_regions", "malformed_body"}, response.text


@pytest.mark.parametrize(
    "path",
    [
        "/v1/lab/orders/ord_00000000000000000000000000/qc",
        "/v1/lab/formulations/fml_00000000000000000000000000/corrections",
    ],
)
def test_deeply_nested_json_to_the_lab_is_a_400(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], path: str
) -> None:
    headers = {**auth(Role.LAB, "lab_1"), "Content-Type": "application/json"}
    response = client.post(path, content=_nested_json(1200), headers=headers)
    assert_problem(response, 400, "malformed_body")


@pytest.mark.parametrize(
    ("body", "detail"),
    [(_nested_json(1200).decode(), "nested too deeply"), ('{"type": "order.shipped", "data": ', "not JSON")],
)
def test_a_signed_webhook_that_is_not_readable_json_is_a_400_not_a_bad_signature(
    client: TestClient[Litestar], settings: Settings, body: str, detail: str
) -> None:
    headers = sign(settings.resolved_webhook_secret(inbound=True), "msg_nested", body, datetime.now(UTC))
    response = client.post("/v1/webhooks/fulfilment", content=body.encode(), headers=headers)
    problem = assert_problem(response, 400, "malformed_body")
    assert detail in problem["detail"]


def _multipart(parts: list[bytes]) -> bytes:
    return b"".join(b"--xyz\r\n" + part + b"\r\n" for part in parts) + b"--xyz--\r\n"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            _multipart([b'Content-Disposition: form-data; name="consent"; x="' + b"a" * 5000 + b'"\r\n\r\nv']),
            "over a limit",
        ),
        (_multipart([b"Content-Disposition: form-data\r\n\r\nv"]), "has no name"),
        (_multipart([b'Content-Disposition: form-data; name="consent"\r\n\r\nv'] * 17), "at most 16 parts"),
    ],
    ids=["oversized part header", "part without a name", "too many parts"],
)
def test_multipart_problems_say_what_is_wrong(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], body: bytes, detail: str
) -> None:
    headers = {**auth(Role.CUSTOMER, "cus_1"), "Content-Type": "multipart/form-data; boundary=xyz"}
    problem = assert_problem(client.post("/v1/measurements/", content=body, headers=headers), 400, "malformed_body")
    assert detail in problem["detail"]


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("not.a.jwt", "not a well-formed JSON Web Token"),
        ("a.b", "not a well-formed JSON Web Token"),
    ],
)
def test_token_problems_speak_plainly(client: TestClient[Litestar], token: str, reason: str) -> None:
    response = client.get("/v1/measurements/", headers={"Authorization": f"Bearer {token}"})
    problem = assert_problem(response, 401, "token_invalid")
    assert reason in problem["detail"]
    assert "jwt" not in problem["detail"].lower().replace("json web token", "")


def test_a_token_signed_with_another_key_says_so(client: TestClient[Litestar]) -> None:
    from api.web.tokens import mint_token

    forged = mint_token(secret="another-secret-of-sufficient-length-000000", issuer="tonematch", role=Role.CUSTOMER,
                        subject="cus_1", ttl_seconds=600)  # fmt: skip
    response = client.get("/v1/measurements/", headers={"Authorization": f"Bearer {forged}"})
    assert "signature that does not verify" in assert_problem(response, 401, "token_invalid")["detail"]


def test_a_client_that_hangs_up_mid_upload_is_not_a_server_error(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    """Half a declared body, then ``http.disconnect``: logged as the client's doing (no ERROR, no traceback)."""
    headers = {**auth(Role.CUSTOMER, "cus_1"), "content-type": "multipart/form-data; boundary=xyz"}
    headers["content-length"] = "100000"
    events: list[dict[str, object]] = [
        {"type": "http.request", "body": b"--xyz\r\n" + b"a" * 500, "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, object]:
        return events.pop(0) if events else {"type": "http.disconnect"}

    with caplog.at_level("INFO", logger="tonematch.api"):
        status = call_app(client, "POST", "/v1/measurements/", headers, receive)
    assert status == 400
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]
    assert any("client disconnected" in r.getMessage() for r in caplog.records)
