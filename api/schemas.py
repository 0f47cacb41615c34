"""Types shared by every domain of the HTTP API: colours (each states its space, white point and observer) and the
RFC 9457 problem document every error is answered with."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LabD65(BaseModel):
    """A colour in CIE 1976 L*a*b*, D65 white point, CIE 1931 2° observer."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"L": 58.2, "a": 12.4, "b": 17.9}]})

    L: float = Field(ge=0, le=100, allow_inf_nan=False, description="Lightness L*")
    a: float = Field(ge=-128, le=128, allow_inf_nan=False, description="a* (green to red)")
    b: float = Field(ge=-128, le=128, allow_inf_nan=False, description="b* (blue to yellow)")


class ColourSpace(BaseModel):
    """The colour space every L*a*b* value beside it is in (always the same; stated so a reader need not guess)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"space": "CIE 1976 L*a*b*", "white_point": "D65", "observer": "CIE 1931 2°"}]}
    )

    space: str = "CIE 1976 L*a*b*"
    white_point: str = "D65"
    observer: str = "CIE 1931 2°"


class Spectrum(BaseModel):
    """A reflectance spectrum: reflectance factors (0-1) at wavelengths in nm, on a regular grid (resampled to 1 nm
    when ASTM E308 has no table for its interval), integrated under D65 with the CIE 1931 2° observer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "wavelengths_nm": [400, 450, 500, 550, 600, 650, 700],
                    "reflectance": [0.21, 0.25, 0.29, 0.33, 0.47, 0.56, 0.6],
                }
            ]
        },
    )

    wavelengths_nm: list[float] = Field(min_length=3, max_length=2000, description="Wavelengths, nm, ascending")
    reflectance: list[float] = Field(min_length=3, max_length=2000, description="Reflectance factor, 0-1")


class ProblemFieldError(BaseModel):
    """One reason a request did not match its schema: where (``key``, and ``source``: body, query, header or path)
    and what is wrong."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"key": "quantity", "message": "must be a whole number", "source": "body"}]},
    )

    key: str | None = Field(default=None, description="The field or parameter, dotted for nested body fields")
    message: str = Field(description="What is wrong with it")
    source: str | None = Field(default=None, description="body, query, header, path or cookie")


class Problem(BaseModel):
    """An error, as an RFC 9457 problem document (``application/problem+json``). ``code`` is stable and names the
    error (``type`` is the same as a URN); ``hint``, when present, is something a person can act on. Some codes
    add members: ``errors`` (``invalid_request``), ``retake`` (a photo to take again), ``current_status``
    (``invalid_transition``), ``accepted`` (``unsupported_media_type``)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:tonematch:problem:token_expired",
                    "title": "Token expired",
                    "status": 401,
                    "detail": "The bearer token has expired.",
                    "instance": "/v1/measurements",
                    "code": "token_expired",
                    "hint": "Sign in again to get a new token.",
                }
            ]
        },
    )

    type: str = Field(
        description="`urn:tonematch:problem:` and the code", pattern=r"^urn:tonematch:problem:[a-z0-9_]+$"
    )
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(ge=400, le=599, description="The HTTP status code")
    detail: str = Field(description="What went wrong in this request")
    instance: str = Field(description="The request path")
    code: str = Field(description="Stable error code", pattern=r"^[a-z0-9_]+$")
    hint: str | None = Field(default=None, description="What a person can do about it")
    errors: list[ProblemFieldError] | None = Field(
        default=None, description="Every mismatch with the schema (`invalid_request`)"
    )
    retake: bool | None = Field(default=None, description="True when a new photo is needed (422 photo problems)")
