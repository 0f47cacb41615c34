"""An admin looks orders up by id or by customer (never the address); a quality check is recorded once per batch
id, so a retried check moves nothing and a different measurement under the same batch id is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.web.tokens import Role
from tests.api.orders.helpers import make_formulation, place_order
from tests.api.web.test_problems import assert_problem

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def formulation(client: TestClient[Litestar], auth: Auth) -> str:
    return make_formulation(client, auth, "alice")


def test_an_admin_looks_orders_up_by_id_and_by_customer(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    admin = auth(Role.ADMIN)
    ids = [place_order(client, auth, "alice", formulation).json()["id"] for _ in range(3)]
    bobs = place_order(client, auth, "bob", make_formulation(client, auth, "bob")).json()["id"]
    one = client.get(f"/v1/admin/orders/{ids[0]}", headers=admin)
    assert one.status_code == 200, one.text
    order = one.json()
    assert (order["id"], order["customer_id"], order["status"]) == (ids[0], "alice", "received")
    assert order["shipping"] is None
    assert "Teheran" not in one.text
    first = client.get("/v1/admin/orders/?customer_id=alice&limit=2", headers=admin).json()
    second = client.get(f"/v1/admin/orders/?customer_id=alice&limit=2&cursor={first['next_cursor']}",
                        headers=admin).json()  # fmt: skip
    assert [o["id"] for o in first["items"] + second["items"]] == ids[::-1]  # newest first
    assert second["next_cursor"] is None
    assert {o["customer_id"] for o in first["items"]} == {"alice"}
    assert [o["id"] for o in client.get("/v1/admin/orders/?customer_id=bob", headers=admin).json()["items"]] == [bobs]
    assert client.get("/v1/admin/orders/?customer_id=nobody", headers=admin).json() == {
        "items": [], "next_cursor": None
    }  # fmt: skip


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/v1/admin/orders/ord_000000000000ffffffffffffff00", 404, "not_found"),
        ("/v1/admin/orders/nope", 404, "not_found"),
        ("/v1/admin/orders/", 400, "invalid_request"),
        ("/v1/admin/orders/?customer_id=a%20b", 400, "invalid_request"),
        ("/v1/admin/orders/?customer_id=alice&cursor=x", 400, "invalid_request"),
        ("/v1/admin/orders/?customer_id=alice&limit=0", 400, "invalid_request"),
    ],
)
def test_bad_admin_lookups(client: TestClient[Litestar], auth: Auth, url: str, status: int, code: str) -> None:
    assert_problem(client.get(url, headers=auth(Role.ADMIN)), status, code)


def test_other_roles_cannot_look_orders_up(client: TestClient[Litestar], auth: Auth, formulation: str) -> None:
    order_id = place_order(client, auth, "alice", formulation).json()["id"]
    for url in (f"/v1/admin/orders/{order_id}", "/v1/admin/orders/?customer_id=alice"):
        for role in (Role.CUSTOMER, Role.LAB, Role.FULFILMENT):
            assert_problem(client.get(url, headers=auth(role, "alice")), 403, "role_not_allowed")
        assert_problem(client.get(url), 401, "token_missing")


def test_a_retried_quality_check_moves_nothing_and_another_measurement_of_the_batch_is_refused(
    client: TestClient[Litestar], auth: Auth, formulation: str
) -> None:
    lab = auth(Role.LAB)
    order_id = place_order(client, auth, "alice", formulation).json()["id"]
    client.post(f"/v1/lab/orders/{order_id}/start", headers=lab)
    target = client.get(f"/v1/lab/formulations/{formulation}", headers=lab).json()["target_masstone_lab"]
    failing = {"batch_g": 30, "batch_id": "B-1", "lab": {**target, "L": target["L"] + 2.5}}
    first = client.post(f"/v1/lab/orders/{order_id}/qc", json=failing, headers=lab)
    assert first.json()["order"]["status"] == "qc_failed", first.text
    again = client.post(f"/v1/lab/orders/{order_id}/qc", json=failing, headers=lab)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # the same correction, the same order: no second history entry
    changed = {**failing, "lab": {**target, "L": target["L"] + 1.5}}
    assert_problem(client.post(f"/v1/lab/orders/{order_id}/qc", json=changed, headers=lab), 409, "batch_id_reused")
    corrected = {"batch_g": 30.5, "batch_id": "B-1a", "lab": target}
    passed = client.post(f"/v1/lab/orders/{order_id}/qc", json=corrected, headers=lab)
    assert passed.json()["order"]["status"] == "qc_passed", passed.text
    retried = client.post(f"/v1/lab/orders/{order_id}/qc", json=corrected, headers=lab)
    assert retried.status_code == 200, retried.text
    assert retried.json() == passed.json()
    corrections = client.get(f"/v1/lab/formulations/{formulation}/corrections", headers=lab).json()
    assert [c["batch_id"] for c in corrections] == ["B-1", "B-1a"]
    history = client.get(f"/v1/orders/{order_id}", headers=auth(Role.CUSTOMER, "alice")).json()["history"]
    assert [h["to_status"] for h in history] == ["received", "in_production", "qc_failed", "qc_passed"]
    new_batch = {**corrected, "batch_id": "B-2"}
    assert_problem(client.post(f"/v1/lab/orders/{order_id}/qc", json=new_batch, headers=lab), 409,
                   "invalid_transition")  # fmt: skip
