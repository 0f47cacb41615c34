"""Errors of the colour core. Each carries a stable ``code`` and a ``hint`` a person can act on."""

from __future__ import annotations


class ColorError(ValueError):
    """Base of every error raised on purpose by ``color/``."""

    code = "color_error"

    def __init__(self, detail: str, *, hint: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint


class InvalidColorInput(ColorError):
    """A colour value or spectrum that cannot be what it claims (out of range, NaN, unknown illuminant)."""

    code = "invalid_colour"
