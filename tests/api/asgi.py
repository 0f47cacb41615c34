"""Calling the app as an ASGI server does, with a ``receive`` the test controls (slow or vanishing clients)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

Receive = Callable[[], Awaitable[dict[str, object]]]


def call_app(client: TestClient[Litestar], method: str, path: str, headers: dict[str, str], receive: Receive) -> int:
    """Run one request through the app inside ``client``'s event loop (its lifespan started); the status sent."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip
    client.blocking_portal.call(client.app, scope, receive, send)
    return int(next(m for m in sent if m["type"] == "http.response.start")["status"])
