"""Metrics at /metrics, a request id on every response and log line, JSON logs that never carry secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from api.web.observability import configure_logging
from api.web.tokens import Role
from tests.api.orders.helpers import ADDRESS, make_formulation, place_order
from tests.api.web.test_problems import READING, assert_problem


def test_metrics_are_for_the_admin_role(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    assert_problem(client.get("/metrics"), 401, "token_missing")
    assert_problem(client.get("/metrics", headers=auth(Role.CUSTOMER, "cus_1")), 403, "role_not_allowed")


def test_metrics_count_requests_by_route_template_and_measurements_by_outcome(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth(Role.CUSTOMER, "cus_metrics")
    created = client.post("/v1/measurements/", json=READING, headers=headers)
    assert created.status_code == 201
    client.get(f"/v1/measurements/{created.json()['id']}", headers=headers)
    text = client.get("/metrics", headers=auth(Role.ADMIN)).text
    lines = text.splitlines()
    assert any(
        line.startswith("tonematch_requests_total{")
        and 'path="/v1/measurements/{measurement_id}"' in line
        and 'status_code="200"' in line
        for line in lines
    ), [line for line in lines if line.startswith("tonematch_")]
    assert created.json()["id"] not in text  # ids never become label values
    assert any(
        line.startswith('tonematch_measurements_total{outcome="answered",source="instrument"}') for line in lines
    )
    assert any(line.startswith("tonematch_request_duration_seconds_bucket{") for line in lines)
    assert any(line.startswith("tonematch_outbox_backlog ") for line in lines)
    assert any(line.startswith("tonematch_outbox_dead_letters ") for line in lines)


@pytest.mark.parametrize(
    ("given", "echoed"), [("trace-42.a_B", True), ("x" * 65, False), ("has space", False), (None, False)]
)
def test_every_response_carries_a_request_id(client: TestClient[Litestar], given: str | None, echoed: bool) -> None:
    headers = {"X-Request-ID": given} if given is not None else {}
    returned = client.get("/healthz", headers=headers).headers["x-request-id"]
    if echoed:
        assert returned == given
    else:
        assert returned != given
        assert len(returned) == 32


@pytest.fixture
def json_logs() -> Iterator[Callable[[], list[dict[str, object]]]]:
    """The app's JSON logging into a buffer; the root logger and structlog restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    configure_logging("info", stream=buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.handlers, root.level = saved[0], saved[1]
        structlog.reset_defaults()


def test_logs_are_json_with_the_request_id_and_never_a_token_or_an_address(
    settings: Settings,
    tmp_path: Path,
    auth: Callable[..., dict[str, str]],
    json_logs: Callable[[], list[dict[str, object]]],
) -> None:
    with TestClient(app=create_app(settings)) as client:
        formulation = make_formulation(client, auth, "alice")
        order = place_order(client, auth, "alice", formulation)
        assert order.status_code == 201
        token = auth(Role.CUSTOMER, "alice")["Authorization"]
        client.get("/v1/orders/", headers={"Authorization": token, "X-Request-ID": "req-7"})
        photo = client.post(
            "/v1/measurements/",
            files={"photo": ("face.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg")},
            data={"consent": "2026-01"},
            headers=auth(Role.CUSTOMER, "alice"),
        )
        assert photo.status_code == 422
    records = json_logs()
    text = json.dumps(records)
    requests = [r for r in records if r.get("event") == "request"]
    assert {r["route"] for r in requests} >= {"/v1/orders", "/v1/matches"}
    assert all(isinstance(r["request_id"], str) and r["status"] and "duration_ms" in r for r in requests)
    assert any(r["request_id"] == "req-7" and r["status"] == 200 for r in requests)
    refusals = [r for r in records if str(r.get("event", "")).startswith("photo refused")]
    assert refusals
    assert refusals[0]["request_id"]
    for secret in (
        ADDRESS["name"],
        ADDRESS["line1"],
        ADDRESS["phone"],
        token.removeprefix("Bearer "),
    ):
        assert secret not in text
