"""A request body must keep coming: a client that declares a body and then trickles it (or stops) is answered
408 and its connection closed, instead of holding a connection and a worker slot for as long as it likes.

Each chunk of the body must arrive within ``body_chunk_timeout_seconds`` of the previous one and the whole body
within ``body_timeout_seconds`` of the request's start. Idle keep-alive connections are closed by uvicorn after
``keep_alive_timeout_seconds`` (``tonematch serve`` passes it on).
"""

from __future__ import annotations

import time
from typing import Any

import anyio
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from api.errors import ApiError


class BodyTimeout(ApiError):
    status_code = 408
    code = "request_timeout"
    title = "Request timeout"


class BodyTimeoutMiddleware:
    """ASGI middleware: the ``receive`` the app sees gives up on a slow body with ``BodyTimeout``."""

    def __init__(self, app: ASGIApp, *, chunk_seconds: float, total_seconds: float) -> None:
        self.app = app
        self.chunk_seconds = chunk_seconds
        self.total_seconds = total_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.total_seconds

        async def receive_in_time() -> Any:
            allowed = min(self.chunk_seconds, deadline - time.monotonic())
            try:
                with anyio.fail_after(max(allowed, 0.0)):
                    return await receive()
            except TimeoutError:
                raise BodyTimeout(
                    f"The request body did not arrive in time (each part within {self.chunk_seconds:g} s, all of it "
                    f"within {self.total_seconds:g} s).",
                    hint="Send the body at once, on a working connection.",
                ) from None

        await self.app(scope, receive_in_time, send)


def body_timeout_middleware(*, chunk_seconds: float, total_seconds: float) -> DefineMiddleware:
    return DefineMiddleware(BodyTimeoutMiddleware, chunk_seconds=chunk_seconds, total_seconds=total_seconds)


__all__ = ["BodyTimeout", "BodyTimeoutMiddleware", "body_timeout_middleware"]
