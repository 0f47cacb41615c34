"""The fulfilment partner reads the orders it ships (status, contents, the label's name and address) with its
``fulfilment`` token; orders not yet ready are not its to see, the lab never sees an address, other roles are 403."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.settings import Settings
from api.web.tokens import Role
from tests.api.orders.helpers import ADDRESS, make_formulation, make_ready, place_order, signed_event
from tests.api.web.test_problems import assert_problem

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def formulation(client: TestClient[Litestar], auth: Auth) -> str:
    return make_formulation(client, auth, "alice")


def test_the_partner_reads_a_ready_order_with_its_label_and_follows_it_to_the_door(
    client: TestClient[Litestar], auth: Auth, formulation: str, settings: Settings
) -> None:
    partner = auth(Role.FULFILMENT)
    order_id = place_order(client, auth, "alice", formulation).json()["id"]
    assert_problem(client.get(f"/v1/fulfilment/orders/{order_id}", headers=partner), 404, "not_found")
    make_ready(client, auth, order_id, formulation)
    shipment = client.get(f"/v1/fulfilment/orders/{order_id}", headers=partner)
    assert shipment.status_code == 200, shipment.text
    assert shipment.json() | {"updated_at": None} == {
        "order_id": order_id, "status": "ready_to_ship", "updated_at": None, "formulation_id": formulation,
        "size_g": 30, "quantity": 1, "ship_to": ADDRESS, "shipment": None, "shipping_unavailable": None,
    }  # fmt: skip
    queue = client.get("/v1/fulfilment/orders/", headers=partner).json()
    assert [o["order_id"] for o in queue["items"]] == [order_id]
    assert queue["items"][0]["ship_to"] == ADDRESS
    body, headers = signed_event(settings, "order.shipped", {"order_id": order_id, "carrier": "CJ",
                                                             "tracking_number": "CJ-12345"})  # fmt: skip
    assert client.post("/v1/webhooks/fulfilment/", content=body, headers=headers).status_code == 200
    shipped = client.get(f"/v1/fulfilment/orders/{order_id}", headers=partner).json()
    assert shipped["status"] == "shipped"
    assert shipped["shipment"] == {"carrier": "CJ", "tracking_number": "CJ-12345"}
    assert client.get("/v1/fulfilment/orders/", headers=partner).json()["items"] == []
    listed = client.get("/v1/fulfilment/orders/?status=shipped", headers=partner).json()["items"]
    assert [o["order_id"] for o in listed] == [order_id]
    # The lab makes the bottle and never sees where it goes.
    lab_view = client.get(f"/v1/lab/orders/{order_id}", headers=auth(Role.LAB)).json()
    assert lab_view["shipping"] is None
    assert "Teheran" not in client.get("/v1/lab/orders/?status=shipped", headers=auth(Role.LAB)).text


def test_the_partners_queue_pages_oldest_first(client: TestClient[Litestar], auth: Auth, formulation: str) -> None:
    partner = auth(Role.FULFILMENT)
    ids = [place_order(client, auth, "alice", formulation).json()["id"] for _ in range(3)]
    for order_id in ids:
        make_ready(client, auth, order_id, formulation, batch_id=f"B-{order_id[-6:]}")
    first = client.get("/v1/fulfilment/orders/?limit=2", headers=partner).json()
    second = client.get(f"/v1/fulfilment/orders/?limit=2&cursor={first['next_cursor']}", headers=partner).json()
    assert [o["order_id"] for o in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "status"),
    [("?status=received", 400), ("?status=in_production", 400), ("?status=nope", 400), ("?cursor=x", 400)],
)
def test_the_partner_cannot_list_orders_that_are_not_its_shipments(
    client: TestClient[Litestar], auth: Auth, query: str, status: int
) -> None:
    assert_problem(client.get(f"/v1/fulfilment/orders/{query}", headers=auth(Role.FULFILMENT)), status,
                   "invalid_request")  # fmt: skip


def test_unknown_and_not_yet_ready_orders_are_404_for_the_partner(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    partner = auth(Role.FULFILMENT)
    for order_id in ("ord_000000000000ffffffffffffff00", "ord_nope", "../etc"):
        assert_problem(client.get(f"/v1/fulfilment/orders/{order_id}", headers=partner), 404, "not_found")
    order_id = place_order(client, auth, "alice", formulation).json()["id"]
    client.post(f"/v1/lab/orders/{order_id}/start", headers=auth(Role.LAB))
    assert_problem(client.get(f"/v1/fulfilment/orders/{order_id}", headers=partner), 404, "not_found")


def test_other_roles_are_refused(client: TestClient[Litestar], auth: Auth, formulation: str) -> None:
    order_id = place_order(client, auth, "alice", formulation).json()["id"]
    make_ready(client, auth, order_id, formulation)
    for url in ("/v1/fulfilment/orders/", f"/v1/fulfilment/orders/{order_id}"):
        for role in (Role.CUSTOMER, Role.LAB, Role.ADMIN):
            assert_problem(client.get(url, headers=auth(role, "alice")), 403, "role_not_allowed")
        assert_problem(client.get(url), 401, "token_missing")
