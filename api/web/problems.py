"""Every error becomes an RFC 9457 ``application/problem+json`` document with a stable ``code`` member."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.types import ExceptionHandlersMap

from api.errors import ApiError, TooManyRequests, WebhookSignatureInvalid
from api.sealing import UnknownDataKey
from api.storage.client import STORAGE_UNAVAILABLE_ERRORS
from api.web.metrics import MEASUREMENTS, STORAGE_ERRORS
from catalog.recipe import RecipeError
from color.errors import ColorError, PhotoError

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:tonematch:problem:"
logger = logging.getLogger("tonematch.api")

# Codes for the errors Litestar raises itself, by status.
_FRAMEWORK_CODES = {
    400: "invalid_request",
    401: "token_missing",
    403: "role_not_allowed",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    hint: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """Build one problem document (RFC 9457 §3) with our ``code`` and optional ``hint`` members."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    if hint:
        body["hint"] = hint
    if extra:
        body.update({key: value for key, value in extra.items() if key not in body})
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[dict[str, Any]]:
    bearer = exc.status_code == 401 and not isinstance(exc, WebhookSignatureInvalid)
    headers = {"WWW-Authenticate": 'Bearer realm="tonematch"'} if bearer else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return problem_response(
        request,
        status=exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        hint=exc.hint,
        extra=exc.extra,
        headers=headers,
    )


def _colour_error(request: Request[Any, Any, Any], exc: ColorError) -> Response[dict[str, Any]]:
    """422: the input was understood but gives no trustworthy colour. A photo problem asks for a retake."""
    is_photo = isinstance(exc, PhotoError)
    if is_photo:
        MEASUREMENTS.labels(source="photo", outcome=exc.code).inc()
        logger.info("photo refused: %s", exc.code)
    return problem_response(
        request,
        status=422,
        code=exc.code,
        title="Photo cannot be measured" if is_photo else "Unprocessable colour",
        detail=exc.detail,
        hint=exc.hint,
        extra={"retake": True} if is_photo else None,
    )


def _recipe_error(request: Request[Any, Any, Any], exc: RecipeError) -> Response[dict[str, Any]]:
    """422: a target no recipe can be made for (a measurement kept before skin readings were checked)."""
    return problem_response(
        request,
        status=422,
        code=exc.code,
        title="No recipe for this colour",
        detail=str(exc),
        hint="Measure the skin again (photo or instrument) and match the new measurement.",
    )


def _caused_by_decoding(exc: BaseException) -> bool:
    """True when the error comes from a body that could not be parsed at all (not from schema validation)."""
    # Litestar re-raises the body decoder's SerializationException as a ClientException "from" it.
    return not isinstance(exc, ValidationException) and isinstance(exc.__cause__, SerializationException)


# Litestar's words when the ASGI server reports ``http.disconnect`` while the body is read.
CLIENT_DISCONNECTED = "client disconnected prematurely"


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if status >= 500 and exc.detail == CLIENT_DISCONNECTED:
        return _client_gone(request)
    if status >= 500:
        return _unexpected(request, exc)
    code = _FRAMEWORK_CODES.get(status, "client_error")
    extra: dict[str, Any] = {}
    detail = exc.detail or HTTPStatus(status).phrase
    if isinstance(exc, ValidationException) and exc.extra:
        extra["errors"] = exc.extra
    if status == 400 and _caused_by_decoding(exc):
        code = "malformed_body"
        detail = f"The request body is not valid JSON: {detail}."
    headers = dict(exc.headers or {})
    return problem_response(request, status=status, code=code, detail=detail, extra=extra, headers=headers or None)


def _nested_too_deeply(request: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    """A JSON document (a body, a form field, a webhook) nested deeper than the decoders go: the client's doing.
    Python's and msgspec's decoders stop at about a thousand levels; no document of ours has more than five."""
    logger.info("refused a too deeply nested document on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        status=400,
        code="malformed_body",
        detail="The request holds a JSON document nested too deeply to read; ours nest a few levels at most.",
    )


def _client_gone(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The client hung up while sending its body: its doing, not a server error. Nobody reads the answer; it is
    logged as a client event, without a traceback, and nothing was stored (the body was never complete)."""
    logger.info("client disconnected during the request body on %s %s", request.method, request.url.path)
    return problem_response(
        request, status=400, code="client_disconnected", detail="The client disconnected before the body was complete."
    )


def _data_key_unknown(request: Request[Any, Any, Any], exc: UnknownDataKey) -> Response[dict[str, Any]]:
    """A record sealed with a data key this process was not given: a configuration fault the operators must
    mend (add the key to TONEMATCH_DATA_KEYS), not a crash; the key id is logged, never a key."""
    logger.error("data key %r is missing on %s %s", exc.key_id, request.method, request.url.path)
    return problem_response(
        request,
        status=503,
        code="data_key_unknown",
        detail="This record is sealed with a data key the service does not hold; the operators have been told.",
        headers={"Retry-After": "60"},
    )


def _storage_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Redis unreachable, loading or failing over: nothing was half-written (every write is one script or
    transaction), so the client may retry; an order retried with its Idempotency-Key is not duplicated."""
    logger.warning("storage unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    STORAGE_ERRORS.labels(error=type(exc).__name__).inc()
    return problem_response(
        request,
        status=503,
        code="storage_unavailable",
        detail="Storage is unavailable for a moment; nothing was changed. Retry the request.",
        headers={"Retry-After": "1"},
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # The request body is never logged: it may hold a face photo or an address.
    logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        status=500,
        code="internal_error",
        detail="The server failed to handle this request. It has been logged; please try again later.",
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ApiError: _api_error,
    ColorError: _colour_error,
    RecipeError: _recipe_error,
    HTTPException: _http_exception,
    RecursionError: _nested_too_deeply,
    UnknownDataKey: _data_key_unknown,
    **dict.fromkeys(STORAGE_UNAVAILABLE_ERRORS, _storage_unavailable),
    Exception: _unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "problem_response"]
