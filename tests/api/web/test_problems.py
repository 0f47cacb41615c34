"""Every bad request gets the right 4xx as an RFC 9457 problem document with a stable code, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.web.tokens import Role

READING = {"source": "instrument", "instrument": "CM-700d", "consent": "2026-01", "lab": {"L": 60, "a": 12, "b": 18}}


def assert_problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:tonematch:problem:{code}"
    assert body["title"]
    assert body["detail"]
    assert body["instance"].startswith("/")
    return body


def test_unknown_route_is_a_404_problem(client: TestClient[Litestar]) -> None:
    assert_problem(client.get("/v1/does-not-exist"), 404, "not_found")


def test_wrong_method_is_a_405_problem(client: TestClient[Litestar]) -> None:
    assert_problem(client.delete("/healthz"), 405, "method_not_allowed")


def test_malformed_json_is_a_400_problem(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    response = client.post(
        "/v1/measurements/",
        content=b'{"source": "instrument", "lab": {',
        headers={**auth(Role.CUSTOMER, "cus_1"), "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "malformed_body")


def test_wrong_content_type_is_a_415_problem(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    response = client.post(
        "/v1/measurements/",
        content=b"source=instrument",
        headers={**auth(Role.CUSTOMER, "cus_1"), "Content-Type": "application/x-www-form-urlencoded"},
    )
    body = assert_problem(response, 415, "unsupported_media_type")
    assert body["accepted"] == ["application/json", "multipart/form-data"]


def test_missing_content_type_is_a_415_problem(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    response = client.post("/v1/measurements/", content=b"{}", headers=auth(Role.CUSTOMER, "cus_1"))
    assert_problem(response, 415, "unsupported_media_type")


def test_oversized_body_is_a_413_problem(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    # The test settings cap JSON bodies at 16 KiB.
    big = {**READING, "instrument": "x" * 40_000}
    response = client.post("/v1/measurements/", json=big, headers=auth(Role.CUSTOMER, "cus_1"))
    assert_problem(response, 413, "body_too_large")


def test_schema_violations_list_each_error(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    bad = {**READING, "lab": {"L": 160, "a": 0, "b": 0}, "unexpected": 1}
    response = client.post("/v1/measurements/", json=bad, headers=auth(Role.CUSTOMER, "cus_1"))
    body = assert_problem(response, 400, "invalid_request")
    keys = {error["key"] for error in body["errors"]}
    assert any("L" in key for key in keys)
    assert any("unexpected" in key for key in keys)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], value: str
) -> None:
    document = '{"source":"instrument","instrument":"x","consent":"2026-01","lab":{"L":' + value + ',"a":1,"b":2}}'
    raw = document.encode()
    response = client.post(
        "/v1/measurements/",
        content=raw,
        headers={**auth(Role.CUSTOMER, "cus_1"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_bad_query_parameter_is_a_400_problem(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    response = client.get("/v1/measurements/?limit=100000", headers=auth(Role.CUSTOMER, "cus_1"))
    assert_problem(response, 400, "invalid_request")


def test_unexpected_error_is_a_500_problem_without_internals(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.measurements.service import MeasurementService

    async def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal state")

    monkeypatch.setattr(MeasurementService, "record_instrument_reading", explode)
    response = client.post("/v1/measurements/", json=READING, headers=auth(Role.CUSTOMER, "cus_1"))
    body = assert_problem(response, 500, "internal_error")
    assert "secret internal state" not in response.text
    assert body["detail"]
