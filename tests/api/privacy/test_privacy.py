"""The customer's data: export of everything kept (and what erasure would keep, and why), erasure that keeps the
batch records of what was made under an anonymous id, sealed names and addresses, key rotation."""

from __future__ import annotations

import json

import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.sealing import Sealer, SealingError, decode_key, new_key
from api.settings import Settings
from api.web.tokens import Role
from tests.api.orders.helpers import ADDRESS, Auth, make_formulation, place_order, signed_event
from tests.api.web.test_problems import assert_problem


def test_export_shows_everything_kept_about_the_caller_only(client: TestClient[Litestar], auth: Auth) -> None:
    formulation = make_formulation(client, auth, "alice")
    make_formulation(client, auth, "bob")
    order = place_order(client, auth, "alice", formulation).json()
    export = client.get("/v1/me/export", headers=auth(Role.CUSTOMER, "alice"))
    assert export.status_code == 200, export.text
    data = export.json()
    assert data["customer_id"] == "alice"
    assert len(data["measurements"]) == 1
    assert data["measurements"][0]["consent"] == "2026-01"
    assert [f["id"] for f in data["formulations"]] == [formulation]
    assert [o["id"] for o in data["orders"]] == [order["id"]]
    assert data["orders"][0]["shipping"] == ADDRESS


def _deliver(client: TestClient[Litestar], auth: Auth, settings: Settings, order_id: str, formulation: str) -> None:
    lab = auth(Role.LAB)
    client.post(f"/v1/lab/orders/{order_id}/start", headers=lab)
    target = client.get(f"/v1/lab/formulations/{formulation}?size_g=30", headers=lab).json()["target_masstone_lab"]
    client.post(f"/v1/lab/orders/{order_id}/qc", json={"batch_g": 30, "batch_id": "B", "lab": target}, headers=lab)
    client.post(f"/v1/lab/orders/{order_id}/ready", headers=lab)
    for event, data in (("order.shipped", {"carrier": "CJ", "tracking_number": "CJ-99999"}), ("order.delivered", {})):
        body, headers = signed_event(settings, event, {"order_id": order_id, **data})
        assert client.post("/v1/webhooks/fulfilment/", content=body, headers=headers).status_code == 200


