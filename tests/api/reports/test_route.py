"""``GET /v1/measurements/report``: the caller's own report as PNG or PDF, never cached; 404 with no measurement or
another customer's id; the document describes both formats and the headers."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.web.tokens import Role
from tests.api.openapi.helpers import served_document
from tests.api.privacy.helpers import grant_history
from tests.api.web.test_problems import READING, assert_problem

URL = "/v1/measurements/report"
Auth = Callable[..., dict[str, str]]


def _measure(client: TestClient[Litestar], headers: dict[str, str], a: float) -> str:
    response = client.post("/v1/measurements/", json={**READING, "lab": {"L": 60, "a": a, "b": 18}}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_the_customer_gets_their_own_report_as_png_and_pdf(client: TestClient[Litestar], auth: Auth) -> None:
    headers = auth(Role.CUSTOMER, "cus_r1")
    grant_history(client, headers)  # else a new measurement replaces the one before
    first, _ = _measure(client, headers, 12.0), _measure(client, headers, 14.0)
    png = client.get(URL, headers=headers)
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    assert png.headers["cache-control"] == "no-store"
    assert png.headers["content-disposition"].startswith('attachment; filename="tonematch-report-cus_r1-')
    image = cv2.imdecode(np.frombuffer(png.content, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[1] == 1240
    pdf = client.get(URL, params={"format": "pdf", "before": first}, headers=headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].endswith('.pdf"')
    assert pdf.content.startswith(b"%PDF")


def test_no_measurement_and_another_customers_id_are_404(client: TestClient[Litestar], auth: Auth) -> None:
    mine, theirs = auth(Role.CUSTOMER, "cus_r2"), auth(Role.CUSTOMER, "cus_r3")
    none = assert_problem(client.get(URL, headers=mine), 404, "not_found")
    assert "no measurement" in none["detail"].lower()
    assert none["hint"]
    their_id = _measure(client, theirs, 12.0)
    _measure(client, mine, 12.0)
    assert_problem(client.get(URL, params={"before": their_id}, headers=mine), 404, "not_found")
    assert_problem(client.get(URL, params={"after": their_id}, headers=mine), 404, "not_found")


def test_a_bad_format_or_the_same_measurement_twice_is_400(client: TestClient[Litestar], auth: Auth) -> None:
    headers = auth(Role.CUSTOMER, "cus_r4")
    only = _measure(client, headers, 12.0)
    assert_problem(client.get(URL, params={"format": "jpeg"}, headers=headers), 400, "invalid_request")
    assert_problem(client.get(URL, params={"before": only, "after": only}, headers=headers), 400, "invalid_request")


@pytest.mark.parametrize("role", [Role.LAB, Role.ADMIN])
def test_the_report_is_for_customers(client: TestClient[Litestar], auth: Auth, role: Role) -> None:
    assert client.get(URL, headers=auth(role)).status_code == 403


def test_the_document_describes_both_formats_and_the_headers() -> None:
    operation = served_document()["paths"][URL]["get"]
    answer = operation["responses"]["200"]
    assert set(answer["content"]) == {"image/png", "application/pdf"}
    assert {"Cache-Control", "Content-Disposition"} <= set(answer["headers"])
    assert {"400", "404"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} == {"format", "before", "after"}
