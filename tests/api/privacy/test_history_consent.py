"""The consent to keeping the measurement history: without it only the latest measurement is kept; withdrawing it
keeps only the latest at once; orders, the lab's records, reorders and reorder advice work without the older ones;
the consent is exported and erased; the drop is atomic with the new measurement."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient
from redis.exceptions import ConnectionError as RedisConnectionError

from api.app import create_app
from api.settings import Settings
from api.storage.keys import customer_tag, history_consent_key, measurement_index_key, measurement_key
from api.storage.measurements import MeasurementRepository
from api.web.tokens import Role
from tests.api.orders.helpers import ADDRESS, Auth, place_order
from tests.api.privacy.helpers import HISTORY_CONSENT_URL, grant_history
from tests.api.web.test_problems import READING, assert_problem

MEASUREMENTS = "/v1/measurements/"


def _measure(client: TestClient[Litestar], headers: dict[str, str], a: float = 12.0) -> str:
    response = client.post(MEASUREMENTS, json={**READING, "lab": {"L": 60, "a": a, "b": 18}}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _kept(client: TestClient[Litestar], headers: dict[str, str]) -> list[str]:
    return [m["id"] for m in client.get(f"{MEASUREMENTS}?limit=100", headers=headers).json()["items"]]


def test_without_the_consent_only_the_latest_measurement_is_kept(
    client: TestClient[Litestar], auth: Auth, redis_url: str
) -> None:
    headers = auth(Role.CUSTOMER, "cus_h1")
    assert client.get(HISTORY_CONSENT_URL, headers=headers).json() == {
        "granted": False, "notice": None, "updated_at": None, "measurements_deleted": 0,
    }  # fmt: skip
    first = _measure(client, headers)
    second = _measure(client, headers, a=14)
    assert _kept(client, headers) == [second]
    assert_problem(client.get(f"{MEASUREMENTS}{first}", headers=headers), 404, "not_found")
    store = redis.Redis.from_url(redis_url)
    assert store.get(measurement_key("cus_h1", first)) is None
    assert [i.decode() for i in store.zrange(measurement_index_key("cus_h1"), 0, -1)] == [second]
    store.close()
    timeline = client.get(f"{MEASUREMENTS}timeline", headers=headers).json()
    assert [p["measurement_id"] for p in timeline["points"]] == [second]


def test_with_the_consent_every_measurement_is_kept_and_withdrawing_keeps_only_the_latest(
    client: TestClient[Litestar], auth: Auth
) -> None:
    headers = auth(Role.CUSTOMER, "cus_h2")
    before = _measure(client, headers)  # made before the consent: kept from then on
    granted = client.put(HISTORY_CONSENT_URL, json={"granted": True, "notice": "2026-01"}, headers=headers)
    assert granted.status_code == 200, granted.text
    assert granted.json()["granted"] is True
    assert granted.json()["notice"] == "2026-01"
    assert granted.json()["updated_at"] is not None
    ids = [before, *(_measure(client, headers, a=12 + k) for k in range(3))]
    assert _kept(client, headers) == ids[::-1]
    assert client.get(HISTORY_CONSENT_URL, headers=headers).json()["granted"] is True

    withdrawn = client.put(HISTORY_CONSENT_URL, json={"granted": False}, headers=headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["granted"] is False
    assert withdrawn.json()["measurements_deleted"] == 3
    assert _kept(client, headers) == [ids[-1]]
    newest = _measure(client, headers, a=20)
    assert _kept(client, headers) == [newest]
    again = client.put(HISTORY_CONSENT_URL, json={"granted": False}, headers=headers).json()
    assert again["measurements_deleted"] == 0
    assert _kept(client, headers) == [newest]


def test_withdrawing_keeps_the_newest_still_stored_when_the_newest_id_has_expired(
    client: TestClient[Litestar], auth: Auth, redis_url: str
) -> None:
    headers = auth(Role.CUSTOMER, "cus_h3")
    grant_history(client, headers)
    older, newer = _measure(client, headers), _measure(client, headers, a=14)
    store = redis.Redis.from_url(redis_url)
    store.delete(measurement_key("cus_h3", newer))  # as retention would have expired it
    store.close()
    withdrawn = client.put(HISTORY_CONSENT_URL, json={"granted": False, "notice": "2026-01"}, headers=headers)
    assert withdrawn.json()["measurements_deleted"] == 1
    assert _kept(client, headers) == [older]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"granted": True}, 400, "invalid_request"),
        ({"granted": True, "notice": "1999-01"}, 422, "consent_version_unknown"),
        ({"granted": False, "notice": "1999-01"}, 422, "consent_version_unknown"),
        ({"granted": "yes please", "notice": "2026-01"}, 400, "invalid_request"),
        ({"notice": "2026-01"}, 400, "invalid_request"),
        ({"granted": True, "notice": "2026-01", "extra": 1}, 400, "invalid_request"),
        ({"granted": True, "notice": "../../x"}, 400, "invalid_request"),
    ],
)
def test_bad_consent_bodies_are_refused_and_change_nothing(
    client: TestClient[Litestar], auth: Auth, body: dict[str, Any], status: int, code: str
) -> None:
    headers = auth(Role.CUSTOMER, "cus_h4")
    grant_history(client, headers)
    kept = [_measure(client, headers), _measure(client, headers, a=14)]
    assert_problem(client.put(HISTORY_CONSENT_URL, json=body, headers=headers), status, code)
    assert client.get(HISTORY_CONSENT_URL, headers=headers).json()["granted"] is True
    assert _kept(client, headers) == kept[::-1]


def test_the_consent_is_the_customers_own(client: TestClient[Litestar], auth: Auth) -> None:
    grant_history(client, auth(Role.CUSTOMER, "cus_h5"))
    assert client.get(HISTORY_CONSENT_URL, headers=auth(Role.CUSTOMER, "cus_h6")).json()["granted"] is False
    assert client.put(HISTORY_CONSENT_URL, json={"granted": False}, headers=auth(Role.LAB)).status_code == 403
    assert client.get(HISTORY_CONSENT_URL).status_code == 401


def test_orders_the_lab_reorders_and_advice_work_once_the_measurement_behind_them_is_gone(
    client: TestClient[Litestar], auth: Auth, settings: Settings
) -> None:
    """The formulation carries what they need (the target colour, the recipe, the library): a new measurement
    without the history consent drops the one the formulation and the order were made from."""
    alice, lab = auth(Role.CUSTOMER, "cus_h7"), auth(Role.LAB)
    first = _measure(client, alice)
    formulation = client.post("/v1/matches/", json={"measurement_id": first}, headers=alice).json()["id"]
    order = place_order(client, auth, "cus_h7", formulation).json()
    newer = _measure(client, alice, a=12.2)
    assert _kept(client, alice) == [newer]

    assert client.get(f"/v1/orders/{order['id']}", headers=alice).json()["measurement_id"] == first
    assert client.get(f"/v1/formulations/{formulation}", headers=alice).status_code == 200
    sheet = client.get(f"/v1/lab/formulations/{formulation}?size_g=30", headers=lab)
    assert sheet.status_code == 200, sheet.text
    assert client.post(f"/v1/lab/orders/{order['id']}/start", headers=lab).status_code in (200, 201)
    qc = client.post(
        f"/v1/lab/orders/{order['id']}/qc",
        json={"batch_g": 30, "batch_id": "B-1", "lab": sheet.json()["target_masstone_lab"]},
        headers=lab,
    )
    assert qc.status_code in (200, 201), qc.text
    advice = client.get(f"/v1/me/reorder-advice?measurement_id={newer}", headers=alice)
    assert advice.status_code == 200, advice.text
    assert advice.json()["suggestion"] == "reorder"
    again = client.post(f"/v1/orders/{order['id']}/reorder", json={}, headers={**alice, "Idempotency-Key": "h7-r"})
    assert again.status_code == 201, again.text
    assert again.json()["shipping"] == ADDRESS
    timeline = client.get(f"{MEASUREMENTS}timeline", headers=alice).json()
    assert [(f["formulation_id"], f["measurement_id"]) for f in timeline["formulations"]] == [(formulation, first)]
    assert timeline["points"][0]["formulation_id"] == formulation


def test_the_consent_and_its_record_are_exported_and_erased(
    client: TestClient[Litestar], auth: Auth, redis_url: str
) -> None:
    headers = auth(Role.CUSTOMER, "cus_h8")
    grant_history(client, headers)
    client.put(HISTORY_CONSENT_URL, json={"granted": False}, headers=headers)
    grant_history(client, headers, notice="2026-01")
    _measure(client, headers)
    exported = client.get("/v1/me/export", headers=headers).json()
    assert exported["history_consent"]["granted"] is True
    assert [e["granted"] for e in exported["history_consent_log"]] == [True, False, True]
    assert client.delete("/v1/me", headers=headers).status_code == 200
    store = redis.Redis.from_url(redis_url)
    left = [k.decode() for k in store.scan_iter(f"{customer_tag('cus_h8')}*")]
    assert [k for k in left if ":rl:" not in k] == []  # the rate-limit window's counter expires with the hour
    store.close()
    after = client.get("/v1/me/export", headers=headers).json()
    assert after["history_consent"] == {"granted": False, "notice": None, "updated_at": None, "measurements_deleted": 0}
    assert after["history_consent_log"] == []


def test_every_measurement_record_expires_with_retention(
    make_settings: Callable[..., Settings], auth: Auth, redis_url: str
) -> None:
    """The per-region metrics live inside the measurement's record, so they expire with it; the consent is no
    measurement and stays until it is changed or erased."""
    with TestClient(app=create_app(make_settings(retention_days=30))) as client:
        headers = auth(Role.CUSTOMER, "cus_h9")
        grant_history(client, headers)
        ids = [_measure(client, headers), _measure(client, headers, a=14)]
    store = redis.Redis.from_url(redis_url)
    for measurement_id in ids:
        assert 29 * 86400 < store.ttl(measurement_key("cus_h9", measurement_id)) <= 30 * 86400
    persistent = {k.decode() for k in store.scan_iter(f"{customer_tag('cus_h9')}*") if store.ttl(k) == -1}
    assert persistent == {
        measurement_index_key("cus_h9"), history_consent_key("cus_h9"), history_consent_key("cus_h9") + ":log",
    }  # fmt: skip
    store.close()


def test_a_failure_between_reading_and_storing_changes_nothing_and_a_race_is_retried(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drop and the store are one script: before it runs nothing is written; a measurement added between the
    read and the script is seen on the next attempt, never deleted unseen and never left beside the new one."""

    async def main() -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        repository = MeasurementRepository(client, retention_seconds=3600)
        customer = "cus_h10"
        await repository.add(customer, "msr_a", {"id": "msr_a"})

        script = repository._add

        async def fail(**kwargs: Any) -> Any:
            raise RedisConnectionError("connection lost")

        monkeypatch.setattr(repository, "_add", fail)
        with pytest.raises(RedisConnectionError):
            await repository.add(customer, "msr_b", {"id": "msr_b"})
        assert await repository.ids(customer) == ["msr_a"]
        assert await repository.get(customer, "msr_a") == {"id": "msr_a"}
        assert await repository.get(customer, "msr_b") is None

        raced = False

        async def race(**kwargs: Any) -> Any:
            nonlocal raced
            if not raced:  # another of the customer's measurements lands between the read and the script
                raced = True
                await client.set(measurement_key(customer, "msr_c"), json.dumps({"id": "msr_c"}))
                await client.zadd(measurement_index_key(customer), {"msr_c": 0})
                outcome = await script(**kwargs)
                assert outcome[0] == b"retry"
                return outcome
            return await script(**kwargs)

        monkeypatch.setattr(repository, "_add", race)
        assert await repository.add(customer, "msr_d", {"id": "msr_d"}) == 2
        assert await repository.ids(customer) == ["msr_d"]
        assert await repository.get(customer, "msr_c") is None
        await client.aclose()

    anyio.run(main)
