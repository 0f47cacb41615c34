"""``/v1/measurements``: a customer's skin colour measurements."""

from __future__ import annotations

import json
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from pydantic import TypeAdapter, ValidationError

from api.errors import ApiError, BodyTooLarge, InvalidRequest, MalformedBody
from api.measurements.analysis_schemas import ComparisonOut, TimelineOut
from api.measurements.schemas import (
    IMAGE_PART_TYPES,
    ConsentVersion,
    InstrumentReadingIn,
    MeasurementForm,
    MeasurementOut,
    MeasurementPage,
)
from api.measurements.service import CropsUpload, MeasurementService, PhotoUpload
from api.settings import Settings
from api.web.auth import allow
from api.web.content_types import JSON, MULTIPART
from api.web.openapi import bearer, request_body
from api.web.problem_docs import problems, retake_codes
from api.web.tokens import Principal, Role
from api.web.uploads import FormPart, read_form_in_memory
from color.crops import CARD_PART

MAX_PAGE = 100
MAX_REGIONS_FIELD_BYTES = 64 * 1024
MAX_CROPS_FIELD_BYTES = 64 * 1024  # the regions' polygons and five numbers a crop
SKIN_PART_PREFIX = "skin_crop_"
MAX_CARD_FIELD = 80
CONSENT: TypeAdapter[str] = TypeAdapter(ConsentVersion)
MeasurementId = Annotated[str, PathParameter(description="Measurement id (`msr_…`)")]
ComparedId = Annotated[str, QueryParameter(min_length=1, max_length=64, description="Measurement id (`msr_…`)")]
Cursor = Annotated[
    str | None,
    QueryParameter(max_length=64, description="`next_cursor` of the previous page; absent for the first page"),
]
MEASUREMENT_BODY = request_body(
    "A whole photo or the crops of one (multipart/form-data), or an instrument reading (application/json).",
    {MULTIPART: [MeasurementForm], JSON: [InstrumentReadingIn]},
    encoding={
        MULTIPART: {
            "photo": IMAGE_PART_TYPES,
            "card_crop": IMAGE_PART_TYPES,
            "regions": JSON,
            "crops": JSON,
        }
    },
)
MEASURING_PROBLEMS = (
    "invalid_colour",
    "not_skin_colour",
    "invalid_regions",
    "invalid_crops",
    "crop_too_large",
    "unknown_card",
    "card_batch_mismatch",
)


def _validation_problem(exc: ValidationError) -> ApiError:
    parse_errors = [e for e in exc.errors(include_url=False, include_input=False) if e["type"] == "json_invalid"]
    if parse_errors:
        return MalformedBody(f"The request body is not valid JSON: {parse_errors[0]['msg']}.")
    errors = [
        {"key": ".".join(str(p) for p in error["loc"]) or "body", "message": error["msg"], "source": "body"}
        for error in exc.errors(include_url=False, include_input=False)
    ]
    return InvalidRequest("The request body does not match the schema.", extra={"errors": errors})


def _single(fields: dict[str, list[FormPart]], name: str, *, required: bool) -> FormPart | None:
    parts = fields.get(name, [])
    if len(parts) > 1:
        raise InvalidRequest(f"The form field {name!r} must appear once.")
    if not parts:
        if required:
            raise InvalidRequest(f"The form field {name!r} is required.")
        return None
    return parts[0]


def _text(part: FormPart | None, name: str, limit: int) -> str | None:
    if part is None:
        return None
    if len(part.data) > limit:
        raise InvalidRequest(f"The form field {name!r} is too long.")
    try:
        return part.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"The form field {name!r} must be UTF-8 text.") from exc


def _json_field(fields: dict[str, list[FormPart]], name: str, limit: int, *, required: bool) -> Any:
    text = _text(_single(fields, name, required=required), name, limit)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"The form field {name!r} is not valid JSON: {exc.msg}.") from exc
    except ValueError as exc:  # an integer of over 4,300 digits (nested too deeply: the app's malformed_body)
        raise InvalidRequest(f"The form field {name!r} holds a number too long to read.") from exc


