"""Every problem code the API answers with, and the OpenAPI responses that document them per route.

``api.web.problems`` builds the documents; this module says, for the OpenAPI document, which ``code`` comes with
which status, its title and an example. The codes are read from the error trees themselves (``api.errors``, the
colour core's errors and its retake table, the recipe error) so a new error class is documented as it is added.
A route declares the codes only it can give with ``responses=problems(...)``; those every route shares (a token
refused, a body that cannot be read, storage away) are added to every operation by ``api.web.openapi``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

import color.card_identity
import color.packaged_data  # noqa: F401 - registers UnknownCard
from api.errors import ApiError
from api.schemas import Problem
from api.web.problems import PROBLEM_JSON, PROBLEM_TYPE_PREFIX
from catalog.recipe import RecipeError
from color.errors import ColorError, PhotoError, RetakeNeeded
from color.quality import Retake


@dataclass(frozen=True)
class ProblemCode:
    """One stable code: the status it comes with, its title, and what an example of it says."""

    code: str
    status: int
    title: str
    detail: str
    hint: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()

    def example(self, instance: str = "/v1/…") -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_PREFIX + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            "code": self.code,
        }
        if self.hint:
            body["hint"] = self.hint
        return body | dict(self.extra)


# What an example of each code says; a code without an entry is shown with its title.
_DETAILS = {
    "invalid_request": "Unknown query parameter 'before'; this endpoint takes: limit, cursor.",
    "malformed_body": "The request body is not valid JSON: Expecting value.",
    "client_disconnected": "The client disconnected before the body was complete.",
    "unsupported_media_type": "This endpoint takes application/json bodies, not text/plain.",
    "body_too_large": "The application/json body is 70000 bytes; the limit is 65536 bytes.",
    "request_timeout": "The request body did not arrive in time.",
    "token_missing": "This endpoint needs an `Authorization: Bearer <token>` header.",
    "token_invalid": "The bearer token is not valid: its signature does not verify.",
    "token_expired": "The bearer token has expired.",
    "role_not_allowed": "This endpoint is for the lab role; the token's role is customer.",
    "not_found": "No order 'ord_0190c5a8e2b1a9f3c2d4e5f60700'.",
    "idempotency_key_required": "POST /v1/orders needs an `Idempotency-Key` header.",
    "idempotency_key_reused": "This Idempotency-Key was used for another request body.",
    "invalid_transition": "The order is received; cancel is not possible from there.",
    "orders_in_progress": "Orders in production or on the way cannot be erased yet.",
    "webhook_signature_invalid": "The webhook does not verify: No matching signature found.",
    "webhook_timestamp_out_of_tolerance": "Message timestamp too old: within 5 minutes of the server's clock.",
    "too_many_requests": "At most 60 measurements an hour per customer; the next is possible in 1260 s.",
    "token_revoked": "This bearer token has been revoked.",
    "storage_unavailable": "Storage is unavailable for a moment; nothing was changed. Retry the request.",
    "data_key_unknown": "This record is sealed with a data key the service does not hold.",
    "service_unavailable": "Redis is not reachable.",
    "internal_error": "The server failed to handle this request. It has been logged; please try again later.",
    "invalid_colour": "The spectrum's wavelengths are not ascending.",
    "not_skin_colour": "L* 99 is outside the range of human skin (10-90).",
    "invalid_recipe_request": "No recipe can be made for this target.",
    "catalogue_empty": "None of the 625 rows has a brand, product and shade name or code.",
    "catalogue_encoding": "The file is not UTF-8 text: byte 0xf4 on line 2 is not UTF-8 (a Windows-1252 file?).",
    "catalogue_columns_missing": "The file has no product column.",
    "colour_space_unknown": "Row 2: colour_space must be one of CIELAB D65, sRGB, not 'Adobe RGB'.",
    "lab_out_of_range": "Row 2: L*a*b* 101, 0, 0 is outside the possible range (L* 0-100, a* and b* ±128).",
    "hex_invalid": "Row 2: '#GGGGGG' is not a six-digit sRGB hex colour (e.g. #C8A07A).",
    "catalogue_rows_skipped": "625 rows lack a brand, product or a shade_name or a shade_code (row 2).",
    "catalogue_too_large": "The file is 20000000 bytes; the limit is 16777216.",
    "catalogue_source_protected": "The house range is packaged with the service and cannot be deleted.",
    "catalogue_import_in_progress": "Another import of 'pudding' is under way; nothing was imported.",
}
_HINTS = {
    "token_expired": "Sign in again to get a new token.",
    "not_skin_colour": "Measure bare skin on the cheek, holding the instrument flat against it.",
    "invalid_recipe_request": "Measure the skin again (photo or instrument) and match the new measurement.",
}
_EXTRA: dict[str, tuple[tuple[str, Any], ...]] = {
    "invalid_request": (("errors", [{"key": "before", "message": "unknown query parameter", "source": "query"}]),),
    "invalid_transition": (("current_status", "received"),),
    "unsupported_media_type": (("accepted", ["application/json"]),),
}
# Codes the framework layer answers with that no error class carries (``api.web.problems``).
_FRAMEWORK = {
    "method_not_allowed": 405,
    "too_many_requests": 429,
    "client_disconnected": 400,
    "data_key_unknown": 503,
    "internal_error": 500,
}


T = TypeVar("T")


def _subclasses(cls: type[T]) -> list[type[T]]:
    found: list[type[T]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _entry(code: str, status: int, title: str, **extra: Any) -> ProblemCode:
    merged = _EXTRA.get(code, ()) + tuple(extra.items())
    return ProblemCode(code, status, title, _DETAILS.get(code, f"{title}."), _HINTS.get(code), merged)


def problem_codes() -> dict[str, ProblemCode]:
    """Every code, read from the error trees as they stand (an error class imported later is found then)."""
    codes: dict[str, ProblemCode] = {}
    for code, status in _FRAMEWORK.items():
        codes[code] = _entry(code, status, HTTPStatus(status).phrase)
    errors: list[type[ApiError]] = [ApiError, *_subclasses(ApiError)]
    for error in errors:
        codes[error.code] = _entry(error.code, error.status_code, error.title)
    for colour in _subclasses(ColorError):
        if colour is not RetakeNeeded and colour is not PhotoError:
            photo = issubclass(colour, PhotoError)
            title = "Photo cannot be measured" if photo else "Unprocessable colour"
            codes[colour.code] = _entry(colour.code, 422, title, **({"retake": True} if photo else {}))
    for retake in Retake:
        detail = f"The photo failed the `{retake.code}` check."
        codes.setdefault(
            retake.code,
            ProblemCode(retake.code, 422, "Photo cannot be measured", detail, retake.hint, (("retake", True),)),
        )
    codes[RecipeError.code] = _entry(RecipeError.code, 422, "No recipe for this colour")
    return codes


def retake_codes() -> tuple[str, ...]:
    """The codes of a photo that must be taken again (422 with ``"retake": true``)."""
    photo_errors = [e.code for e in _subclasses(PhotoError) if e is not RetakeNeeded]
    return tuple(dict.fromkeys([*photo_errors, *(r.code for r in Retake)]))


def describe(status: int, codes: list[str]) -> str:
    """The response's description: what the status means here and every code it can carry."""
    listed = ", ".join(f"`{code}`" for code in codes)
    return f"{HTTPStatus(status).phrase}: a problem document with `code` one of {listed}."


def problems(*codes: str) -> dict[int, ResponseSpec]:
    """``responses=`` for a route: one ``application/problem+json`` response per status, with an example per code."""
    known = problem_codes()
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValueError(f"undocumented problem codes: {', '.join(unknown)}")
    by_status: dict[int, list[str]] = defaultdict(list)
    for code in dict.fromkeys(codes):
        by_status[known[code].status].append(code)
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=describe(status, listed),
            generate_examples=False,
            examples=[Example(id=code, summary=known[code].title, value=known[code].example()) for code in listed],
        )
        for status, listed in sorted(by_status.items())
    }


__all__ = ["PROBLEM_JSON", "ProblemCode", "describe", "problem_codes", "problems", "retake_codes"]
