"""Schemathesis against the ASGI app, with a real Redis, a token of the role each operation names and seeded data:
every answer is documented (status, content type, headers, body schema) and none is a server error.

One app for the module (schemathesis keeps an app's lifespan for as long as it runs requests to it), seeded once
with a customer's measurement, formulation and order; the operations' ids, and the ids in request bodies, are
mostly the seeded ones so that calls get past 404. A few calls of each operation go without a token, or with
another role's. The fulfilment webhook is signed with the inbound secret (most calls) so its body is read.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.python import asgi

from api.app import create_app
from api.fulfilment.signing import sign
from api.settings import Settings
from api.web.openapi import BEARER_SCHEME
from api.web.tokens import Role, mint_token
from infra.redis_server import RedisServer
from tests.api.openapi.helpers import CUSTOMER, seed_customer, served_document
from tests.conftest import TEST_SECRET

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BASE_URL = f"http://{asgi.HOST}"
EXAMPLES_PER_OPERATION = 12
SEEDED_SHARE = 0.75  # share of calls whose ids are the seeded ones (the rest as generated: mostly 404)
# A match computes a recipe (about 0.2 s of the two cores): fewer of them reach it, to keep the run short.
SEEDED_SHARE_BY_PATH = {"/v1/matches": 0.25}
SLOW_API_HEALTH_CHECKS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
UNAUTHENTICATED_SHARE = 0.1  # share of calls to a guarded operation without a token, and again with another role
SIGNED_SHARE = 0.8  # share of webhook calls signed with the inbound secret
ID_FIELDS = ("measurement_id", "formulation_id", "order_id")


class Run:
    """The app under test, its settings, the seeded ids and the draws that pick ids and tokens."""

    def __init__(self, session: asgi.ASGIClient, settings: Settings, seeded: dict[str, str]) -> None:
        self.session, self.settings, self.seeded = session, settings, seeded
        self.rng = random.Random(11)
        self.calls = 0

    def token(self, role: Role) -> str:
        subject = CUSTOMER if role is Role.CUSTOMER else None
        return mint_token(secret=TEST_SECRET, issuer=self.settings.token_issuer, role=role, subject=subject,
                          ttl_seconds=3600)  # fmt: skip


# Loaded when the module is collected (schemathesis's lazy ``from_fixture`` reads a pytest internal that pytest 9
# no longer has); the calls go to the app of the ``run`` fixture, through schemathesis's ASGI client.
schema = schemathesis.openapi.from_dict(served_document())
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, deterministic=True, database="none")


@pytest.fixture(scope="module")
def run(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    settings = Settings(environment="test", redis_url=redis_server.url, secret_key=TEST_SECRET,
                        data_dir=tmp_path_factory.mktemp("openapi") / "var", max_json_body_bytes=16 * 1024,
                        rate_limit_measurements_per_hour=10_000, rate_limit_orders_per_hour=10_000)  # fmt: skip
    # Schemathesis's ASGI client: the app's lifespan starts when it is entered, and every call runs in it.
    with asgi.get_client(create_app(settings)) as session:
        yield Run(session, settings, _seed(session, Run(session, settings, {})))
    asgi.shutdown_lifespans()


def _seed(session: asgi.ASGIClient, run: Run) -> dict[str, str]:
    """A customer's measurement, formulation and order; an order in production for the lab's operations, and one
    ready to ship for the fulfilment webhook."""
    customer = {"Authorization": f"Bearer {run.token(Role.CUSTOMER)}"}
    lab = {"Authorization": f"Bearer {run.token(Role.LAB)}"}
    seeded = seed_customer(session.post, customer)
    orders = [seed_customer(session.post, customer)["order_id"] for _ in range(2)]
    for order_id in orders:
        assert session.post(f"/v1/lab/orders/{order_id}/start", headers=lab).status_code == 200
    formulation = session.get(f"/v1/lab/orders/{orders[1]}", headers=lab).json()["formulation_id"]
    target = session.get(f"/v1/lab/formulations/{formulation}", headers=lab).json()["target_masstone_lab"]
    passed = session.post(f"/v1/lab/orders/{orders[1]}/qc", json={"batch_g": 30, "batch_id": "B1", "lab": target},
                          headers=lab)  # fmt: skip
    assert passed.json()["order"]["status"] == "qc_passed", passed.text
    assert session.post(f"/v1/lab/orders/{orders[1]}/ready", headers=lab).status_code == 200
    return {**seeded, "lab_order_id": orders[0], "ready_order_id": orders[1]}


def _roles(case: schemathesis.Case) -> list[str]:
    requirements = case.operation.definition.raw.get("security") or []
    return [role for requirement in requirements for role in requirement.get(BEARER_SCHEME, [])]


def _use_seeded_ids(case: schemathesis.Case, run: Run) -> None:
    if run.rng.random() >= SEEDED_SHARE_BY_PATH.get(case.operation.path, SEEDED_SHARE):
        return
    for name in list(case.path_parameters or {}):
        if name in run.seeded:
            lab = case.operation.path.startswith("/v1/lab/orders/") and name == "order_id"
            case.path_parameters[name] = run.seeded["lab_order_id" if lab else name]
    for name in list(case.query or {}):
        if name in run.seeded:
            case.query[name] = run.seeded[name]
    if isinstance(case.body, dict):
        for name in ID_FIELDS:
            if name in case.body:
                case.body[name] = run.seeded[name]
        if case.operation.path == "/v1/webhooks/fulfilment" and isinstance(case.body.get("data"), dict):
            case.body["data"]["order_id"] = run.seeded["ready_order_id"]


def _authorise(case: schemathesis.Case, run: Run) -> None:
    roles = _roles(case)
    if not roles:
        return
    draw = run.rng.random()
    if draw < UNAUTHENTICATED_SHARE:
        return  # 401 token_missing
    role = Role(roles[0])
    if draw < 2 * UNAUTHENTICATED_SHARE:
        role = Role.FULFILMENT if role is not Role.FULFILMENT else Role.LAB  # 403 role_not_allowed
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {run.token(role)}"}


def _signed_body(case: schemathesis.Case, run: Run) -> bytes | None:
    """The webhook's body as sent, with the signature headers it verifies against (most calls)."""
    if case.operation.path != "/v1/webhooks/fulfilment" or not isinstance(case.body, dict | list | str | int | float):
        return None
    if run.rng.random() >= SIGNED_SHARE:
        return None
    body = json.dumps(case.body).encode()
    webhook_id = f"msg_st_{run.calls}"
    secret = run.settings.resolved_webhook_secret(inbound=True)
    signed = sign(secret, webhook_id, body.decode(), datetime.now(UTC))
    case.headers = {**(case.headers or {}), **signed}
    return body


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=SLOW_API_HEALTH_CHECKS)
def test_every_answer_is_documented_and_none_is_a_server_error(case: schemathesis.Case, run: Run) -> None:
    run.calls += 1
    _use_seeded_ids(case, run)
    _authorise(case, run)
    extra: dict[str, Any] = {}
    if (body := _signed_body(case, run)) is not None:
        extra["data"] = body
    case.call_and_validate(base_url=BASE_URL, session=run.session, checks=CHECKS, **extra)
