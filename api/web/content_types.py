"""Request bodies must come with a content type the route declares (415 otherwise), within its size limit.

Litestar parses a JSON body whatever its Content-Type; we refuse a mismatch so a client bug shows at once.
Routes declare ``opt={"accepts": (JSON, MULTIPART)}``; the default for a body is JSON alone. A route may name
the setting that limits its bodies instead: ``opt={"body_limit_setting": "max_catalogue_bytes"}``. Bodies are
limited by media type: JSON to ``max_json_body_bytes``, photo uploads to ``max_upload_bytes`` (the
app-wide limit Litestar enforces while reading, which also covers bodies sent without Content-Length).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.errors import BodyTooLarge, UnsupportedMediaType
from api.settings import Settings

ACCEPTS_KEY = "accepts"
BODY_LIMIT_KEY = "body_limit_setting"  # names the ``Settings`` field that limits a route's bodies
JSON = "application/json"
MULTIPART = "multipart/form-data"
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _declared_length(connection: ASGIConnection[Any, Any, Any, Any]) -> int | None:
    length = connection.headers.get("content-length")
    if length is None or not length.strip().isdigit():
        return None
    return int(length)


def _has_body(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    length = _declared_length(connection)
    return length != 0 if length is not None else "transfer-encoding" in connection.headers


def declared_content_type_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if connection.scope.get("method") not in METHODS_WITH_BODY or not _has_body(connection):
        return
    accepted = handler.opt.get(ACCEPTS_KEY, (JSON,))
    given = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if given.endswith("+json"):
        given = JSON
    if given not in accepted:
        raise UnsupportedMediaType(
            f"This endpoint takes {' or '.join(accepted)} bodies, not {given or 'a body without Content-Type'}.",
            extra={"accepted": list(accepted)},
        )
    settings: Settings = connection.app.state.settings
    limit = settings.max_upload_bytes if given == MULTIPART else settings.max_json_body_bytes
    if handler.opt.get(BODY_LIMIT_KEY):  # a route whose bodies have their own limit (a catalogue file)
        limit = int(getattr(settings, handler.opt[BODY_LIMIT_KEY]))
    length = _declared_length(connection)
    if length is not None and length > limit:
        raise BodyTooLarge(f"The {given} body is {length} bytes; the limit is {limit} bytes.")
