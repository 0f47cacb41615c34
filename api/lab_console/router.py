"""The console as one router: its pages, its static files, and errors answered as pages rather than JSON.

The JSON API keeps its RFC 9457 problems; under ``/lab`` a person reads the answer, so the same errors become a
page in plain words with the same status (a missing or ended session becomes the sign-in page).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.types import ExceptionHandlersMap

from api.errors import ApiError
from api.lab_console.controllers import LabConsoleController, LabSignInController
from api.lab_console.render import page, see_other
from api.lab_console.sessions import CsrfRefused, LoginRequired
from api.sealing import UnknownDataKey
from api.storage.client import STORAGE_UNAVAILABLE_ERRORS
from api.web.auth import PUBLIC_KEY
from color.errors import ColorError

logger = logging.getLogger("tonematch.lab")
STATIC_DIR = Path(__file__).parent / "static"


def _error_page(status_code: int, title: str, message: str) -> Response[str]:
    return page("error.html", status_code=status_code, title=title, message=message, staff=None)


def _login_required(_: Request[Any, Any, Any], __: LoginRequired) -> Redirect:
    return see_other("/lab/login")


def _csrf_refused(request: Request[Any, Any, Any], exc: CsrfRefused) -> Response[str]:
    logger.warning("lab console form refused on %s: %s", request.url.path, exc)
    return _error_page(
        403,
        "This form cannot be accepted",
        f"{exc} Nothing was changed. Go back, reload the page, and submit the form again.",
    )


def _api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[str]:
    message = f"{exc.detail} {exc.hint}" if exc.hint else exc.detail
    return _error_page(exc.status_code, exc.title, message)


def _colour_error(_: Request[Any, Any, Any], exc: ColorError) -> Response[str]:
    return _error_page(422, "Colour cannot be used", f"{exc.detail} {exc.hint or ''}".strip())


def _http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[str]:
    if exc.status_code >= 500:
        return _unexpected(_, exc)
    return _error_page(exc.status_code, "Request not understood", str(exc.detail))


def _data_key_unknown(request: Request[Any, Any, Any], exc: UnknownDataKey) -> Response[str]:
    logger.error("data key %r is missing on %s %s", exc.key_id, request.method, request.url.path)
    return _error_page(503, "Service unavailable", "A record is sealed with a key the service lacks; tell IT.")


def _storage_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    logger.warning("storage unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    response = _error_page(503, "Try again in a moment", "The order store did not answer; nothing was changed.")
    response.headers["Retry-After"] = "1"
    return response


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_page(500, "Something went wrong", "The console failed to handle this. It has been logged.")


HTML_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    LoginRequired: _login_required,
    CsrfRefused: _csrf_refused,
    ApiError: _api_error,
    ColorError: _colour_error,
    HTTPException: _http_exception,
    UnknownDataKey: _data_key_unknown,
    **dict.fromkeys(STORAGE_UNAVAILABLE_ERRORS, _storage_unavailable),
    Exception: _unexpected,
}

LAB_CONSOLE = Router(
    path="/",
    route_handlers=[
        LabSignInController,
        LabConsoleController,
        create_static_files_router(
            path="/lab/static",
            directories=[STATIC_DIR],
            name="lab-static",
            opt={PUBLIC_KEY: True},
            include_in_schema=False,
        ),
    ],
    exception_handlers=HTML_EXCEPTION_HANDLERS,
    include_in_schema=False,
)
