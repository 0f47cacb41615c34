"""Test session fixtures: one real redis-server on a free loopback port, flushed between tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from api.settings import get_settings
from infra.redis_server import RedisServer, free_tcp_port

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TEST_SECRET = "test-secret-key-for-tonematch-tests-only-0123456789"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real, in-memory Redis for the whole session (same binary discovery as the service)."""
    server = RedisServer(
        data_dir=tmp_path_factory.mktemp("redis"), persistent=False, port=free_tcp_port(), unix_socket=False
    )
    with server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session Redis, emptied before each test so tests cannot see each other's keys."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip cleanly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present on this machine")
    return SHARED_DATA


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., None]:
    """Set ``TONEMATCH_*`` variables before an app or CLI reads them."""

    def apply(**values: str) -> None:
        for key in [k for k in os.environ if k.startswith("TONEMATCH_") or k == "REDIS_URL"]:
            monkeypatch.delenv(key, raising=False)
        monkeypatch.setenv("TONEMATCH_DATA_DIR", str(tmp_path / "var"))
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()

    return apply