def test_erasure_deletes_the_person_and_keeps_orders_and_batch_records_under_an_anonymous_id(
    client: TestClient[Litestar], auth: Auth, settings: Settings, redis_url: str
) -> None:
    alice, lab, admin = auth(Role.CUSTOMER, "alice"), auth(Role.LAB), auth(Role.ADMIN)
    formulation = make_formulation(client, auth, "alice")
    unused = make_formulation(client, auth, "alice")
    delivered = place_order(client, auth, "alice", formulation).json()["id"]
    _deliver(client, auth, settings, delivered, formulation)
    waiting = place_order(client, auth, "alice", formulation).json()["id"]
    bob_formulation = make_formulation(client, auth, "bob")
    sheet_before = client.get(f"/v1/lab/formulations/{formulation}", headers=lab).json()
    corrections_before = client.get(f"/v1/lab/formulations/{formulation}/corrections", headers=lab).json()
    assert [c["batch_id"] for c in corrections_before] == ["B"]
    kept_before = client.get("/v1/me/export", headers=alice).json()["kept_on_erasure"]
    assert {(k["record"], k["id"]) for k in kept_before} == {
        ("order", delivered), ("order", waiting), ("batch_record", formulation),
    }  # fmt: skip
    assert all(k["reason"] and k["kept"] and k["removed"] for k in kept_before)
    erased = client.delete("/v1/me", headers=alice)
    assert erased.status_code == 200, erased.text
    result = erased.json()
    assert {k: v for k, v in result.items() if k != "kept"} == {
        "measurements_deleted": 1, "formulations_deleted": 1, "orders_cancelled": 1,
        "orders_kept_without_personal_data": 2, "batch_records_kept": 1,
    }  # fmt: skip
    [batch] = [k for k in result["kept"] if k["record"] == "batch_record"]
    assert batch["id"] == formulation
    assert batch["order_ids"] == [delivered]
    assert "1223/2009" in batch["reason"]
    # The person is gone: nothing is found under the customer any more.
    after = client.get("/v1/me/export", headers=alice).json()
    for kind in ("measurements", "formulations", "corrections", "orders", "kept_on_erasure"):
        assert after[kind] == [], kind
    assert_problem(client.get(f"/v1/orders/{delivered}", headers=alice), 404, "not_found")
    reorder = client.post(f"/v1/orders/{delivered}/reorder", json={}, headers={**alice, "Idempotency-Key": "again"})
    assert_problem(reorder, 404, "not_found")
    assert client.get("/v1/admin/orders/?customer_id=alice", headers=admin).json()["items"] == []
    # The batch record stays with the order: batch sheet, corrections, QC history, linked to an anonymous id.
    assert client.get(f"/v1/lab/formulations/{formulation}", headers=lab).json() == sheet_before
    assert client.get(f"/v1/lab/formulations/{formulation}/corrections", headers=lab).json() == corrections_before
    assert_problem(client.get(f"/v1/lab/formulations/{unused}", headers=lab), 404, "not_found")
    kept_order = client.get(f"/v1/admin/orders/{delivered}", headers=admin).json()
    anonymous = kept_order["customer_id"]
    assert anonymous.startswith("anon_")
    assert kept_order["status"] == "delivered"
    assert kept_order["erased"] is True
    assert kept_order["shipping"] is None
    assert kept_order["qc"]["batch_id"] == "B"
    assert kept_order["formulation_id"] == formulation
    assert [h["to_status"] for h in kept_order["history"] if h["to_status"]][-1] == "delivered"
    listed = client.get(f"/v1/admin/orders/?customer_id={anonymous}", headers=admin).json()["items"]
    assert {o["id"]: o["status"] for o in listed} == {delivered: "delivered", waiting: "cancelled"}
    assert client.get(f"/v1/lab/orders/{delivered}", headers=lab).json()["erased"] is True
    raw = redis.Redis.from_url(redis_url)
    alices = [k for k in raw.scan_iter(count=1000) if b":c:alice:" in k]
    assert all(b":rl:" in k for k in alices), alices  # only this hour's rate-limit counters, which expire with it
    for key in raw.scan_iter(count=1000):
        if raw.type(key) == b"string":
            assert b"alice" not in (raw.get(key) or b""), key
        elif raw.type(key) == b"hash":
            assert not any(b"alice" in value for value in raw.hvals(key)), key
    [kept] = list(raw.scan_iter(match=f"*:c:{anonymous}:fml:{formulation}".encode()))
    record = json.loads(raw.get(kept) or b"{}")
    assert {"target_lab", "predicted_lab", "measurement_id", "nearest_shades"}.isdisjoint(record)
    assert record["kept"]["reason"]
    assert not [k for k in raw.scan_iter(match="*:ord:*") if raw.type(k) == b"hash" and raw.hexists(k, "shipping")]
    raw.close()
    # Bob's data is untouched.
    assert client.get(f"/v1/formulations/{bob_formulation}", headers=auth(Role.CUSTOMER, "bob")).status_code == 200


def test_a_batch_record_is_found_at_every_step_of_an_erasure(
    client: TestClient[Litestar], auth: Auth, settings: Settings, redis_url: str
) -> None:
    """The erasure writes the kept-record index before it moves the record and removes the owner index after:
    stopped before the move (a kept index pointing at nothing yet) or after it (an owner index pointing at
    nothing any more), the lab still finds the batch sheet."""
    lab = auth(Role.LAB)
    formulation = make_formulation(client, auth, "alice")
    order_id = place_order(client, auth, "alice", formulation).json()["id"]
    _deliver(client, auth, settings, order_id, formulation)
    url = f"/v1/lab/formulations/{formulation}"
    sheet = client.get(url, headers=lab).json()
    raw = redis.Redis.from_url(redis_url)
    raw.set(f"tm:fml-kept:{formulation}", "anon_0000000000000000")  # as if stopped after the first step
    assert client.get(url, headers=lab).json() == sheet
    assert client.delete("/v1/me", headers=auth(Role.CUSTOMER, "alice")).status_code == 200
    raw.set(f"tm:fml-owner:{formulation}", "alice")  # as if stopped before the last step
    assert client.get(url, headers=lab).json() == sheet
    raw.close()


