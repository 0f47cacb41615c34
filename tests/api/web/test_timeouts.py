"""A client that declares a body and trickles it is answered 408 and let go, at the set timeouts."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from api.web.tokens import Role
from tests.conftest import TEST_SECRET


def _asgi_post(client: TestClient, chunks: list[tuple[float, bytes]], headers: dict[str, str]) -> tuple[int, float]:  # type: ignore[type-arg]
    """POST to /v1/matches/ with the body sent as (delay before, bytes) chunks, then nothing more; the status
    and the time the app took to answer."""
    pending = list(chunks)
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        if pending:
            delay, data = pending.pop(0)
            await anyio.sleep(delay)
            return {"type": "http.request", "body": data, "more_body": True}
        await anyio.sleep(3600)  # the client goes quiet, connection open
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/v1/matches/", "raw_path": b"/v1/matches/", "root_path": "", "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip
    started = time.monotonic()
    client.blocking_portal.call(client.app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return int(start["status"]), time.monotonic() - started  # type: ignore[call-overload]


@pytest.fixture
def quick_timeouts(redis_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        redis_url=redis_url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path / "var",
        body_chunk_timeout_seconds=0.3,
        body_timeout_seconds=1.0,
    )


def test_a_body_that_stops_coming_is_a_408_after_the_chunk_timeout(
    quick_timeouts: Settings, auth: Callable[..., dict[str, str]]
) -> None:
    headers = {**auth(Role.CUSTOMER, "cus_1"), "content-type": "application/json", "content-length": "10000"}
    with TestClient(app=create_app(quick_timeouts)) as client:
        status, elapsed = _asgi_post(client, [(0.0, b'{"measurement_id": "')], headers)
    assert status == 408
    assert 0.25 < elapsed < 2.0


def test_a_trickled_body_is_a_408_after_the_total_timeout(
    quick_timeouts: Settings, auth: Callable[..., dict[str, str]]
) -> None:
    headers = {**auth(Role.CUSTOMER, "cus_1"), "content-type": "application/json", "content-length": "10000"}
    trickle = [(0.2, b" ")] * 20  # each part in time, the whole far too slow
    with TestClient(app=create_app(quick_timeouts)) as client:
        status, elapsed = _asgi_post(client, trickle, headers)
    assert status == 408
    assert 0.9 < elapsed < 2.5
