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

from color.errors import CorruptImage, UnsupportedImage
from color.quality import CORRUPT_IMAGE_HINT, UNSUPPORTED_IMAGE_HINT, check_image_size

HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis", b"avic")


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


def truncation(data: bytes, image_format: str) -> str | None:
    """What is wrong with a JPEG or PNG file cut short, or None. libjpeg fills a truncated file with grey and
    only warns, so it is refused before decoding."""
    if image_format == "jpeg" and data.rfind(b"\xff\xd9") < len(data) // 2:
        return "is a truncated JPEG"
    if image_format == "png" and b"IEND" not in data[-64:]:
        return "is a truncated PNG"
    return None


def sniff_format(data: bytes) -> str:
    """``jpeg``, ``png`` or ``heic`` from the file's magic bytes; ``UnsupportedImage`` otherwise."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "heic"
    raise UnsupportedImage("The file is not a JPEG, PNG or HEIC photo.", hint=UNSUPPORTED_IMAGE_HINT)


def _upright_size(data: bytes) -> tuple[int, int]:
    """Width and height as displayed, from the header alone: size checked first, then EXIF orientation."""
    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves, before decoding
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptImage(f"The photo's header cannot be read: {exc}.", hint=CORRUPT_IMAGE_HINT) from exc
    with image:
        width, height = image.size
        check_image_size(width, height)
        try:
            orientation = image.getexif().get(EXIF_ORIENTATION, 1)
        except (OSError, SyntaxError, ValueError):  # unreadable EXIF: the decoder ignores it too
            orientation = 1
    return (height, width) if orientation in TRANSPOSING_ORIENTATIONS else (width, height)


def _decode_heic(data: bytes) -> NDArray[np.uint8]:
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
        check_image_size(*heif.size)
        image = heif.to_pillow()  # applies the HEIF irot/imir transforms: upright as displayed
    except (ValueError, RuntimeError, OSError) as exc:
        raise CorruptImage(f"The HEIC photo cannot be decoded: {exc}.", hint=CORRUPT_IMAGE_HINT) from exc
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8)[..., ::-1])


def decode_photo(data: bytes, *, min_long_side: int | None = None) -> DecodedPhoto:
    """Check and decode ``data``; raise a ``PhotoError`` with a stable code for anything unusable.

    With ``min_long_side``, a JPEG is decoded at the smallest of 1/4, 1/2 or full scale whose long side
    stays at least that long (libjpeg's DCT scaling: several times faster than a full decode).
    """
    if not data:
        raise CorruptImage("The photo is empty.", hint=CORRUPT_IMAGE_HINT)
    image_format = sniff_format(data)
    if image_format == "heic":
        upright = _decode_heic(data)
        return DecodedPhoto(BGR=upright, image_format=image_format, size=(upright.shape[1], upright.shape[0]))
    size = _upright_size(data)
    factor = 1
    if image_format == "jpeg" and min_long_side:
        while factor < max(REDUCED_FLAGS) and max(size) / (factor * 2) >= min_long_side:
            factor *= 2
    problem = truncation(data, image_format)
    if problem is not None:
        raise CorruptImage(f"The photo {problem}.", hint=CORRUPT_IMAGE_HINT)
    # IMREAD_COLOR applies the EXIF orientation, so region coordinates refer to the upright image.
    BGR = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), REDUCED_FLAGS[factor])
    if BGR is None:
        raise CorruptImage("The photo's image data cannot be decoded.", hint=CORRUPT_IMAGE_HINT)
    return DecodedPhoto(BGR=np.asarray(BGR, dtype=np.uint8), image_format=image_format, size=size, scale=1.0 / factor)
