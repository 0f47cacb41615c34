"""Decode a photo held in memory: JPEG, PNG or HEIC, upright (EXIF / HEIF orientation applied), 8-bit RGB.

The image size is read from the header and checked before anything is decoded, so a decompression bomb
costs nothing. Nothing is written anywhere: the bytes come in, an array goes out.

Memory is bounded by size, not by the file: a photo over ``MAX_DECODED_PIXELS`` is brought down by a power of
two as it is decoded (a JPEG by libjpeg's DCT scaling, never holding the full size; a PNG or HEIC decoded once,
then area-averaged and the full-size buffer dropped), so a small file that claims 49 megapixels costs at most
one full-size frame for a moment and then what a 16-megapixel photo costs.
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
# Beyond this the measurement gains nothing (a 12 MP photo's card patches are already 100 px and more); larger
# photos are halved until they fit. Region coordinates stay in the full-size frame (``DecodedPhoto.scale``).
MAX_DECODED_PIXELS = 16_000_000
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


def _upright_size(data: bytes) -> tuple[tuple[int, int], int]:
    """Width and height as displayed and the EXIF orientation (1-8; 1 when absent or out of range), from the
    header alone: the size is checked first. This reading is the one the pixels are turned by (``upright``)."""
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
        except (OSError, SyntaxError, ValueError):  # unreadable EXIF: taken as no turn
            orientation = 1
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = 1
    return ((height, width) if orientation in TRANSPOSING_ORIENTATIONS else (width, height)), orientation


def upright(BGR: NDArray[np.uint8], orientation: int) -> NDArray[np.uint8]:
    """Pixels as stored → as displayed, for EXIF orientation 1-8 (CIPA DC-008, tag 0x0112)."""
    turned = {
        1: BGR,
        2: BGR[:, ::-1],
        3: BGR[::-1, ::-1],
        4: BGR[::-1],
        5: BGR.swapaxes(0, 1),
        6: np.rot90(BGR, -1),
        7: BGR[::-1, ::-1].swapaxes(0, 1),
        8: np.rot90(BGR, 1),
    }[orientation]
    return np.ascontiguousarray(turned)


def photo_pixels(data: bytes) -> int:
    """The pixel count the photo's header declares (0 when it cannot be read): what decoding it will cost."""
    try:
        if sniff_format(data) == "heic":
            import pillow_heif

            width, height = pillow_heif.open_heif(data).size  # the header only; nothing decoded yet
        else:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Exception:
        return 0
    return int(width) * int(height)


def _reduction(size: tuple[int, int]) -> int:
    """The power of two that brings ``size`` within ``MAX_DECODED_PIXELS`` (1 when it already is)."""
    factor = 1
    while size[0] * size[1] / factor**2 > MAX_DECODED_PIXELS:
        factor *= 2
    return factor


def _shrink(BGR: NDArray[np.uint8], factor: int) -> NDArray[np.uint8]:
    if factor == 1:
        return BGR
    size = (max(1, BGR.shape[1] // factor), max(1, BGR.shape[0] // factor))
    return np.asarray(cv2.resize(BGR, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _decode_heic(data: bytes) -> tuple[NDArray[np.uint8], tuple[int, int]]:
    """Upright BGR pixels (libheif applies the irot/imir transforms as it decodes) and the full size."""
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True, bgr_mode=True)
        check_image_size(*heif.size)
        decoded = np.asarray(heif)  # the decoder's own buffer, already B G R: no conversion copies
    except (ValueError, RuntimeError, OSError) as exc:
        raise CorruptImage(f"The HEIC photo cannot be decoded: {exc}.", hint=CORRUPT_IMAGE_HINT) from exc
    size = (int(decoded.shape[1]), int(decoded.shape[0]))
    BGR = _shrink(decoded[..., :3], _reduction(size))
    del decoded, heif  # the full-size buffer goes now, not when the measurement ends
    return np.ascontiguousarray(BGR, dtype=np.uint8), size


def decode_photo(data: bytes, *, min_long_side: int | None = None) -> DecodedPhoto:
    """Check and decode ``data``; raise a ``PhotoError`` with a stable code for anything unusable.

    With ``min_long_side``, a JPEG is decoded at the smallest of 1/4, 1/2 or full scale whose long side
    stays at least that long (libjpeg's DCT scaling: several times faster than a full decode).
    """
    if not data:
        raise CorruptImage("The photo is empty.", hint=CORRUPT_IMAGE_HINT)
    image_format = sniff_format(data)
    if image_format == "heic":
        BGR, size = _decode_heic(data)
        return DecodedPhoto(BGR=BGR, image_format=image_format, size=size, scale=BGR.shape[1] / size[0])
    size, orientation = _upright_size(data)
    factor = 1
    if image_format == "jpeg" and min_long_side:
        while factor < max(REDUCED_FLAGS) and max(size) / (factor * 2) >= min_long_side:
            factor *= 2
    if image_format == "jpeg":
        factor = min(max(factor, _reduction(size)), max(REDUCED_FLAGS))
    problem = truncation(data, image_format)
    if problem is not None:
        raise CorruptImage(f"The photo {problem}.", hint=CORRUPT_IMAGE_HINT)
    # The orientation read above is applied here, not by OpenCV: its own EXIF reading can differ from Pillow's
    # (an orientation stored as another type, a PNG's eXIf chunk), and the stated size must match the pixels.
    flags = REDUCED_FLAGS[factor] | cv2.IMREAD_IGNORE_ORIENTATION
    decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    if decoded is None:
        raise CorruptImage("The photo's image data cannot be decoded.", hint=CORRUPT_IMAGE_HINT)
    decoded = upright(np.asarray(decoded, dtype=np.uint8), orientation)
    if abs(decoded.shape[1] * factor - size[0]) >= factor or abs(decoded.shape[0] * factor - size[1]) >= factor:
        raise CorruptImage("The photo's pixels do not have the size its header states.", hint=CORRUPT_IMAGE_HINT)
    BGR = _shrink(decoded, _reduction((decoded.shape[1], decoded.shape[0])))
    del decoded
    return DecodedPhoto(BGR=BGR, image_format=image_format, size=size, scale=BGR.shape[1] / size[0])
