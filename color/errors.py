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


class NotSkinColour(ColorError):
    """A valid colour that no human skin has: the reading was made on something else."""

    code = "not_skin_colour"


class PhotoError(ColorError):
    """The photo cannot give a trustworthy colour; ``code`` says why and ``hint`` what to do (a retake)."""

    code = "photo_error"


class UnsupportedImage(PhotoError):
    code = "unsupported_image"


class CorruptImage(PhotoError):
    code = "corrupt_image"


class ImageTooLarge(PhotoError):
    code = "image_too_large"


class ImageTooSmall(PhotoError):
    code = "image_too_small"


class RetakeNeeded(PhotoError):
    """A readable photo that cannot be trusted; ``code`` and ``hint`` come from ``color.quality.Retake``."""

    def __init__(self, code: str, detail: str, *, hint: str) -> None:
        super().__init__(detail, hint=hint)
        self.code = code


class InvalidRegions(ColorError):
    code = "invalid_regions"


class InvalidCrops(ColorError):
    """Crops that do not describe one photo: outside the frame, sizes that disagree, mixed encodings, unreadable."""

    code = "invalid_crops"


class CropTooLarge(InvalidCrops):
    """A crop bigger than its card or its skin region needs: it could show the face, so it is refused unread."""

    code = "crop_too_large"
