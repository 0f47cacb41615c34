"""Outbound fulfilment webhooks: every ready-to-ship event arrives and verifies against a receiver that fails
and times out, repeats carry the same webhook-id, and events past the last attempt land in the dead-letter
list, from which an admin replays them."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from redis.asyncio import Redis
from standardwebhooks import Webhook

from api.fulfilment.worker import DeliverySettings, DeliveryWorker
from api.sealing import Sealer
from api.settings import Settings
from api.storage import Storage
from api.storage.keys import PARTITIONS
from api.storage.outbox import Outbox
from api.web.tokens import Role
from tests.api.orders.helpers import ADDRESS, Auth, make_formulation, place_order
from tests.api.web.test_problems import assert_problem


class Receiver:
    """A fulfilment partner on loopback that fails ``fail_share`` of requests (HTTP 500) and stalls on
    ``stall_share`` past the sender's timeout; it verifies every signature and records what it accepted."""

    def __init__(self, secret: str, *, fail_share: float, stall_share: float, stall_seconds: float) -> None:
        self.webhook = Webhook(secret)
        self.fail_share, self.stall_share, self.stall_seconds = fail_share, stall_share, stall_seconds
        self.accepted: Counter[str] = Counter()
        self.payloads: dict[str, Any] = {}
        self.refused_signatures = 0
        self.requests = 0
        self.rng = random.Random(7)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    receiver.requests += 1
                    draw = receiver.rng.random()
                if draw < receiver.stall_share:
                    time.sleep(receiver.stall_seconds)
                elif draw < receiver.stall_share + receiver.fail_share:
                    self.send_response(500)
                    self.end_headers()
                    return
                try:
                    payload = receiver.webhook.verify(body, dict(self.headers.items()))
                except Exception:
                    with receiver.lock:
                        receiver.refused_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                with receiver.lock:  # idempotent at the receiver: keyed by webhook-id
                    receiver.accepted[self.headers["webhook-id"]] += 1
                    receiver.payloads[self.headers["webhook-id"]] = payload
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/tonematch"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings: Settings) -> Iterator[Receiver]:
    partner = Receiver(settings.resolved_webhook_secret(inbound=False), fail_share=0.3, stall_share=0.1,
                       stall_seconds=0.6)  # fmt: skip
    yield partner
    partner.close()


def _ready_orders(client: TestClient[Litestar], auth: Auth, count: int) -> list[str]:
    lab = auth(Role.LAB)
    formulation = make_formulation(client, auth, "alice")
    target = client.get(f"/v1/lab/formulations/{formulation}?size_g=30", headers=lab).json()["target_masstone_lab"]
    ids = []
    for index in range(count):
        order_id = place_order(client, auth, "alice", formulation).json()["id"]
        client.post(f"/v1/lab/orders/{order_id}/start", headers=lab)
        qc = client.post(f"/v1/lab/orders/{order_id}/qc", json={"batch_g": 30, "batch_id": f"B{index}", "lab": target},
                         headers=lab)  # fmt: skip
        assert qc.json()["order"]["status"] == "qc_passed", qc.text
        assert client.post(f"/v1/lab/orders/{order_id}/ready", headers=lab).json()["status"] == "ready_to_ship"
        ids.append(order_id)
    return ids


def _deliver(settings: Settings, url: str | None, *, max_attempts: int, seconds: float) -> int:
    """Run worker passes until nothing is pending or ``seconds`` pass; returns what is still pending."""

    async def run() -> int:
        redis = Redis.from_url(str(settings.redis_url))
        delivery = DeliverySettings(url=url, secret=settings.resolved_webhook_secret(inbound=False),
                                    max_attempts=max_attempts, backoff_seconds=0.02, backoff_max_seconds=0.1,
                                    timeout_seconds=0.3)  # fmt: skip
        worker = DeliveryWorker(Storage.over(redis), Sealer.from_encoded(*settings.resolved_data_keys()), delivery)
        deadline = time.monotonic() + seconds
        try:
            while True:
                await worker.run_once()
                pending = sum([await Outbox(redis, p).pending() for p in range(PARTITIONS)])
                if pending == 0 or time.monotonic() > deadline:
                    return pending
                await asyncio.sleep(0.02)
        finally:
            await worker.aclose()
            await redis.aclose()

    return asyncio.run(run())


