"""Helpers shared by the order tests: a formulation to order, an address, signed fulfilment events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from api.fulfilment.signing import sign
from api.settings import Settings
from api.web.tokens import Role
from tests.api.web.test_problems import READING

Auth = Callable[..., dict[str, str]]
ADDRESS = {
    "name": "Kim Minji",
    "line1": "12 Teheran-ro 8-gil",
    "line2": "Apt 1203",
    "city": "Seoul",
    "region": "Gangnam-gu",
    "postal_code": "06236",
    "country": "KR",
    "phone": "+82 10 1234 5678",
}


def make_formulation(
    client: TestClient[Litestar], auth: Auth, customer: str, lab: dict[str, float] | None = None
) -> str:
    reading = {**READING, "lab": lab or {"L": 58, "a": 12, "b": 17}}
    measured = client.post("/v1/measurements/", json=reading, headers=auth(Role.CUSTOMER, customer))
    assert measured.status_code == 201, measured.text
    matched = client.post(
        "/v1/matches/", json={"measurement_id": measured.json()["id"]}, headers=auth(Role.CUSTOMER, customer)
    )
    assert matched.status_code == 201, matched.text
    return str(matched.json()["id"])


def order_body(formulation: str, **changes: Any) -> dict[str, Any]:
    return {"formulation_id": formulation, "size_g": 30, "quantity": 1, "shipping": dict(ADDRESS), **changes}


def place_order(
    client: TestClient[Litestar], auth: Auth, customer: str, formulation: str, key: str | None = None, **changes: Any
) -> Any:
    headers = {**auth(Role.CUSTOMER, customer), "Idempotency-Key": key or str(uuid.uuid4())}
    return client.post("/v1/orders/", json=order_body(formulation, **changes), headers=headers)


def signed_event(
    settings: Settings,
    event_type: str,
    data: dict[str, Any],
    *,
    webhook_id: str | None = None,
    at: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"type": event_type, "timestamp": datetime.now(UTC).isoformat(), "data": data})
    headers = sign(settings.resolved_webhook_secret(inbound=True), webhook_id or f"msg_{uuid.uuid4().hex}", body,
                   at or datetime.now(UTC))  # fmt: skip
    return body.encode(), headers


def stale(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def make_ready(client: TestClient[Litestar], auth: Auth, order_id: str, formulation: str, batch_id: str = "B") -> None:
    """Start the order, pass its QC with the batch measured on target, and mark it ready to ship."""
    lab = auth(Role.LAB)
    assert client.post(f"/v1/lab/orders/{order_id}/start", headers=lab).status_code == 200
    target = client.get(f"/v1/lab/formulations/{formulation}?size_g=30", headers=lab).json()["target_masstone_lab"]
    qc = client.post(f"/v1/lab/orders/{order_id}/qc", json={"batch_g": 30, "batch_id": batch_id, "lab": target},
                     headers=lab)  # fmt: skip
    assert qc.json()["order"]["status"] == "qc_passed", qc.text
    assert client.post(f"/v1/lab/orders/{order_id}/ready", headers=lab).status_code == 200
