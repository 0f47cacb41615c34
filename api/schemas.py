"""Colour types shared by every domain of the HTTP API. Each states its space, white point and observer."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LabD65(BaseModel):
    """CIE 1976 L*a*b*, D65 white point, CIE 1931 2° observer."""

    model_config = ConfigDict(extra="forbid")

    L: float = Field(ge=0, le=100, allow_inf_nan=False, description="Lightness L*")
    a: float = Field(ge=-128, le=128, allow_inf_nan=False, description="a* (green to red)")
    b: float = Field(ge=-128, le=128, allow_inf_nan=False, description="b* (blue to yellow)")


class ColourSpace(BaseModel):
    space: str = "CIE 1976 L*a*b*"
    white_point: str = "D65"
    observer: str = "CIE 1931 2°"


class Spectrum(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wavelengths_nm: list[float] = Field(min_length=3, max_length=2000)
    reflectance: list[float] = Field(min_length=3, max_length=2000, description="Reflectance factor, 0-1")
