"""End to end: `tonematch serve` with its embedded Redis answers /readyz, and data survives a restart."""

from __future__ import annotations

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

from infra.redis_server import _ping, free_tcp_port

pytestmark = pytest.mark.slow
STARTUP_TIMEOUT_S = 60


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONEMATCH_") and k != "REDIS_URL"}
    env["TONEMATCH_DATA_DIR"] = str(data_dir)
    return env


@contextmanager
def serving(data_dir: Path, port: int) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=_environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"serve exited early ({process.returncode}):\n{output}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("serve did not become ready")
            time.sleep(0.2)
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


def _token(data_dir: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "token", "create", "--role", "customer", "--subject", "cus_e2e"],
        env=_environment(data_dir),
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip()


def test_serve_with_embedded_redis_keeps_data_across_restarts(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    port = free_tcp_port()
    reading = {"source": "instrument", "instrument": "e2e", "consent": "v1", "lab": {"L": 55, "a": 11, "b": 17}}
    with serving(data_dir, port) as base:
        headers = {"Authorization": f"Bearer {_token(data_dir)}"}
        created = httpx.post(f"{base}/v1/measurements/", json=reading, headers=headers)
        assert created.status_code == 201, created.text
    # The embedded Redis stopped with the service.
    assert not _ping(str(data_dir / "redis" / "redis.sock"))
    assert (data_dir / "redis").glob("appendonly*")
    with serving(data_dir, port) as base:
        headers = {"Authorization": f"Bearer {_token(data_dir)}"}
        again = httpx.get(f"{base}/v1/measurements/{created.json()['id']}", headers=headers)
        assert again.status_code == 200, again.text
        assert again.json() == created.json()