def test_erasure_waits_while_an_order_is_on_its_way_and_changes_nothing(
    client: TestClient[Litestar], auth: Auth
) -> None:
    alice = auth(Role.CUSTOMER, "alice")
    formulation = make_formulation(client, auth, "alice")
    order_id = place_order(client, auth, "alice", formulation).json()["id"]
    client.post(f"/v1/lab/orders/{order_id}/start", headers=auth(Role.LAB))
    before = client.get("/v1/me/export", headers=alice).json()
    body = assert_problem(client.delete("/v1/me", headers=alice), 409, "orders_in_progress")
    assert body["order_ids"] == [order_id]
    after = client.get("/v1/me/export", headers=alice).json()
    assert {k: v for k, v in after.items() if k != "exported_at"} == {
        k: v for k, v in before.items() if k != "exported_at"
    }


def test_sealed_values_open_only_for_their_record_and_survive_key_rotation() -> None:
    old, new = decode_key(new_key()), decode_key(new_key())
    before = Sealer({"k1": old}, "k1")
    sealed = before.seal(b"12 Teheran-ro", "ord_1")
    assert b"Teheran" not in sealed.encode()
    with pytest.raises(SealingError):
        before.open(sealed, "ord_2")  # moved onto another order
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealingError):
        before.open(tampered, "ord_1")
    rotated = Sealer({"k1": old, "k2": new}, "k2")
    assert rotated.open(sealed, "ord_1") == b"12 Teheran-ro"
    resealed = rotated.reseal(sealed, "ord_1")
    assert resealed.startswith("v1.k2.")
    assert rotated.open(resealed, "ord_1") == b"12 Teheran-ro"
    with pytest.raises(SealingError):
        Sealer({"k2": new}, "k2").open(sealed, "ord_1")  # the retired key is gone: old values no longer open
    with pytest.raises(SealingError):
        Sealer({"k1": old}, "k9")
    with pytest.raises(SealingError):
        decode_key("c2hvcnQ")


def test_orders_sealed_with_an_old_key_are_read_after_rotation(settings: Settings, auth: Auth) -> None:
    first_key = new_key()
    before = Settings(**{**settings.model_dump(), "data_keys": {"k1": first_key}, "data_key_id": "k1"})
    with TestClient(app=create_app(before)) as c1:
        formulation = make_formulation(c1, auth, "alice")
        order_id = place_order(c1, auth, "alice", formulation).json()["id"]
    rotated = Settings(
        **{**settings.model_dump(), "data_keys": {"k1": first_key, "k2": new_key()}, "data_key_id": "k2"}
    )
    with TestClient(app=create_app(rotated)) as c2:
        order = c2.get(f"/v1/orders/{order_id}", headers=auth(Role.CUSTOMER, "alice")).json()
        assert order["shipping"] == ADDRESS


