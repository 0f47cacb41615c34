"""Helpers of the OpenAPI tests: the served document; a customer's measurement, formulation and order."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from api.app import create_app
from api.orders.schemas import ADDRESS_EXAMPLE
from api.settings import Settings
from tests.conftest import TEST_SECRET

CUSTOMER = "cus_openapi"
READING = {"source": "instrument", "instrument": "CM-700d", "consent": "2026-01", "lab": {"L": 60, "a": 12, "b": 18}}
ORDER_BODY = {"size_g": 30, "quantity": 1, "shipping": ADDRESS_EXAMPLE}


@cache
def served_document() -> dict[str, Any]:
    """``GET /schema/openapi.json`` of an app built from test settings (the document depends on none of them); no
    lifespan runs, so no Redis is needed: the document is read at collection time."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(environment="test", redis_url="redis://127.0.0.1:9", secret_key=TEST_SECRET,
                            data_dir=Path(data_dir))  # fmt: skip
        response = TestClient(app=create_app(settings)).get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def seed_customer(post: Callable[..., Any], headers: dict[str, str]) -> dict[str, str]:
    """Measure, match and order for one customer through ``post(url, json=..., headers=...)``; the ids made."""
    measured = post("/v1/measurements/", json=READING, headers=headers)
    assert measured.status_code == 201, measured.text
    measurement_id = measured.json()["id"]
    matched = post("/v1/matches/", json={"measurement_id": measurement_id}, headers=headers)
    assert matched.status_code == 201, matched.text
    formulation_id = matched.json()["id"]
    ordered = post("/v1/orders/", json={**ORDER_BODY, "formulation_id": formulation_id},
                   headers={**headers, "Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
    assert ordered.status_code == 201, ordered.text
    return {"measurement_id": measurement_id, "formulation_id": formulation_id, "order_id": ordered.json()["id"]}
