"""Orders over HTTP: idempotent creation, ownership, the state machine, the lab's queue and QC, fulfilment
webhooks, and bad input that changes nothing."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient
from redis.asyncio import Redis

from api.deps import build_services, resolve_keys
from api.errors import InvalidTransition
from api.orders.schemas import OrderIn, OrderOut
from api.orders.service import OrderService
from api.settings import Settings
from api.storage import Storage
from api.web.tokens import Role
from tests.api.orders.helpers import ADDRESS, Auth, make_formulation, order_body, place_order, signed_event, stale
from tests.api.privacy.helpers import grant_history
from tests.api.web.test_problems import assert_problem


def _keys(redis_url: str) -> set[bytes]:
    """Every data key; the rate-limit counters (which count refused requests too, by design) are left out."""
    client = redis.Redis.from_url(redis_url)
    try:
        return {key for key in client.scan_iter(count=1000) if b":rl:" not in key}
    finally:
        client.close()


@pytest.fixture
def formulation(client: TestClient[Litestar], auth: Auth) -> str:
    return make_formulation(client, auth, "alice")


def test_an_order_is_created_and_read_back_by_its_owner(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    created = place_order(client, auth, "alice", formulation, quantity=2, size_g=50)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "received"
    assert (order["size_g"], order["quantity"], order["shipping"]) == (50, 2, ADDRESS)
    assert order["history"][0]["actor"] == "customer"
    assert order["history"][0]["to_status"] == "received"
    read = client.get(f"/v1/orders/{order['id']}", headers=auth(Role.CUSTOMER, "alice"))
    assert read.status_code == 200
    assert read.json() == order
    listed = client.get("/v1/orders/", headers=auth(Role.CUSTOMER, "alice")).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]]


def test_the_same_idempotency_key_and_body_return_the_same_order(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    first = place_order(client, auth, "alice", formulation, key="order-1")
    again = place_order(client, auth, "alice", formulation, key="order-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(client.get("/v1/orders/", headers=auth(Role.CUSTOMER, "alice")).json()["items"]) == 1


def test_the_same_key_with_another_body_is_a_conflict_and_changes_nothing(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    first = place_order(client, auth, "alice", formulation, key="order-1")
    other = place_order(client, auth, "alice", formulation, key="order-1", quantity=3)
    body = assert_problem(other, 409, "idempotency_key_reused")
    assert body["order_id"] == first.json()["id"]
    assert len(client.get("/v1/orders/", headers=auth(Role.CUSTOMER, "alice")).json()["items"]) == 1


def _orders(settings: Settings, redis_client: Redis) -> OrderService:
    return build_services(settings, Storage.over(redis_client), resolve_keys(settings)).orders


def test_concurrent_retries_with_one_key_make_one_order(settings: Settings, formulation: str) -> None:
    """Twelve requests with one key at once, interleaving on a pool of Redis connections: one order."""

    async def race() -> list[tuple[OrderOut, bool]]:
        redis_client = Redis.from_url(str(settings.redis_url))
        try:
            orders = _orders(settings, redis_client)
            request = OrderIn.model_validate(order_body(formulation))
            return list(await asyncio.gather(*[orders.create("alice", request, "same") for _ in range(12)]))
        finally:
            await redis_client.aclose()

    results = asyncio.run(race())
    assert len({order.id for order, _ in results}) == 1
    assert sorted(replayed for _, replayed in results) == [False] + [True] * 11


def test_missing_idempotency_key_is_refused(client: TestClient[Litestar], auth: Auth, formulation: str) -> None:
    response = client.post("/v1/orders/", json=order_body(formulation), headers=auth(Role.CUSTOMER, "alice"))
    assert_problem(response, 400, "idempotency_key_required")


@pytest.mark.parametrize("key", ["has space", "x" * 256, "tab\there"])
def test_malformed_idempotency_keys_are_refused_and_change_nothing(
    client: TestClient[Litestar], auth: Auth, formulation: str, redis_url: str, key: str
) -> None:
    before = _keys(redis_url)
    headers = {**auth(Role.CUSTOMER, "alice"), "Idempotency-Key": key}
    response = client.post("/v1/orders/", json=order_body(formulation), headers=headers)
    assert_problem(response, 400, "invalid_request")
    assert _keys(redis_url) == before


def test_an_oversized_webhook_body_is_refused(client: TestClient[Litestar], settings: Settings) -> None:
    body = b'{"type": "order.delivered", "data": {"order_id": "' + b"x" * settings.max_json_body_bytes + b'"}}'
    response = client.post("/v1/webhooks/fulfilment/", content=body, headers={"content-type": "application/json"})
    assert_problem(response, 413, "body_too_large")


LONG = "x" * 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"shipping": {k: v for k, v in ADDRESS.items() if k != "line1"}}, "shipping.line1"),
        ({"shipping": {**ADDRESS, "name": ""}}, "shipping.name"),
        ({"shipping": {**ADDRESS, "line1": LONG}}, "shipping.line1"),
        ({"shipping": {**ADDRESS, "city": "Seoul\x00"}}, "shipping.city"),
        ({"shipping": {**ADDRESS, "name": "Kim\u202eMinji"}}, "shipping.name"),  # right-to-left override
        ({"shipping": {**ADDRESS, "line2": "line\nbreak"}}, "shipping.line2"),
        ({"shipping": {**ADDRESS, "name": "   "}}, "shipping.name"),
        ({"shipping": {**ADDRESS, "country": "Korea"}}, "shipping.country"),
        ({"shipping": {**ADDRESS, "postal_code": "<script>"}}, "shipping.postal_code"),
        ({"shipping": {**ADDRESS, "extra": "field"}}, "shipping.extra"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 10**9}, "quantity"),
        ({"quantity": "2"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"size_g": 31}, "size_g"),
        ({"formulation_id": ""}, "formulation_id"),
    ],
)
def test_bad_orders_are_refused_and_change_nothing(  # noqa: PLR0917 - pytest fixtures and parameters
    client: TestClient[Litestar], auth: Auth, formulation: str, redis_url: str, changes: dict[str, Any], field: str
) -> None:
    before = _keys(redis_url)
    response = place_order(client, auth, "alice", formulation, **changes)
    body = assert_problem(response, 400, "invalid_request")
    assert any(error["key"].endswith(field) or field in error["key"] for error in body["errors"]), body
    assert _keys(redis_url) == before


def test_unknown_or_foreign_formulations_are_not_found(
    client: TestClient[Litestar], auth: Auth, formulation: str, redis_url: str
) -> None:
    before = _keys(redis_url)
    assert_problem(place_order(client, auth, "mallory", formulation), 404, "not_found")
    assert_problem(place_order(client, auth, "alice", "fml_00000000000000000000000000000"), 404, "not_found")
    assert_problem(place_order(client, auth, "alice", "../../etc"), 404, "not_found")
    assert _keys(redis_url) == before


def test_a_customer_cannot_see_or_change_anothers_orders(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    order = place_order(client, auth, "alice", formulation).json()
    mallory = auth(Role.CUSTOMER, "mallory")
    assert_problem(client.get(f"/v1/orders/{order['id']}", headers=mallory), 404, "not_found")
    assert_problem(client.post(f"/v1/orders/{order['id']}/cancel", headers=mallory), 404, "not_found")
    reorder = client.post(f"/v1/orders/{order['id']}/reorder", json={}, headers={**mallory, "Idempotency-Key": "k"})
    assert_problem(reorder, 404, "not_found")
    assert client.get("/v1/orders/", headers=mallory).json()["items"] == []
    assert client.get(f"/v1/orders/{order['id']}", headers=auth(Role.CUSTOMER, "alice")).json()["status"] == "received"


ROUTES = [
    ("POST", "/v1/orders/", {Role.CUSTOMER}),
    ("GET", "/v1/orders/", {Role.CUSTOMER}),
    ("GET", "/v1/orders/{id}", {Role.CUSTOMER}),
    ("POST", "/v1/orders/{id}/cancel", {Role.CUSTOMER}),
    ("POST", "/v1/orders/{id}/reorder", {Role.CUSTOMER}),
    ("GET", "/v1/lab/orders/", {Role.LAB}),
    ("GET", "/v1/lab/orders/{id}", {Role.LAB}),
    ("POST", "/v1/lab/orders/{id}/start", {Role.LAB}),
    ("POST", "/v1/lab/orders/{id}/qc", {Role.LAB}),
    ("POST", "/v1/lab/orders/{id}/rework", {Role.LAB}),
    ("POST", "/v1/lab/orders/{id}/ready", {Role.LAB}),
    ("GET", "/v1/admin/webhooks/dead-letters", {Role.ADMIN}),
    ("GET", "/v1/admin/webhooks/outbox", {Role.ADMIN}),
    ("POST", "/v1/admin/webhooks/dead-letters/replay", {Role.ADMIN}),
    ("GET", "/v1/me/export", {Role.CUSTOMER}),
    ("DELETE", "/v1/me", {Role.CUSTOMER}),
    ("GET", "/v1/me/reorder-advice?measurement_id=x", {Role.CUSTOMER}),
    ("GET", "/v1/admin/orders/{id}", {Role.ADMIN}),
    ("GET", "/v1/admin/orders/?customer_id=alice", {Role.ADMIN}),
    ("GET", "/v1/fulfilment/orders/", {Role.FULFILMENT}),
    ("GET", "/v1/fulfilment/orders/{id}", {Role.FULFILMENT}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES)
def test_every_order_route_refuses_the_wrong_roles(  # noqa: PLR0917 - pytest fixtures and parameters
    client: TestClient[Litestar], auth: Auth, formulation: str, method: str, path: str, allowed: set[Role]
) -> None:
    order = place_order(client, auth, "alice", formulation).json()
    url = path.replace("{id}", order["id"])
    for role in set(Role) - allowed:
        response = client.request(method, url, json={} if method == "POST" else None, headers=auth(role, "alice"))
        assert_problem(response, 403, "role_not_allowed")
    assert_problem(client.request(method, url), 401, "token_missing")
    after = client.get(f"/v1/orders/{order['id']}", headers=auth(Role.CUSTOMER, "alice")).json()
    assert after["status"] == "received"
    assert after["history"] == order["history"]


def _batch_colour(client: TestClient[Litestar], auth: Auth, formulation: str) -> dict[str, float]:
    sheet = client.get(f"/v1/lab/formulations/{formulation}?size_g=30", headers=auth(Role.LAB))
    assert sheet.status_code == 200, sheet.text
    return dict(sheet.json()["target_masstone_lab"])


def test_the_whole_journey_from_order_to_door(
    client: TestClient[Litestar], auth: Auth, formulation: str, settings: Settings
) -> None:
    lab = auth(Role.LAB)
    order_id = place_order(client, auth, "alice", formulation).json()["id"]
    queue = client.get("/v1/lab/orders/?status=received", headers=lab).json()
    assert [o["id"] for o in queue["items"]] == [order_id]
    assert queue["items"][0]["shipping"] is None  # the lab never sees the name or address
    assert client.post(f"/v1/lab/orders/{order_id}/start", headers=lab).json()["status"] == "in_production"
    target = _batch_colour(client, auth, formulation)
    darker = {**target, "L": target["L"] - 3}
    off = client.post(
        f"/v1/lab/orders/{order_id}/qc", json={"batch_g": 30, "batch_id": "B1", "lab": darker}, headers=lab
    )
    assert off.status_code == 200, off.text
    assert off.json()["order"]["status"] == "qc_failed"
    assert off.json()["correction"]["additions"], "a failed batch comes with its additions"
    good = client.post(f"/v1/lab/orders/{order_id}/qc", json={"batch_g": 30, "batch_id": "B1-corrected", "lab": target},
                       headers=lab)  # fmt: skip
    assert good.json()["order"]["status"] == "qc_passed"
    assert client.post(f"/v1/lab/orders/{order_id}/ready", headers=lab).json()["status"] == "ready_to_ship"
    shipped_body, shipped_headers = signed_event(
        settings, "order.shipped", {"order_id": order_id, "carrier": "CJ Logistics", "tracking_number": "CJ-1234567"}
    )
    shipped = client.post("/v1/webhooks/fulfilment/", content=shipped_body, headers=shipped_headers)
    assert shipped.status_code == 200, shipped.text
    assert shipped.json() == {"order_id": order_id, "status": "shipped", "outcome": "applied"}
    again = client.post("/v1/webhooks/fulfilment/", content=shipped_body, headers=shipped_headers)
    assert again.json()["outcome"] == "already_applied"
    body, headers = signed_event(settings, "order.delivered", {"order_id": order_id})
    delivered = client.post("/v1/webhooks/fulfilment/", content=body, headers=headers)
    assert delivered.json() == {"order_id": order_id, "status": "delivered", "outcome": "applied"}
    final = client.get(f"/v1/orders/{order_id}", headers=auth(Role.CUSTOMER, "alice")).json()
    assert final["status"] == "delivered"
    assert final["shipment"] == {"carrier": "CJ Logistics", "tracking_number": "CJ-1234567"}
    steps = [(h["actor"], h["from_status"], h["to_status"]) for h in final["history"] if h["to_status"]]
    assert steps == [
        ("customer", None, "received"),
        ("lab", "received", "in_production"),
        ("lab", "in_production", "qc_failed"),
        ("lab", "qc_failed", "qc_passed"),
        ("lab", "qc_passed", "ready_to_ship"),
        ("fulfilment", "ready_to_ship", "shipped"),
        ("fulfilment", "shipped", "delivered"),
    ]


@pytest.mark.parametrize(
    ("action", "setup"),
    [
        ("start", ["start"]),  # twice
        ("ready", []),  # before QC
        ("ready", ["start"]),
        ("rework", ["start"]),
    ],
)
def test_transitions_out_of_order_are_conflicts_and_change_nothing(
    client: TestClient[Litestar], auth: Auth, formulation: str, action: str, setup: list[str]
) -> None:
    lab = auth(Role.LAB)
    order_id = place_order(client, auth, "alice", formulation).json()["id"]
    for step in setup:
        assert client.post(f"/v1/lab/orders/{order_id}/{step}", headers=lab).status_code == 200
    before = client.get(f"/v1/lab/orders/{order_id}", headers=lab).json()
    body = assert_problem(client.post(f"/v1/lab/orders/{order_id}/{action}", headers=lab), 409, "invalid_transition")
    assert body["current_status"] == before["status"]
    assert client.get(f"/v1/lab/orders/{order_id}", headers=lab).json() == before


def test_cancel_only_before_production(client: TestClient[Litestar], auth: Auth, formulation: str) -> None:
    alice = auth(Role.CUSTOMER, "alice")
    early = place_order(client, auth, "alice", formulation).json()["id"]
    assert client.post(f"/v1/orders/{early}/cancel", headers=alice).json()["status"] == "cancelled"
    assert_problem(client.post(f"/v1/orders/{early}/cancel", headers=alice), 409, "invalid_transition")
    late = place_order(client, auth, "alice", formulation).json()["id"]
    client.post(f"/v1/lab/orders/{late}/start", headers=auth(Role.LAB))
    assert_problem(client.post(f"/v1/orders/{late}/cancel", headers=alice), 409, "invalid_transition")
    queue = client.get("/v1/lab/orders/?status=received", headers=auth(Role.LAB)).json()
    assert queue["items"] == []


def test_racing_lab_requests_move_an_order_once(
    client: TestClient[Litestar], auth: Auth, formulation: str, settings: Settings
) -> None:
    """Sixteen `start`s at once on a pool of Redis connections: a read-then-write would let several through."""
    order_id = place_order(client, auth, "alice", formulation).json()["id"]

    async def race() -> list[str]:
        redis_client = Redis.from_url(str(settings.redis_url))
        orders = _orders(settings, redis_client)

        async def start() -> str:
            try:
                return await orders.apply_transition(order_id, "start", actor="lab")
            except InvalidTransition:
                return "refused"

        try:
            return list(await asyncio.gather(*[start() for _ in range(16)]))
        finally:
            await redis_client.aclose()

    outcomes = asyncio.run(race())
    assert sorted(outcomes) == ["moved"] + ["refused"] * 15
    history = client.get(f"/v1/lab/orders/{order_id}", headers=auth(Role.LAB)).json()["history"]
    assert [h["to_status"] for h in history] == ["received", "in_production"]


def test_lab_queue_is_oldest_first_across_customers_and_paginated(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    others = [make_formulation(client, auth, customer) for customer in ("bob", "carol")]
    ids = [place_order(client, auth, "alice", formulation).json()["id"]]
    ids += [place_order(client, auth, c, f).json()["id"] for c, f in zip(("bob", "carol"), others, strict=True)]
    ids.append(place_order(client, auth, "alice", formulation).json()["id"])
    seen, cursor = [], None
    while True:
        url = "/v1/lab/orders/?status=received&limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=auth(Role.LAB)).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert_problem(client.get("/v1/lab/orders/?status=lost", headers=auth(Role.LAB)), 400, "invalid_request")
    assert_problem(client.get("/v1/lab/orders/?cursor=nonsense", headers=auth(Role.LAB)), 400, "invalid_request")


def test_forged_stale_and_unsigned_webhooks_are_refused(
    client: TestClient[Litestar], auth: Auth, formulation: str, settings: Settings
) -> None:
    lab = auth(Role.LAB)
    order_id = place_order(client, auth, "alice", formulation).json()["id"]
    data = {"order_id": order_id, "carrier": "CJ", "tracking_number": "CJ-1"}
    body, headers = signed_event(settings, "order.shipped", data)
    forged = {**headers, "webhook-signature": "v1,AAAA" + headers["webhook-signature"][7:]}
    assert_problem(
        client.post("/v1/webhooks/fulfilment/", content=body, headers=forged), 401, "webhook_signature_invalid"
    )
    tampered = body.replace(b"CJ-1", b"CJ-2")
    assert_problem(client.post("/v1/webhooks/fulfilment/", content=tampered, headers=headers), 401,
                   "webhook_signature_invalid")  # fmt: skip
    old_body, old_headers = signed_event(settings, "order.shipped", data, at=stale(6))
    assert_problem(client.post("/v1/webhooks/fulfilment/", content=old_body, headers=old_headers), 401,
                   "webhook_timestamp_out_of_tolerance")  # fmt: skip
    unsigned = {"content-type": "application/json"}
    assert_problem(client.post("/v1/webhooks/fulfilment/", content=body, headers=unsigned), 401,
                   "webhook_signature_invalid")  # fmt: skip
    malformed = {**headers, "webhook-signature": "garbage"}
    assert_problem(client.post("/v1/webhooks/fulfilment/", content=body, headers=malformed), 401,
                   "webhook_signature_invalid")  # fmt: skip
    # A genuine event for an order that is not ready to ship is a conflict and changes nothing.
    assert_problem(client.post("/v1/webhooks/fulfilment/", content=body, headers=headers), 409, "invalid_transition")
    assert client.get(f"/v1/lab/orders/{order_id}", headers=lab).json()["status"] == "received"
    bad_body, bad_headers = signed_event(settings, "order.shipped", {"order_id": order_id})
    assert_problem(client.post("/v1/webhooks/fulfilment/", content=bad_body, headers=bad_headers), 400,
                   "invalid_request")  # fmt: skip
    unknown_body, unknown_headers = signed_event(settings, "order.delivered", {"order_id": "ord_" + "0" * 28})
    assert_problem(client.post("/v1/webhooks/fulfilment/", content=unknown_body, headers=unknown_headers), 404,
                   "not_found")  # fmt: skip


def test_no_address_bytes_in_redis_or_logs(
    client: TestClient[Litestar], auth: Auth, formulation: str, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    order = place_order(client, auth, "alice", formulation, key=str(uuid.uuid4())).json()
    client.get(f"/v1/orders/{order['id']}", headers=auth(Role.CUSTOMER, "alice"))
    raw = redis.Redis.from_url(redis_url)
    dump = b""
    for key in raw.scan_iter(count=1000):
        kind = raw.type(key)
        if kind == b"string":
            dump += raw.get(key) or b""
        elif kind == b"hash":
            dump += b"".join(k + v for k, v in raw.hgetall(key).items())
        elif kind == b"list":
            dump += b"".join(raw.lrange(key, 0, -1))
        dump += key
    raw.close()
    for secret in ("Kim Minji", "Teheran", "06236", "1234 5678", "Gangnam"):
        assert secret.encode() not in dump, secret
        assert secret not in caplog.text, secret


def test_measurements_expire_unless_an_order_keeps_them(
    client: TestClient[Litestar], auth: Auth, formulation: str, redis_url: str
) -> None:
    raw = redis.Redis.from_url(redis_url)
    ttls = {key: raw.ttl(key) for key in raw.scan_iter(match="*:msr:*")}
    assert len(ttls) == 1
    assert 364 * 86400 < next(iter(ttls.values())) <= 365 * 86400
    place_order(client, auth, "alice", formulation)
    assert [raw.ttl(key) for key in ttls] == [-1]
    raw.close()


def test_reorder_uses_the_earlier_order_unless_told_otherwise(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    alice = auth(Role.CUSTOMER, "alice")
    first = place_order(client, auth, "alice", formulation, quantity=2).json()
    again = client.post(f"/v1/orders/{first['id']}/reorder", json={}, headers={**alice, "Idempotency-Key": "re-1"})
    assert again.status_code == 201, again.text
    second = again.json()
    assert second["id"] != first["id"]
    assert (second["formulation_id"], second["quantity"], second["shipping"]) == (formulation, 2, ADDRESS)
    moved = {**ADDRESS, "line1": "1 Other-ro"}
    third = client.post(f"/v1/orders/{first['id']}/reorder", json={"shipping": moved, "quantity": 1},
                        headers={**alice, "Idempotency-Key": "re-2"}).json()  # fmt: skip
    assert third["shipping"]["line1"] == "1 Other-ro"
    assert third["quantity"] == 1
    assert_problem(client.post(f"/v1/orders/{first['id']}/reorder", json={}, headers=alice), 400,
                   "idempotency_key_required")  # fmt: skip


def test_a_new_measurement_suggests_a_new_formulation_when_the_skin_has_moved(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    from tests.api.web.test_problems import READING

    alice = auth(Role.CUSTOMER, "alice")
    grant_history(client, alice)
    place_order(client, auth, "alice", formulation)
    near = client.post("/v1/measurements/", json={**READING, "lab": {"L": 58.4, "a": 12, "b": 17}}, headers=alice)
    far = client.post("/v1/measurements/", json={**READING, "lab": {"L": 52, "a": 13, "b": 18}}, headers=alice)
    same = client.get(f"/v1/me/reorder-advice?measurement_id={near.json()['id']}", headers=alice).json()
    assert same["suggestion"] == "reorder"
    assert same["delta_E00"] < 1
    moved = client.get(f"/v1/me/reorder-advice?measurement_id={far.json()['id']}", headers=alice).json()
    assert moved["suggestion"] == "new_formulation"
    assert moved["delta_E00"] > moved["threshold_dE00"]
    assert_problem(client.get("/v1/me/reorder-advice?measurement_id=msr_x", headers=alice), 404, "not_found")