def _consent_and_card(fields: dict[str, list[FormPart]]) -> tuple[str, str | None]:
    consent_text = _text(_single(fields, "consent", required=True), "consent", 64) or ""
    try:
        consent_value = CONSENT.validate_python(consent_text.strip())
    except ValidationError as exc:
        raise InvalidRequest("The form field 'consent' must name the privacy notice version accepted.") from exc
    card = _text(_single(fields, "card", required=False), "card", MAX_CARD_FIELD)
    return consent_value, (card.strip() or None) if card else None  # blank: the default card, as when absent


def _is_crop_part(name: str) -> bool:
    return name == CARD_PART or name.startswith(SKIN_PART_PREFIX)


def _photo_upload(fields: dict[str, list[FormPart]]) -> PhotoUpload | CropsUpload:
    """The whole photo, or the crops of one photo (``color.crops``): exactly one of them."""
    unknown = {name for name in fields if not _is_crop_part(name)} - {"photo", "consent", "regions", "card", "crops"}
    if unknown:
        raise InvalidRequest(f"Unknown form fields: {', '.join(sorted(unknown))}.")
    crop_parts = sorted(name for name in fields if _is_crop_part(name))
    if "photo" in fields and ("crops" in fields or crop_parts):
        raise InvalidRequest(
            "Send either the whole 'photo' or its crops ('crops' with the 'card_crop' and 'skin_crop_…' parts), "
            "not both."
        )
    if "crops" in fields or crop_parts:
        if "regions" in fields:
            raise InvalidRequest("With crops, the regions go in the 'crops' document, not in a 'regions' field.")
        if "crops" not in fields:
            raise InvalidRequest("The form field 'crops' is required with crop images: it places them in the photo.")
        crops = _json_field(fields, "crops", MAX_CROPS_FIELD_BYTES, required=True)
        parts: dict[str, bytes] = {}
        for name in crop_parts:
            part = _single(fields, name, required=True)
            if part is None or not part.data:
                raise InvalidRequest(f"The form field {name!r} is empty.")
            parts[name] = part.data
        consent, card = _consent_and_card(fields)
        return CropsUpload(crops=crops, parts=parts, consent=consent, card=card)
    photo = _single(fields, "photo", required=True)
    if photo is None or not photo.data:
        raise InvalidRequest("The form field 'photo' is empty.")
    consent, card = _consent_and_card(fields)
    regions = _json_field(fields, "regions", MAX_REGIONS_FIELD_BYTES, required=False)
    return PhotoUpload(photo=photo.data, consent=consent, card=card, regions=regions)


