"""End to end: `tonematch serve` with its embedded Redis answers /readyz, and data survives a restart."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from infra.redis_server import answers_ping, free_tcp_port
from tests.servers import wait_until_ready

pytestmark = pytest.mark.slow
STARTUP_TIMEOUT_S = 60


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEMATCH_") and k != "REDIS_URL"}
    env["TONEMATCH_DATA_DIR"] = str(data_dir)
    return {**env, **extra}


@contextmanager
def serving(data_dir: Path, port: int, *options: str, **extra_env: str) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *options],
        env=_environment(data_dir, **extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, base, STARTUP_TIMEOUT_S, "serve")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert process.returncode == 0, output.decode()
    assert b"API docs:" in output
    assert b"token create" in output


def _token(data_dir: Path, role: str = "customer") -> str:
    subject = ["--subject", "cus_e2e"] if role == "customer" else []
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "token", "create", "--role", role, *subject],
        env=_environment(data_dir),
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip()


def test_serve_with_embedded_redis_keeps_data_across_restarts(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    port = free_tcp_port()
    reading = {"source": "instrument", "instrument": "e2e", "consent": "2026-01", "lab": {"L": 55, "a": 11, "b": 17}}
    with serving(data_dir, port) as base:
        headers = {"Authorization": f"Bearer {_token(data_dir)}"}
        created = httpx.post(f"{base}/v1/measurements/", json=reading, headers=headers)
        assert created.status_code == 201, created.text
    # The embedded Redis stopped with the service.
    assert not answers_ping(str(data_dir / "redis" / "redis.sock"))
    assert (data_dir / "redis").glob("appendonly*")
    with serving(data_dir, port) as base:
        headers = {"Authorization": f"Bearer {_token(data_dir)}"}
        again = httpx.get(f"{base}/v1/measurements/{created.json()['id']}", headers=headers)
        assert again.status_code == 200, again.text
        assert again.json() == created.json()


def test_serve_runs_a_webhook_worker_that_notifies_fulfilment(tmp_path: Path) -> None:
    """The README's run command also delivers ready-to-ship events: the worker starts with `serve`."""
    from tests.api.fulfilment.test_webhook_delivery import Receiver
    from tests.api.orders.helpers import ADDRESS

    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    receiver = Receiver(secret, fail_share=0.0, stall_share=0.0, stall_seconds=0)
    data_dir, port = tmp_path / "var", free_tcp_port()
    reading = {"source": "instrument", "instrument": "e2e", "consent": "2026-01", "lab": {"L": 55, "a": 11, "b": 17}}
    try:
        with serving(data_dir, port, TONEMATCH_FULFILMENT_WEBHOOK_URL=receiver.url,
                     TONEMATCH_FULFILMENT_WEBHOOK_SECRET=secret) as base:  # fmt: skip
            customer = {"Authorization": f"Bearer {_token(data_dir)}"}
            lab = {"Authorization": f"Bearer {_token(data_dir, 'lab')}"}
            measurement = httpx.post(f"{base}/v1/measurements/", json=reading, headers=customer).json()["id"]
            formulation = httpx.post(f"{base}/v1/matches/", json={"measurement_id": measurement}, headers=customer,
                                     timeout=30).json()["id"]  # fmt: skip
            order = httpx.post(
                f"{base}/v1/orders/",
                headers={**customer, "Idempotency-Key": "e2e-1"},
                json={"formulation_id": formulation, "size_g": 30, "quantity": 1, "shipping": ADDRESS},
            )
            order_id = order.json()["id"]
            sheet = httpx.get(f"{base}/v1/lab/formulations/{formulation}", headers=lab).json()
            httpx.post(f"{base}/v1/lab/orders/{order_id}/start", headers=lab)
            qc = {"batch_g": 30, "batch_id": "E2E", "lab": sheet["target_masstone_lab"]}
            httpx.post(f"{base}/v1/lab/orders/{order_id}/qc", json=qc, headers=lab, timeout=30)
            assert httpx.post(f"{base}/v1/lab/orders/{order_id}/ready", headers=lab).json()["status"] == "ready_to_ship"
            deadline = time.monotonic() + 20
            while not receiver.accepted and time.monotonic() < deadline:
                time.sleep(0.1)
        assert list(receiver.accepted) == [f"evt_{order_id}_ready_to_ship"]
        assert receiver.payloads[f"evt_{order_id}_ready_to_ship"]["data"]["ship_to"] == ADDRESS
    finally:
        receiver.close()


def test_serve_with_several_api_processes_shares_one_redis(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "var", free_tcp_port()
    reading = {"source": "instrument", "instrument": "e2e", "consent": "2026-01", "lab": {"L": 55, "a": 11, "b": 17}}
    with serving(data_dir, port, "--processes", "2", "--no-worker") as base:
        headers = {"Authorization": f"Bearer {_token(data_dir)}"}
        consent = {"granted": True, "notice": "2026-01"}  # keep the history: all six measurements
        assert httpx.put(f"{base}/v1/me/history-consent", json=consent, headers=headers).status_code == 200
        ids = [httpx.post(f"{base}/v1/measurements/", json=reading, headers=headers).json()["id"] for _ in range(6)]
        listed = httpx.get(f"{base}/v1/measurements/?limit=10", headers=headers).json()["items"]
        assert sorted(m["id"] for m in listed) == sorted(ids)
