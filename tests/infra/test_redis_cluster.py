"""The same code on Redis Cluster: a local three-primary cluster (redis-server in cluster mode on loopback
ports) runs the order flow, the outbox and its worker, and the customer's data rights, with every
transaction and script on one slot thanks to the keys' hash tags."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient
from redis.asyncio import RedisCluster

from api.app import create_app
from api.fulfilment.worker import DeliverySettings, DeliveryWorker
from api.sealing import Sealer
from api.settings import Settings
from api.storage import Storage
from api.storage.keys import PARTITIONS, partition_tag
from api.storage.outbox import Outbox
from api.web.tokens import Role, mint_token
from infra.redis_server import RedisServer
from tests.api.fulfilment.test_webhook_delivery import Receiver
from tests.api.orders.helpers import ADDRESS, make_formulation, place_order, signed_event
from tests.conftest import TEST_SECRET

SLOTS = 16384
PRIMARIES = 3
BUS_OFFSET = 10_000  # a cluster node also listens on its port + 10000 for the cluster bus


def _free_cluster_port() -> int:
    """A loopback port at most 55535 whose cluster-bus port (+10000) is free too."""
    for _ in range(200):
        port = random.randint(20_000, 55_535)
        try:
            for candidate in (port, port + BUS_OFFSET):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[int]]:
    """Three primaries, slots split evenly, joined with CLUSTER MEET; yields their ports."""
    with ExitStack() as stack:
        ports = []
        for index in range(PRIMARIES):
            port = _free_cluster_port()
            options = (
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "2000",
            )
            server = RedisServer(data_dir=tmp_path_factory.mktemp(f"node{index}"), persistent=False, port=port,
                                 unix_socket=False, extra_args=options)  # fmt: skip
            stack.enter_context(server)
            ports.append(port)
        clients = [redis.Redis(port=port) for port in ports]
        bounds = [round(i * SLOTS / PRIMARIES) for i in range(PRIMARIES + 1)]
        for client, low, high in zip(clients, bounds, bounds[1:], strict=False):
            client.execute_command("CLUSTER", "ADDSLOTS", *range(low, high))
        for port in ports[1:]:
            clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", port)
        deadline = time.monotonic() + 20
        while not all(b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO") for c in clients):
            assert time.monotonic() < deadline, "the cluster did not form"
            time.sleep(0.05)
        for client in clients:
            client.close()
        yield ports


@pytest.fixture
def cluster_settings(cluster: list[int], tmp_path: Path) -> Settings:
    for port in cluster:
        redis.Redis(port=port).flushall()
    return Settings(environment="test", redis_url=f"redis://127.0.0.1:{cluster[0]}/0", redis_cluster=True,
                    secret_key=TEST_SECRET, data_dir=tmp_path / "var")  # fmt: skip


def _auth(settings: Settings):  # type: ignore[no-untyped-def]
    def headers(role: Role, subject: str | None = None) -> dict[str, str]:
        token = mint_token(
            secret=TEST_SECRET, issuer=settings.token_issuer, role=role, subject=subject, ttl_seconds=600
        )
        return {"Authorization": f"Bearer {token}"}

    return headers


def test_partitions_spread_over_the_primaries(cluster: list[int]) -> None:
    client = redis.RedisCluster(host="127.0.0.1", port=cluster[0])
    owners = {client.get_node_from_key(f"{partition_tag(p)}:x").port for p in range(PARTITIONS)}
    client.close()
    assert owners == set(cluster)


def test_order_flow_outbox_and_erasure_run_on_a_cluster(cluster_settings: Settings) -> None:
    settings, auth = cluster_settings, _auth(cluster_settings)
    app: Litestar = create_app(settings)
    receiver = Receiver(settings.resolved_webhook_secret(inbound=False), fail_share=0.2, stall_share=0.0,
                        stall_seconds=0)  # fmt: skip
    try:
        with TestClient(app=app, raise_server_exceptions=True) as client:
            lab = auth(Role.LAB)
            orders = []
            for customer in ("alice", "bob", "carol", "dave"):  # customers on different partitions and nodes
                formulation = make_formulation(client, auth, customer)
                order = place_order(client, auth, customer, formulation, key=f"k-{customer}")
                assert order.status_code == 201, order.text
                again = place_order(client, auth, customer, formulation, key=f"k-{customer}")
                assert again.json()["id"] == order.json()["id"]
                orders.append((customer, formulation, order.json()["id"]))
            queue = client.get("/v1/lab/orders/?status=received", headers=lab).json()
            assert [o["id"] for o in queue["items"]] == [o for _, _, o in orders]
            for _, formulation, order_id in orders:
                client.post(f"/v1/lab/orders/{order_id}/start", headers=lab)
                target = client.get(f"/v1/lab/formulations/{formulation}", headers=lab).json()["target_masstone_lab"]
                qc = client.post(f"/v1/lab/orders/{order_id}/qc", json={"batch_g": 30, "batch_id": "B", "lab": target},
                                 headers=lab)  # fmt: skip
                assert qc.json()["order"]["status"] == "qc_passed", qc.text
                assert client.post(f"/v1/lab/orders/{order_id}/ready", headers=lab).json()["status"] == "ready_to_ship"

            async def deliver() -> int:
                redis_client = RedisCluster.from_url(str(settings.redis_url))
                delivery = DeliverySettings(receiver.url, settings.resolved_webhook_secret(inbound=False), 30, 0.02,
                                            0.1, 1.0)  # fmt: skip
                worker = DeliveryWorker(
                    Storage.over(redis_client), Sealer.from_encoded(*settings.resolved_data_keys()), delivery
                )
                try:
                    for _ in range(200):
                        await worker.run_once()
                        pending = sum([await Outbox(redis_client, p).pending() for p in range(PARTITIONS)])
                        if pending == 0:
                            return 0
                        await asyncio.sleep(0.02)
                    return pending
                finally:
                    await worker.aclose()
                    await redis_client.aclose()

            assert asyncio.run(deliver()) == 0
            assert set(receiver.accepted) == {f"evt_{o}_ready_to_ship" for _, _, o in orders}
            customer, _, order_id = orders[0]
            shipment = {"carrier": "CJ", "tracking_number": "CJ-777"}
            body, headers = signed_event(settings, "order.shipped", {"order_id": order_id, **shipment})
            assert client.post("/v1/webhooks/fulfilment/", content=body, headers=headers).json()["status"] == "shipped"
            mine = client.get(f"/v1/orders/{order_id}", headers=auth(Role.CUSTOMER, customer)).json()
            assert mine["shipping"] == ADDRESS
            assert mine["status"] == "shipped"
            _, _, delivered_id = orders[1]
            shipment = {"carrier": "CJ", "tracking_number": "CJ-778"}
            body, headers = signed_event(settings, "order.shipped", {"order_id": delivered_id, **shipment})
            client.post("/v1/webhooks/fulfilment/", content=body, headers=headers)
            body, headers = signed_event(settings, "order.delivered", {"order_id": delivered_id})
            client.post("/v1/webhooks/fulfilment/", content=body, headers=headers)
            erased = client.delete("/v1/me", headers=auth(Role.CUSTOMER, "bob"))
            assert erased.status_code == 200, erased.text
            export = client.get("/v1/me/export", headers=auth(Role.CUSTOMER, "bob")).json()
            assert export["measurements"] == []
            assert export["orders"] == []  # the person is gone; the order and its batch record stay, anonymous
            kept = client.get(f"/v1/admin/orders/{delivered_id}", headers=auth(Role.ADMIN)).json()
            assert kept["customer_id"].startswith("anon_")
            assert kept["shipping"] is None
            _, bobs_formulation, _ = orders[1]
            assert client.get(f"/v1/lab/formulations/{bobs_formulation}", headers=lab).status_code == 200
    finally:
        receiver.close()


def test_catalogue_import_runs_on_a_cluster(cluster_settings: Settings, settings_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from api.cli import cli

    settings_env(REDIS_URL=str(cluster_settings.redis_url), TONEMATCH_REDIS_CLUSTER="true")
    catalogue = tmp_path / "shades.csv"
    catalogue.write_text("brand,product,shade_name,shade_code,colour_space,L,a,b\nB,P,S1,C1,CIELAB D65,60,12,18\n")
    result = CliRunner().invoke(cli, ["catalog", "import", str(catalogue)])
    assert result.exit_code == 0, result.output
    assert "the catalogue now holds 1" in result.output