def test_reseal_moves_every_address_to_the_current_key(
    settings: Settings,
    auth: Auth,
    settings_env,
    redis_url: str,  # type: ignore[no-untyped-def]
) -> None:
    from click.testing import CliRunner

    from api.cli import cli

    first, second = new_key(), new_key()
    with TestClient(app=create_app(Settings(**{**settings.model_dump(), "data_keys": {"k1": first}}))) as client:
        formulation = make_formulation(client, auth, "alice")
        order_id = place_order(client, auth, "alice", formulation).json()["id"]
    settings_env(REDIS_URL=redis_url, TONEMATCH_DATA_KEYS=f'{{"k1": "{first}", "k2": "{second}"}}',
                 TONEMATCH_DATA_KEY_ID="k2")  # fmt: skip
    refused_first = CliRunner().invoke(cli, ["orders", "reseal"])  # the running service holds k1 only
    assert refused_first.exit_code == 1
    assert "holds data keys k1, not 'k2'" in refused_first.output
    both = Settings(**{**settings.model_dump(), "data_keys": {"k1": first, "k2": second}, "data_key_id": "k2"})
    with TestClient(app=create_app(both)) as client:  # the service restarted with the new key: it says so
        assert client.get("/healthz").status_code == 200
    result = CliRunner().invoke(cli, ["orders", "reseal"])
    assert result.exit_code == 0, result.output
    assert "resealed 1 of 1 orders with data key 'k2'" in result.output
    settings_env(REDIS_URL=redis_url)  # pydantic-settings merges dict settings from the environment: clear them
    only_new = Settings(**{**settings.model_dump(), "data_keys": {"k2": second}})
    with TestClient(app=create_app(only_new)) as client:
        order = client.get(f"/v1/orders/{order_id}", headers=auth(Role.CUSTOMER, "alice")).json()
        assert order["shipping"] == ADDRESS
    settings_env(REDIS_URL=redis_url, TONEMATCH_DATA_KEYS=f'{{"k3": "{new_key()}"}}')
    refused = CliRunner().invoke(cli, ["orders", "reseal"])  # a key the service (now k2 only) does not hold
    assert refused.exit_code == 1
    assert "holds data keys k2, not 'k3'" in refused.output


def test_a_value_sealed_with_a_key_the_service_lacks_is_a_clear_503_and_lists_still_answer(
    settings: Settings,
    auth: Auth,
    settings_env,
    redis_url: str,  # type: ignore[no-untyped-def]
) -> None:
    """``reseal --force`` to a key the service was not given (what the refusal guards against): the order alone
    is a 503 data_key_unknown; the customer's list still answers, without that address and saying why."""
    from click.testing import CliRunner

    from api.cli import cli

    first, second = new_key(), new_key()
    only_first = Settings(**{**settings.model_dump(), "data_keys": {"k1": first}})
    with TestClient(app=create_app(only_first)) as client:
        formulation = make_formulation(client, auth, "alice")
        order_id = place_order(client, auth, "alice", formulation).json()["id"]
    settings_env(REDIS_URL=redis_url, TONEMATCH_DATA_KEYS=f'{{"k1": "{first}", "k2": "{second}"}}',
                 TONEMATCH_DATA_KEY_ID="k2")  # fmt: skip
    forced = CliRunner().invoke(cli, ["orders", "reseal", "--force"])
    assert forced.exit_code == 1  # refused even so: the service is known to hold k1 only
    redis.Redis.from_url(redis_url).delete("tm:serving:data-key-ids")  # as if no service had said which keys
    forced = CliRunner().invoke(cli, ["orders", "reseal", "--force"])
    assert forced.exit_code == 0, forced.output
    settings_env(REDIS_URL=redis_url)  # pydantic-settings merges dict settings from the environment: clear them
    with TestClient(app=create_app(only_first), raise_server_exceptions=False) as client:
        alone = client.get(f"/v1/orders/{order_id}", headers=auth(Role.CUSTOMER, "alice"))
        problem = assert_problem(alone, 503, "data_key_unknown")
        assert "k2" not in problem["detail"]
        assert second not in alone.text
        listed = client.get("/v1/orders/", headers=auth(Role.CUSTOMER, "alice"))
        assert listed.status_code == 200, listed.text
        [item] = listed.json()["items"]
        assert item["shipping"] is None
        assert item["shipping_unavailable"] == "data_key_unknown"
        lab = client.get(f"/v1/lab/orders/{order_id}", headers=auth(Role.LAB))
        assert lab.status_code == 200  # the lab never sees the address, so it is not stopped by it
