"""Decode a photo held in memory: JPEG, PNG or HEIC, upright (EXIF / HEIF orientation applied), 8-bit RGB.

The image size is read from the header and checked before anything is decoded, so a decompression bomb
costs nothing. Nothing is written anywhere: the bytes come in, an array goes out.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from color.errors import CorruptImage, ImageTooLarge, ImageTooSmall, UnsupportedImage

MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo is the largest we accept; decoded RGB is 150 MB
MAX_SIDE = 12_000
MIN_SIDE = 480  # below this the card's patches are too few pixels to average
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis", b"avic")
RETAKE_HINT = "Take the photo again with the phone's camera app and send it as it was saved."


REDUCED_FLAGS = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4}
EXIF_ORIENTATION = 0x0112
TRANSPOSING_ORIENTATIONS = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height


@dataclass(frozen=True, slots=True)
class DecodedPhoto:
    """Upright 8-bit pixels (rows, columns, B G R: OpenCV's order), possibly decoded at a reduced scale.

    ``size`` is the upright photo's full size, the frame in which region coordinates are given; ``scale``
    is the decoded pixels' size relative to it (1, 1/2 or 1/4).
    """

    BGR: NDArray[np.uint8]
    image_format: str
    size: tuple[int, int]
    scale: float = 1.0


def sniff_format(data: bytes) -> str:
    """``jpeg``, ``png`` or ``heic`` from the file's magic bytes; ``UnsupportedImage`` otherwise."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "heic"
    raise UnsupportedImage("The file is not a JPEG, PNG or HEIC photo.", hint="Send the photo as JPEG, PNG or HEIC.")


def _check_size(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise CorruptImage("The photo's header gives no size.", hint=RETAKE_HINT)
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageTooLarge(
            f"The photo is {width}×{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels "
            f"and {MAX_SIDE} pixels a side.",
            hint="Send the photo at the camera's normal resolution.",
        )
    if min(width, height) < MIN_SIDE:
        raise ImageTooSmall(
            f"The photo is {width}×{height} pixels; at least {MIN_SIDE} pixels a side are needed.",
            hint="Send the full-resolution photo, not a thumbnail.",
        )


def _upright_size(data: bytes) -> tuple[int, int]:
    """Width and height as displayed, from the header alone: size checked first, then EXIF orientation."""
    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves, before decoding
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptImage(f"The photo's header cannot be read: {exc}.", hint=RETAKE_HINT) from exc
    with image:
        width, height = image.size
        _check_size(width, height)
        try:
            orientation = image.getexif().get(EXIF_ORIENTATION, 1)
        except (OSError, SyntaxError, ValueError):  # unreadable EXIF: the decoder ignores it too
            orientation = 1
    return (height, width) if orientation in TRANSPOSING_ORIENTATIONS else (width, height)


def _decode_heic(data: bytes) -> NDArray[np.uint8]:
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
        _check_size(*heif.size)
        image = heif.to_pillow()  # applies the HEIF irot/imir transforms: upright as displayed
    except (ValueError, RuntimeError, OSError) as exc:
        raise CorruptImage(f"The HEIC photo cannot be decoded: {exc}.", hint=RETAKE_HINT) from exc
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8)[..., ::-1])


def decode_photo(data: bytes, *, min_long_side: int | None = None) -> DecodedPhoto:
    """Check and decode ``data``; raise a ``PhotoError`` with a stable code for anything unusable.

    With ``min_long_side``, a JPEG is decoded at the smallest of 1/4, 1/2 or full scale whose long side
    stays at least that long (libjpeg's DCT scaling: several times faster than a full decode).
    """
    if not data:
        raise CorruptImage("The photo is empty.", hint=RETAKE_HINT)
    image_format = sniff_format(data)
    if image_format == "heic":
        upright = _decode_heic(data)
        return DecodedPhoto(BGR=upright, image_format=image_format, size=(upright.shape[1], upright.shape[0]))
    size = _upright_size(data)
    factor = 1
    if image_format == "jpeg" and min_long_side:
        while factor < max(REDUCED_FLAGS) and max(size) / (factor * 2) >= min_long_side:
            factor *= 2
    if image_format == "jpeg" and data.rfind(b"\xff\xd9") < len(data) // 2:
        # libjpeg fills a truncated file with grey and only warns: refuse it before decoding.
        raise CorruptImage("The JPEG photo is truncated.", hint=RETAKE_HINT)
    if image_format == "png" and b"IEND" not in data[-64:]:
        raise CorruptImage("The PNG photo is truncated.", hint=RETAKE_HINT)
    # IMREAD_COLOR applies the EXIF orientation, so region coordinates refer to the upright image.
    BGR = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), REDUCED_FLAGS[factor])
    if BGR is None:
        raise CorruptImage("The photo's image data cannot be decoded.", hint=RETAKE_HINT)
    return DecodedPhoto(BGR=np.asarray(BGR, dtype=np.uint8), image_format=image_format, size=size, scale=1.0 / factor)