class MeasurementController(Controller):
    path = "/v1/measurements"
    tags = ["measurements"]  # noqa: RUF012 - Litestar reads these class attributes
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012
    security = bearer(Role.CUSTOMER)

    @post(
        "/",
        summary="Record a measurement from a photo or an instrument",
        description=(
            "**Photo** (multipart/form-data): `photo` (JPEG, PNG or HEIC of the face next to the reference card), "
            "`consent` (privacy notice version, required), optional `regions` (JSON list of "
            '`{"name", "polygon": [[x, y], ...]}` in pixels of the upright image) and `card` (card id, '
            "optionally `id@batch`). The photo is processed in memory and never stored. A photo that cannot "
            "be trusted gets a 422 problem with a retake `code` and `hint`.\n\n"
            "**Crops** (multipart/form-data, the face never leaves the phone): instead of `photo` and `regions`, "
            "`crops` (JSON: `frame_size` [w, h] of the upright photo, `card` {`part`: `card_crop`, `x`, `y`, "
            "`width`, `height`} and `skin` [{`part`: `skin_crop_1`, `name`, `x`, `y`, `width`, `height`, "
            "`polygon`}]), one image part per crop (PNG recommended: lossless; JPEG accepted), with `consent` and "
            "optionally `card`. The crops must be one photo's card (with a small margin) and skin regions; "
            "otherwise 422 `invalid_crops` or `crop_too_large`. The result's `input_mode` says which was used.\n\n"
            "**Instrument** (application/json): L*a*b* with its illuminant and observer, converted to D65/2° "
            "with a stated chromatic adaptation, or a reflectance spectrum integrated under D65/2°."
        ),
        opt={"accepts": (JSON, MULTIPART)},
        status_code=201,
        operation_class=MEASUREMENT_BODY,
        responses=problems(*MEASURING_PROBLEMS, *retake_codes(), "too_many_requests"),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        measurements: NamedDependency[MeasurementService],
        settings: NamedDependency[Settings],
    ) -> MeasurementOut:
        media_type = request.content_type[0]
        if media_type == MULTIPART:
            upload = _photo_upload(await read_form_in_memory(request))
            if isinstance(upload, CropsUpload):
                return await measurements.record_crops(principal.subject, upload)
            return await measurements.record_photo(principal.subject, upload)
        body = await request.body()
        if len(body) > settings.max_json_body_bytes:  # a chunked body carries no Content-Length to check early
            raise BodyTooLarge(f"The JSON body is {len(body)} bytes; the limit is {settings.max_json_body_bytes}.")
        try:
            reading = InstrumentReadingIn.model_validate_json(body)
        except ValidationError as exc:
            raise _validation_problem(exc) from exc
        return await measurements.record_instrument_reading(principal.subject, reading)

    @get(
        "/timeline",
        summary="The caller's measurements over time: indices, change beyond noise, robust trend",
        description=(
            "Every measurement the caller still has, oldest first, with its melanin and erythema indices, and for "
            "each index the change since the first measurement (counted only beyond the two measurements' combined "
            "95 % uncertainty) and, from three measurements on two days, a Theil-Sen trend per month with its 95 % "
            "interval, said in plain words."
        ),
    )
    async def timeline(
        self, principal: NamedDependency[Principal], measurements: NamedDependency[MeasurementService]
    ) -> TimelineOut:
        return await measurements.timeline(principal.subject)

    @get(
        "/compare",
        summary="Two of the caller's measurements compared: each metric's change against the measurement noise",
        description=(
            "`before` and `after` name two of the caller's measurements. For L*, a*, b*, the CIEDE2000 between them, "
            "ITA°, the melanin and erythema indices and, where both measured them, each region's indices, evenness "
            "and spot area and the left-right differences: both values, the change, the two measurements' combined "
            "95 % uncertainty (half-widths in quadrature) and a verdict in plain words. An id that is not one of the "
            "caller's is a 404; the same id twice or a missing parameter a 400."
        ),
        responses=problems("invalid_request", "not_found"),
    )
    async def compare(
        self,
        principal: NamedDependency[Principal],
        measurements: NamedDependency[MeasurementService],
        before: ComparedId,
        after: ComparedId,
    ) -> ComparisonOut:
        return await measurements.compare(principal.subject, before, after)

    @get("/{measurement_id:str}", summary="One of the caller's measurements", responses=problems("not_found"))
    async def read(
        self,
        measurement_id: MeasurementId,
        principal: NamedDependency[Principal],
        measurements: NamedDependency[MeasurementService],
    ) -> MeasurementOut:
        return await measurements.get(principal.subject, measurement_id)

    @get("/", summary="The caller's measurement history, newest first", responses=problems("invalid_request"))
    async def history(
        self,
        principal: NamedDependency[Principal],
        measurements: NamedDependency[MeasurementService],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Items on a page")] = 20,
        cursor: Cursor = None,
    ) -> MeasurementPage:
        return await measurements.list_page(principal.subject, limit=limit, cursor=cursor)
