"""One pagination parameter, ``cursor``, everywhere (``before`` was ignored on the customer's lists: a client paged
forever); any query parameter a route does not take is refused by name; the event the worker sends is the one the
document's webhook describes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import jsonschema_rs
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from redis.asyncio import Redis

from api.fulfilment.worker import DeliverySettings, DeliveryWorker
from api.sealing import Sealer
from api.settings import Settings
from api.storage import Storage
from api.web.tokens import Role
from tests.api.openapi.helpers import ORDER_BODY, seed_customer, served_document
from tests.api.privacy.helpers import grant_history
from tests.api.web.test_problems import assert_problem

Auth = Callable[..., dict[str, str]]


@pytest.mark.parametrize(
    ("path", "role", "unknown"),
    [
        ("/v1/measurements/?before=msr_0190c5a8e2b1a9f3c2d4e5f60718", Role.CUSTOMER, ["before"]),
        ("/v1/orders/?limit=2&before=x&page=2", Role.CUSTOMER, ["before", "page"]),
        ("/v1/lab/orders/?state=received", Role.LAB, ["state"]),
        ("/v1/me/export?format=csv", Role.CUSTOMER, ["format"]),
        ("/healthz?verbose=1", None, ["verbose"]),
    ],
)
def test_a_query_parameter_the_route_does_not_take_is_refused_by_name(
    client: TestClient[Litestar], auth: Auth, path: str, role: Role | None, unknown: list[str]
) -> None:
    headers = auth(role, "alice") if role is Role.CUSTOMER else auth(role) if role else {}
    body = assert_problem(client.get(path, headers=headers), 400, "invalid_request")
    assert [error["key"] for error in body["errors"]] == unknown
    assert all(f"'{name}'" in body["detail"] for name in unknown)


def test_the_webhook_refuses_an_unknown_query_parameter_before_reading_the_body(client: TestClient[Litestar]) -> None:
    response = client.post(
        "/v1/webhooks/fulfilment/?debug=1", content=b"{}", headers={"content-type": "application/json"}
    )
    assert assert_problem(response, 400, "invalid_request")["errors"][0]["key"] == "debug"


def test_the_customer_lists_page_with_cursor(client: TestClient[Litestar], auth: Auth) -> None:
    headers = auth(Role.CUSTOMER, "alice")
    grant_history(client, headers)
    placed = [seed_customer(client.post, headers)["order_id"] for _ in range(3)]
    first = client.get("/v1/orders/?limit=2", headers=headers).json()
    second = client.get(f"/v1/orders/?limit=2&cursor={first['next_cursor']}", headers=headers).json()
    assert [o["id"] for o in first["items"] + second["items"]] == placed[::-1]
    assert second["next_cursor"] is None
    measurements = client.get("/v1/measurements/?limit=2", headers=headers).json()
    rest = client.get(f"/v1/measurements/?limit=2&cursor={measurements['next_cursor']}", headers=headers).json()
    assert [len(measurements["items"]), len(rest["items"]), rest["next_cursor"]] == [2, 1, None]
    assert not {m["id"] for m in measurements["items"]} & {m["id"] for m in rest["items"]}


@pytest.mark.parametrize("path", ["/v1/orders/", "/v1/measurements/"])
@pytest.mark.parametrize("cursor", ["nonsense", "ord_zz", "msr_0190c5a8e2b1a9f3c2d4e5f6071"])
def test_a_cursor_the_api_did_not_give_is_refused(
    client: TestClient[Litestar], auth: Auth, path: str, cursor: str
) -> None:
    response = client.get(f"{path}?cursor={cursor}", headers=auth(Role.CUSTOMER, "alice"))
    assert_problem(response, 400, "invalid_request")


def test_the_worker_sends_the_event_the_document_describes(
    client: TestClient[Litestar], auth: Auth, settings: Settings
) -> None:
    lab = auth(Role.LAB)
    order_id = seed_customer(client.post, auth(Role.CUSTOMER, "alice"))["order_id"]
    formulation = client.get(f"/v1/lab/orders/{order_id}", headers=lab).json()["formulation_id"]
    target = client.get(f"/v1/lab/formulations/{formulation}", headers=lab).json()["target_masstone_lab"]
    client.post(f"/v1/lab/orders/{order_id}/start", headers=lab)
    client.post(f"/v1/lab/orders/{order_id}/qc", json={"batch_g": 30, "batch_id": "B1", "lab": target}, headers=lab)
    assert client.post(f"/v1/lab/orders/{order_id}/ready", headers=lab).json()["status"] == "ready_to_ship"
    sent: list[httpx.Request] = []

    def partner(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    async def deliver() -> None:
        redis = Redis.from_url(str(settings.redis_url))
        secret = settings.resolved_webhook_secret(inbound=False)
        delivery = DeliverySettings(url="http://partner.invalid/hooks", secret=secret, max_attempts=3,
                                    backoff_seconds=0.01, backoff_max_seconds=0.01, timeout_seconds=1)  # fmt: skip
        sealer = Sealer.from_encoded(*settings.resolved_data_keys())
        worker = DeliveryWorker(Storage.over(redis), sealer, delivery,
                                client=httpx.AsyncClient(transport=httpx.MockTransport(partner)))  # fmt: skip
        try:
            await worker.run_once()
        finally:
            await worker.aclose()
            await redis.aclose()

    asyncio.run(deliver())
    assert len(sent) == 1
    document = served_document()
    described = document["webhooks"]["order.ready_to_ship"]["post"]
    assert {p["name"] for p in described["parameters"]} <= set(sent[0].headers)
    schema = described["requestBody"]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})
    event = json.loads(sent[0].content)
    assert not [error.message for error in validator.iter_errors(event)]
    assert event["data"]["order_id"] == order_id
    assert event["data"]["ship_to"] == ORDER_BODY["shipping"]
