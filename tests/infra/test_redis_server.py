"""The embedded Redis: binary discovery, AOF persistence across restarts and across a SIGKILL."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

import infra.redis_server as redis_server_module
from infra.redis_server import RedisServer, RedisServerError, find_redis_server


def test_a_redis_server_binary_is_found() -> None:
    assert find_redis_server().name == "redis-server"


def test_missing_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TONEMATCH_REDIS_SERVER", raising=False)
    monkeypatch.setattr(redis_server_module.shutil, "which", lambda _: None)
    monkeypatch.setattr(redis_server_module.importlib.util, "find_spec", lambda _: None)
    with pytest.raises(RedisServerError, match="no redis-server binary found"):
        find_redis_server(tmp_path / "nope")


def test_data_survives_a_clean_restart(tmp_path: Path) -> None:
    with RedisServer(data_dir=tmp_path) as server:
        client = redis.Redis.from_url(server.url)
        client.set("greeting", "hello")
        client.close()
    with RedisServer(data_dir=tmp_path) as server:
        client = redis.Redis.from_url(server.url)
        assert client.get("greeting") == b"hello"
        client.close()


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    """With appendfsync always (infra/redis.conf) every acknowledged write is on disk before the reply."""
    server = RedisServer(data_dir=tmp_path).start()
    client = redis.Redis.from_url(server.url)
    for i in range(200):
        assert client.set(f"order:{i}", i)
    client.close()
    server.kill()
    with RedisServer(data_dir=tmp_path) as restarted:
        client = redis.Redis.from_url(restarted.url)
        assert [int(v) for v in client.mget([f"order:{i}" for i in range(200)])] == list(range(200))
        assert client.config_get("appendfsync")["appendfsync"] == "always"
        client.close()


def test_a_second_server_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    with RedisServer(data_dir=tmp_path), pytest.raises(RedisServerError, match="already listening"):
        RedisServer(data_dir=tmp_path).start()


def test_a_server_that_cannot_start_reports_why(tmp_path: Path) -> None:
    server = RedisServer(data_dir=tmp_path, extra_args=("--no-such-option", "1"))
    with pytest.raises(RedisServerError, match="exited at start"):
        server.start()
