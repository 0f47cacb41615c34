"""``/v1/measurements``: a customer's skin colour measurements."""

from __future__ import annotations

import json
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from pydantic import TypeAdapter, ValidationError

from api.errors import ApiError, BodyTooLarge, InvalidRequest, MalformedBody
from api.measurements.schemas import ConsentVersion, InstrumentReadingIn, MeasurementOut, MeasurementPage
from api.measurements.service import MeasurementService, PhotoUpload
from api.settings import Settings
from api.web.auth import allow
from api.web.content_types import JSON, MULTIPART
from api.web.tokens import Principal, Role
from api.web.uploads import FormPart, read_form_in_memory

MAX_PAGE = 100
MAX_REGIONS_FIELD_BYTES = 64 * 1024
MAX_CARD_FIELD = 80
CONSENT: TypeAdapter[str] = TypeAdapter(ConsentVersion)


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


def _photo_upload(fields: dict[str, list[FormPart]]) -> PhotoUpload:
    unknown = set(fields) - {"photo", "consent", "regions", "card"}
    if unknown:
        raise InvalidRequest(f"Unknown form fields: {', '.join(sorted(unknown))}.")
    photo = _single(fields, "photo", required=True)
    if photo is None or not photo.data:
        raise InvalidRequest("The form field 'photo' is empty.")
    consent_text = _text(_single(fields, "consent", required=True), "consent", 64) or ""
    try:
        consent_value = CONSENT.validate_python(consent_text.strip())
    except ValidationError as exc:
        raise InvalidRequest("The form field 'consent' must name the privacy notice version accepted.") from exc
    regions_text = _text(_single(fields, "regions", required=False), "regions", MAX_REGIONS_FIELD_BYTES)
    regions: Any = None
    if regions_text is not None:
        try:
            regions = json.loads(regions_text)
        except json.JSONDecodeError as exc:
            raise InvalidRequest(f"The form field 'regions' is not valid JSON: {exc.msg}.") from exc
    card = _text(_single(fields, "card", required=False), "card", MAX_CARD_FIELD)
    return PhotoUpload(photo=photo.data, consent=consent_value, card=card.strip() if card else None, regions=regions)


class MeasurementController(Controller):
    path = "/v1/measurements"
    tags = ["measurements"]  # noqa: RUF012 - Litestar reads these class attributes
    guards = [allow(Role.CUSTOMER)]  # noqa: RUF012

    @post(
        "/",
        summary="Record a measurement from a photo or an instrument",
        description=(
            "**Photo** (multipart/form-data): `photo` (JPEG, PNG or HEIC of the face next to the reference card), "
            "`consent` (privacy notice version, required), optional `regions` (JSON list of "
            '`{"name", "polygon": [[x, y], ...]}` in pixels of the upright image) and `card` (card id, '
            "optionally `id@batch`). The photo is processed in memory and never stored. A photo that cannot "
            "be trusted gets a 422 problem with a retake `code` and `hint`.\n\n"
            "**Instrument** (application/json): L*a*b* with its illuminant and observer, converted to D65/2° "
            "with a stated chromatic adaptation, or a reflectance spectrum integrated under D65/2°."
        ),
        opt={"accepts": (JSON, MULTIPART)},
        status_code=201,
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
            return await measurements.record_photo(principal.subject, upload)
        body = await request.body()
        if len(body) > settings.max_json_body_bytes:  # a chunked body carries no Content-Length to check early
            raise BodyTooLarge(f"The JSON body is {len(body)} bytes; the limit is {settings.max_json_body_bytes}.")
        try:
            reading = InstrumentReadingIn.model_validate_json(body)
        except ValidationError as exc:
            raise _validation_problem(exc) from exc
        return await measurements.record_instrument_reading(principal.subject, reading)

    @get("/{measurement_id:str}", summary="One of the caller's measurements")
    async def read(
        self,
        measurement_id: FromPath[str],
        principal: NamedDependency[Principal],
        measurements: NamedDependency[MeasurementService],
    ) -> MeasurementOut:
        return await measurements.get(principal.subject, measurement_id)

    @get("/", summary="The caller's measurement history, newest first")
    async def history(
        self,
        principal: NamedDependency[Principal],
        measurements: NamedDependency[MeasurementService],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 20,
        before: Annotated[
            str | None, QueryParameter(max_length=64, description="Cursor from the previous page")
        ] = None,
    ) -> MeasurementPage:
        return await measurements.list_page(principal.subject, limit=limit, before=before)
