"""The embedded Redis is supervised: killed, it is back with every acknowledged write within seconds, and the
API's probes say so; its files are the service user's only."""

from __future__ import annotations

import os
import signal
import stat
import time
from pathlib import Path

import redis
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from infra.redis_server import RedisServer, answers_ping
from infra.redis_supervisor import RedisSupervisor
from tests.conftest import TEST_SECRET

BACK_WITHIN_S = 10.0


def _wait_until(condition: object, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def test_a_killed_redis_is_restarted_with_its_data_within_seconds(tmp_path: Path) -> None:
    with RedisSupervisor(RedisServer(data_dir=tmp_path / "redis")) as supervisor:
        client = redis.Redis.from_url(supervisor.server.url)
        client.set("order", "acknowledged")
        first_pid = supervisor.server.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        _wait_until(lambda: not answers_ping(str(supervisor.server.socket_path)), 5.0)
        elapsed = _wait_until(lambda: answers_ping(str(supervisor.server.socket_path)), BACK_WITHIN_S)
        assert elapsed < BACK_WITHIN_S
        assert supervisor.server.pid != first_pid
        _wait_until(lambda: supervisor.restarts == 1, 5.0)  # counted once the restart has been logged
        assert client.get("order") == b"acknowledged"  # the client reconnects; the AOF brought the write back
        client.close()
    assert not answers_ping(str(supervisor.server.socket_path))  # stopped for good on the way out


def test_the_data_folder_and_the_aof_are_the_service_users_only(tmp_path: Path) -> None:
    folder = tmp_path / "redis"
    folder.mkdir(mode=0o755)
    with RedisServer(data_dir=folder) as server:
        client = redis.Redis.from_url(server.url)
        client.set("k", "v")
        client.close()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        files = [p for p in folder.rglob("*") if not p.is_socket()]
        assert any("appendonly" in p.name for p in files)
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_the_probes_follow_a_redis_that_dies_and_comes_back(tmp_path: Path) -> None:
    supervisor = RedisSupervisor(RedisServer(data_dir=tmp_path / "redis")).start()
    settings = Settings(
        environment="test",
        redis_url=supervisor.server.url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path / "var",
        redis_timeout_seconds=0.5,
        storage_grace_seconds=1.0,
    )
    try:
        with TestClient(app=create_app(settings), raise_server_exceptions=False) as client:
            assert client.get("/healthz").json()["status"] == "ok"
            pid = supervisor.server.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            _wait_until(lambda: client.get("/readyz").status_code == 200, BACK_WITHIN_S)
            assert client.get("/healthz").json()["status"] == "ok"
            supervisor.stop()  # gone for good: degraded within the grace period, then 503
            degraded = client.get("/healthz")
            assert degraded.status_code == 200
            assert degraded.json()["status"] == "degraded"
            assert client.get("/readyz").status_code == 503
            time.sleep(1.1)
            gone = client.get("/healthz")
            assert gone.status_code == 503
            assert gone.json()["code"] == "service_unavailable"
    finally:
        supervisor.stop()
