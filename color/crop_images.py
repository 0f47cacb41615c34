"""Crop images from the phone: their header read before any pixel, then their pixels, upright.

A crop is an 8-bit PNG (recommended: lossless) or JPEG cut from one upright photo. Its format, colour mode,
bit depth, EXIF orientation and upright size come from the header alone, so crops that cannot come from one
exposure are refused before anything is decoded (``color.crops``).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from color.decode import EXIF_ORIENTATION, TRANSPOSING_ORIENTATIONS, truncation, upright
from color.errors import InvalidCrops

CROPS_HINT = "Take the photo again in the app; if this keeps happening, update the app."
SUPPORTED_MODES = {"png": ("RGB", "RGBA"), "jpeg": ("RGB",)}


@dataclass(frozen=True, slots=True)
class CropHeader:
    """What a crop's header says, read before its pixels are decoded."""

    image_format: str
    mode: str
    bit_depth: int
    orientation: int
    upright_size: tuple[int, int]


def _png_exif(data: bytes) -> Image.Exif:
    """A PNG's eXIf chunk, found by walking the chunk headers (Pillow decodes the whole image to look past IDAT)."""
    exif = Image.Exif()
    position = 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        if kind == b"eXIf":
            exif.load(data[position + 8 : position + 8 + length])
            break
        if kind == b"IEND":
            break
        position += 12 + length  # length, type, data, CRC
    return exif


def read_crop_header(data: bytes, part: str) -> CropHeader:
    """Format, colour mode, bit depth, EXIF orientation and upright size of a crop, from its header only."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        image_format = "png"
    elif data[:3] == b"\xff\xd8\xff":
        image_format = "jpeg"
    else:
        raise InvalidCrops(f"The crop {part!r} is not a PNG or JPEG image.", hint=CROPS_HINT)
    try:
        with Image.open(io.BytesIO(data), formats=["PNG" if image_format == "png" else "JPEG"]) as image:
            width, height = image.size
            mode = image.mode
            exif = image.getexif() if image_format == "jpeg" else _png_exif(data)
            orientation = exif.get(EXIF_ORIENTATION, 1)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        struct.error,
        Image.DecompressionBombError,
    ) as exc:
        raise InvalidCrops(f"The crop {part!r} cannot be read: {exc}.", hint=CROPS_HINT) from exc
    # PNG's IHDR chunk comes first: bytes 24 and 25 are the bit depth and colour type. Pillow opens a 16-bit
    # RGB PNG as 8-bit RGB, so the depth is read here. Baseline JPEG is 8-bit.
    bit_depth = data[24] if image_format == "png" and data[12:16] == b"IHDR" else 8
    if mode not in SUPPORTED_MODES[image_format] or bit_depth != 8:
        raise InvalidCrops(
            f"The crop {part!r} is {bit_depth}-bit {mode}; crops must be 8-bit colour, as the camera's photo.",
            hint=CROPS_HINT,
        )
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        raise InvalidCrops(f"The crop {part!r} has an invalid EXIF orientation.", hint=CROPS_HINT)
    upright = (height, width) if orientation in TRANSPOSING_ORIENTATIONS else (width, height)
    return CropHeader(image_format, mode, bit_depth, orientation, upright)


def decode_crop(data: bytes, header: CropHeader, part: str) -> NDArray[np.uint8]:
    problem = truncation(data, header.image_format)
    if problem is not None:
        raise InvalidCrops(f"The crop {part!r} {problem}.", hint=CROPS_HINT)
    # The orientation is applied here, the same way for both formats (OpenCV applies it to JPEG only).
    BGR = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if BGR is None:
        raise InvalidCrops(f"The crop {part!r}'s image data cannot be decoded.", hint=CROPS_HINT)
    pixels = upright(np.asarray(BGR, dtype=np.uint8), header.orientation)
    if (pixels.shape[1], pixels.shape[0]) != header.upright_size:
        raise InvalidCrops(f"The crop {part!r} decodes to another size than its header says.", hint=CROPS_HINT)
    return pixels
