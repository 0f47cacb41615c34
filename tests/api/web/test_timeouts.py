"""A client that declares a body and trickles it is answered 408 and let go, at the set timeouts."""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from api.web.tokens import Role
from tests.api.asgi import call_app


def _post_slowly(
    client: TestClient[Litestar], chunks: list[tuple[float, bytes]], headers: dict[str, str]
) -> tuple[int, float]:
    """POST to /v1/matches/ with the body sent as (delay before, bytes) chunks, then nothing more; the status
    and the time the app took to answer."""
    pending = list(chunks)

    async def receive() -> dict[str, object]:
        if pending:
            delay, data = pending.pop(0)
            await anyio.sleep(delay)
            return {"type": "http.request", "body": data, "more_body": True}
        await anyio.sleep(3600)  # the client goes quiet, connection open
        return {"type": "http.disconnect"}

    started = time.monotonic()
    status = call_app(client, "POST", "/v1/matches/", headers, receive)
    return status, time.monotonic() - started


@pytest.fixture
def quick_timeouts(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(body_chunk_timeout_seconds=0.3, body_timeout_seconds=1.0)


def test_a_body_that_stops_coming_is_a_408_after_the_chunk_timeout(
    quick_timeouts: Settings, auth: Callable[..., dict[str, str]]
) -> None:
    headers = {**auth(Role.CUSTOMER, "cus_1"), "content-type": "application/json", "content-length": "10000"}
    with TestClient(app=create_app(quick_timeouts)) as client:
        status, elapsed = _post_slowly(client, [(0.0, b'{"measurement_id": "')], headers)
    assert status == 408
    assert 0.25 < elapsed < 2.0


def test_a_trickled_body_is_a_408_after_the_total_timeout(
    quick_timeouts: Settings, auth: Callable[..., dict[str, str]]
) -> None:
    headers = {**auth(Role.CUSTOMER, "cus_1"), "content-type": "application/json", "content-length": "10000"}
    trickle = [(0.2, b" ")] * 20  # each part in time, the whole far too slow
    with TestClient(app=create_app(quick_timeouts)) as client:
        status, elapsed = _post_slowly(client, trickle, headers)
    assert status == 408
    assert 0.9 < elapsed < 2.5