def test_every_ready_event_arrives_verified_despite_failures_and_timeouts(
    client: TestClient[Litestar], auth: Auth, settings: Settings, receiver: Receiver
) -> None:
    order_ids = _ready_orders(client, auth, 12)
    assert _deliver(settings, receiver.url, max_attempts=60, seconds=60) == 0
    expected = {f"evt_{order_id}_ready_to_ship" for order_id in order_ids}
    assert set(receiver.accepted) == expected
    assert receiver.refused_signatures == 0
    assert receiver.requests > len(expected), "the receiver's failures forced retries"
    for event_id, payload in receiver.payloads.items():
        assert payload["type"] == "order.ready_to_ship"
        assert event_id.startswith(f"evt_{payload['data']['order_id']}")
        assert payload["data"]["ship_to"] == ADDRESS
        assert payload["data"]["size_g"] == 30
    dead = client.get("/v1/admin/webhooks/dead-letters", headers=auth(Role.ADMIN)).json()
    assert dead == []
    history = client.get(f"/v1/orders/{order_ids[0]}", headers=auth(Role.CUSTOMER, "alice")).json()["history"]
    assert any("delivered to fulfilment" in (h["note"] or "") for h in history)


def test_events_past_the_last_attempt_are_dead_lettered_and_replayed_by_an_admin(
    client: TestClient[Litestar], auth: Auth, settings: Settings
) -> None:
    secret = settings.resolved_webhook_secret(inbound=False)
    down = Receiver(secret, fail_share=1.0, stall_share=0.0, stall_seconds=0)
    try:
        (order_id,) = _ready_orders(client, auth, 1)
        assert _deliver(settings, down.url, max_attempts=3, seconds=20) == 0
        assert down.requests == 3
        assert not down.accepted
    finally:
        down.close()
    admin = auth(Role.ADMIN)
    dead = client.get("/v1/admin/webhooks/dead-letters", headers=admin).json()
    assert [(d["order_id"], d["attempts"], d["last_error"]) for d in dead] == [(order_id, 3, "HTTP 500")]
    assert client.get("/v1/admin/webhooks/outbox", headers=admin).json() == {"pending": 0, "dead_letters": 1}
    assert_problem(
        client.post("/v1/admin/webhooks/dead-letters/replay", headers=auth(Role.LAB)), 403, "role_not_allowed"
    )
    assert client.post("/v1/admin/webhooks/dead-letters/replay", headers=admin).json() == {"replayed": 1}
    up = Receiver(secret, fail_share=0.0, stall_share=0.0, stall_seconds=0)
    try:
        assert _deliver(settings, up.url, max_attempts=3, seconds=20) == 0
        assert list(up.accepted) == [f"evt_{order_id}_ready_to_ship"]
    finally:
        up.close()
    assert client.get("/v1/admin/webhooks/dead-letters", headers=admin).json() == []


def test_without_a_partner_url_events_wait_in_the_outbox(
    client: TestClient[Litestar], auth: Auth, settings: Settings
) -> None:
    _ready_orders(client, auth, 1)
    assert _deliver(settings, None, max_attempts=3, seconds=0.2) == 1
    backlog = client.get("/v1/admin/webhooks/outbox", headers=auth(Role.ADMIN)).json()
    assert backlog == {"pending": 1, "dead_letters": 0}
    assert client.get("/v1/admin/webhooks/dead-letters", headers=auth(Role.ADMIN)).json() == []


def test_one_dead_letter_is_replayed_by_its_id_and_keeps_when_it_failed(
    client: TestClient[Litestar], auth: Auth, settings: Settings
) -> None:
    secret = settings.resolved_webhook_secret(inbound=False)
    down = Receiver(secret, fail_share=1.0, stall_share=0.0, stall_seconds=0)
    try:
        first, second = _ready_orders(client, auth, 2)
        assert _deliver(settings, down.url, max_attempts=2, seconds=20) == 0
    finally:
        down.close()
    admin = auth(Role.ADMIN)
    dead = {d["order_id"]: d for d in client.get("/v1/admin/webhooks/dead-letters", headers=admin).json()}
    assert set(dead) == {first, second}
    assert dead[first]["last_error"] == "HTTP 500"
    assert dead[first]["last_error_at"].startswith("20")  # ISO 8601 time of the last failure
    assert_problem(client.post("/v1/admin/webhooks/dead-letters/evt_nope/replay", headers=admin), 404, "not_found")
    replayed = client.post(f"/v1/admin/webhooks/dead-letters/{dead[first]['id']}/replay", headers=admin)
    assert replayed.json() == {"replayed": 1}
    left = client.get("/v1/admin/webhooks/dead-letters", headers=admin).json()
    assert [d["order_id"] for d in left] == [second]
    assert client.get("/v1/admin/webhooks/outbox", headers=admin).json() == {"pending": 1, "dead_letters": 1}
