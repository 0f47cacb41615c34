"""Durability of orders with the Redis settings in infra/redis.conf (AOF, appendfsync always): Redis is killed
with SIGKILL while orders are being created and restarted; every order that got a 201 is still there, and
clients that retry with their Idempotency-Key create no duplicates."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path

from litestar.testing import AsyncTestClient

from api.app import create_app
from api.settings import Settings
from api.web.tokens import Role, mint_token
from infra.redis_server import RedisServer
from tests.api.orders.helpers import order_body
from tests.api.web.test_problems import READING
from tests.conftest import TEST_SECRET

CLIENTS = 4
ORDERS_PER_CLIENT = 20
KILL_AFTER = (15, 45)  # SIGKILL Redis after this many acknowledged orders, twice


def test_every_acknowledged_order_survives_sigkill_and_none_is_duplicated(tmp_path: Path) -> None:
    server = RedisServer(data_dir=tmp_path / "redis").start()
    settings = Settings(environment="test", redis_url=server.url, secret_key=TEST_SECRET, data_dir=tmp_path / "var",
                        redis_timeout_seconds=0.5, rate_limit_orders_per_hour=10_000)  # fmt: skip
    token = mint_token(secret=TEST_SECRET, issuer=settings.token_issuer, role=Role.CUSTOMER, subject="alice",
                       ttl_seconds=600)  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    acknowledged: dict[str, str] = {}  # idempotency key -> order id from the 201
    outages: list[int] = []
    refused: list[int] = []  # status codes answered while Redis was down

    finished = threading.Event()

    def crash() -> None:
        for threshold in KILL_AFTER:
            while len(acknowledged) < threshold:
                if finished.wait(0.002):
                    return
            server.kill()
            outages.append(len(acknowledged))
            time.sleep(1.0)
            server.start()
        # Linux sends a child's parent-death signal when the *thread* that started it ends: stay alive until the
        # clients are done, or the restarted Redis would be stopped under them.
        finished.wait()

    async def scenario() -> list[str]:
        async with AsyncTestClient(app=create_app(settings)) as client:
            measured = await client.post("/v1/measurements/", json=READING, headers=headers)
            matched = await client.post("/v1/matches/", json={"measurement_id": measured.json()["id"]}, headers=headers)
            formulation = matched.json()["id"]

            async def customer() -> None:
                for _ in range(ORDERS_PER_CLIENT):
                    key = str(uuid.uuid4())
                    while True:  # a well-behaved client retries with the same key until it gets an answer
                        response = await client.post(
                            "/v1/orders/", json=order_body(formulation), headers={**headers, "Idempotency-Key": key}
                        )
                        if response.status_code == 201:
                            assert acknowledged.setdefault(key, response.json()["id"]) == response.json()["id"]
                            break
                        assert response.status_code == 503, response.text
                        refused.append(response.status_code)
                        await asyncio.sleep(0.05)

            crasher = threading.Thread(target=crash)  # its own thread: the test client may hold the event loop
            crasher.start()
            try:
                await asyncio.gather(*[customer() for _ in range(CLIENTS)])
            finally:
                finished.set()
                crasher.join()
            # The Redis the crash thread started ends with that thread (parent-death signal). Restart it once more
            # from this thread and read everything back from the append-only file.
            server.stop()
            server.start()
            stored, cursor = [], None
            while True:
                page = await client.get(
                    "/v1/orders/?limit=100" + (f"&cursor={cursor}" if cursor else ""), headers=headers
                )
                stored += [order["id"] for order in page.json()["items"]]
                if (cursor := page.json()["next_cursor"]) is None:
                    return stored

    try:
        stored = asyncio.run(scenario())
    finally:
        server.stop()
    assert len(outages) == len(KILL_AFTER)
    assert refused, "requests were in flight while Redis was down (answered 503 storage_unavailable)"
    assert len(acknowledged) == CLIENTS * ORDERS_PER_CLIENT
    assert len(stored) == len(set(stored)), "no order is stored twice"
    assert set(stored) == set(acknowledged.values()), "every acknowledged order survived, and nothing else was made"
