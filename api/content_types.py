"""Request bodies must come with the content type the route declares (415 otherwise).

Litestar parses a JSON body whatever its Content-Type; we refuse a mismatch so a client bug shows at once.
Routes declare ``opt={"accepts": "multipart/form-data"}``; the default for a body is ``application/json``.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.errors import UnsupportedMediaType

ACCEPTS_KEY = "accepts"
JSON = "application/json"
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _has_body(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    length = connection.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in connection.headers


def declared_content_type_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if connection.scope.get("method") not in METHODS_WITH_BODY or not _has_body(connection):
        return
    expected = handler.opt.get(ACCEPTS_KEY, JSON)
    given = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if given != expected and not (expected == JSON and given.endswith("+json")):
        raise UnsupportedMediaType(
            f"This endpoint takes {expected} bodies, not {given or 'a body without Content-Type'}.",
            extra={"accepted": [expected]},
        )
