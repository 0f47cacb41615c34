"""Decoding photos from memory: formats, orientation, size limits, and garbage."""

from __future__ import annotations

import contextlib
import io
import struct

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from color.decode import decode_photo, sniff_format
from color.errors import CorruptImage, ImageTooLarge, ImageTooSmall, PhotoError, UnsupportedImage
from color.quality import MIN_SIDE


def _image(width: int = 640, height: int = 480) -> np.ndarray:
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[: height // 2, : width // 2] = (255, 0, 0)  # top-left red (RGB)
    image[height // 2 :, width // 2 :] = (0, 0, 255)  # bottom-right blue
    return image


def _encode(image: np.ndarray, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=image_format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_jpeg_and_png_decode_to_bgr(image_format: str) -> None:
    photo = decode_photo(_encode(_image(), image_format, **({"quality": 95} if image_format == "JPEG" else {})))
    assert photo.size == (640, 480)
    b, _, r = photo.BGR[10, 10].astype(int)
    assert r > 200
    assert b < 60


def test_heic_decodes_upright_without_exif() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    heif = pillow_heif.from_bytes(mode="RGB", size=(640, 480), data=_image().tobytes())
    buffer = io.BytesIO()
    heif.save(buffer, quality=90)
    photo = decode_photo(buffer.getvalue())
    assert photo.image_format == "heic"
    assert photo.size == (640, 480)
    assert photo.BGR[10, 10, 2] > 180  # red stays top-left: no orientation invented


def test_exif_orientation_is_applied() -> None:
    """A JPEG stored sideways with EXIF orientation 6 (rotate 90° clockwise to display) comes out upright."""
    stored = np.rot90(_image(), k=1)  # what the sensor stored: rotated 90° counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = decode_photo(_encode(np.ascontiguousarray(stored), "JPEG", quality=95, exif=exif.tobytes()))
    assert photo.size == (640, 480)
    assert photo.BGR[10, 10, 2] > 200  # red is back at the top-left


def _app1_orientation(orientation: int, *, big_endian: bool, type_code: int) -> bytes:
    """An EXIF APP1 segment holding only the orientation tag, in the byte order and TIFF type given."""
    order = ">" if big_endian else "<"
    value = struct.pack(order + ("I" if type_code == 4 else "H2x"), orientation)
    ifd = struct.pack(order + "HHHI", 1, 0x0112, type_code, 1) + value + struct.pack(order + "I", 0)
    tiff = (b"MM" if big_endian else b"II") + struct.pack(order + "HI", 42, 8) + ifd
    body = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


@pytest.mark.parametrize(
    ("big_endian", "type_code"), [(True, 4), (False, 4), (True, 3), (False, 3)], ids=["MM-LONG", "II-LONG", "MM", "II"]
)
def test_the_orientation_the_size_is_read_with_is_the_one_the_pixels_are_turned_by(
    big_endian: bool, type_code: int
) -> None:
    """OpenCV and Pillow once read an orientation stored as a LONG differently: the stated upright size and the
    decoded pixels were swapped, and a region in the lower part of the frame fell outside them (a 500)."""
    stored = np.ascontiguousarray(np.rot90(_image(), k=1))
    plain = _encode(stored, "JPEG", quality=95)
    data = plain[:2] + _app1_orientation(6, big_endian=big_endian, type_code=type_code) + plain[2:]
    with Image.open(io.BytesIO(data)) as image:
        said = image.getexif().get(0x0112)
    photo = decode_photo(data)
    assert (photo.BGR.shape[1], photo.BGR.shape[0]) == photo.size
    if said == 6:
        assert photo.size == (640, 480)
        assert photo.BGR[10, 10, 2] > 200  # red back at the top-left
    else:  # an orientation Pillow cannot read is no turn, for the size and the pixels alike
        assert photo.size == (480, 640)


def test_truncated_jpeg_is_refused() -> None:
    data = _encode(_image(), "JPEG", quality=90)
    with pytest.raises(CorruptImage, match="truncated"):
        decode_photo(data[: len(data) // 3])


def test_truncated_png_is_refused() -> None:
    data = _encode(_image(), "PNG")
    with pytest.raises(CorruptImage):
        decode_photo(data[:-100])


@pytest.mark.parametrize("data", [b"", b"GIF89a" + b"\0" * 100, b"%PDF-1.7", b"hello world" * 50])
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(PhotoError):
        decode_photo(data)


def test_unsupported_format_has_a_hint() -> None:
    with pytest.raises(UnsupportedImage) as error:
        sniff_format(b"BM" + b"\0" * 64)
    assert "JPEG" in (error.value.hint or "")


def test_decompression_bomb_is_refused_before_decoding() -> None:
    """A tiny PNG whose header claims 30000 × 30000 pixels is refused from the header alone."""
    header = io.BytesIO()
    Image.new("L", (1, 1)).save(header, format="PNG")
    data = bytearray(header.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = (30000).to_bytes(4, "big") + (30000).to_bytes(4, "big")
    import zlib

    data[ihdr + 17 : ihdr + 21] = zlib.crc32(bytes(data[ihdr : ihdr + 17])).to_bytes(4, "big")
    with pytest.raises(ImageTooLarge):
        decode_photo(bytes(data))


def test_tiny_image_is_refused() -> None:
    with pytest.raises(ImageTooSmall):
        decode_photo(_encode(_image(MIN_SIDE - 1, MIN_SIDE - 1), "PNG"))


def test_corrupt_jpeg_body_is_refused() -> None:
    data = bytearray(_encode(_image(), "JPEG", quality=90))
    data[200:2000] = b"\xff" * 1800  # destroy the tables and scan, keep SOI and EOI
    with pytest.raises(PhotoError):
        decode_photo(bytes(data))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=4096))
def test_random_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(PhotoError):
        decode_photo(data)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=10, max_value=5000), st.binary(min_size=1, max_size=64))
def test_damaged_jpeg_never_crashes(cut: int, noise: bytes) -> None:
    data = bytearray(_encode(_image(), "JPEG", quality=80))
    position = cut % len(data)
    data[position : position + len(noise)] = noise
    try:
        photo = decode_photo(bytes(data))
    except PhotoError:
        return
    assert photo.BGR.dtype == np.uint8


def test_cv2_is_the_decoder_of_record() -> None:
    # The speed goal compares against cv2.imdecode: the JPEG path must not decode twice.
    data = _encode(_image(), "JPEG", quality=90)
    assert np.array_equal(decode_photo(data).BGR, cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))


def test_large_jpeg_is_decoded_at_reduced_scale_in_upright_coordinates() -> None:
    image = np.zeros((3000, 4000, 3), dtype=np.uint8)
    image[:100, :100] = (255, 0, 0)
    data = _encode(image, "JPEG", quality=85)
    photo = decode_photo(data, min_long_side=1800)
    assert photo.scale == 0.5
    assert photo.size == (4000, 3000)
    assert photo.BGR.shape[:2] == (1500, 2000)
    assert photo.BGR[10, 10, 2] > 200
    full = decode_photo(data)
    assert full.scale == 1.0
    assert full.BGR.shape[:2] == (3000, 4000)


def test_reduced_decode_reports_the_upright_size_of_a_rotated_jpeg() -> None:
    stored = np.zeros((4000, 3000, 3), dtype=np.uint8)  # stored portrait, displayed landscape (orientation 6)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = decode_photo(_encode(stored, "JPEG", quality=80, exif=exif.tobytes()), min_long_side=1800)
    assert photo.size == (4000, 3000)
    assert photo.BGR.shape[:2] == (1500, 2000)


def test_png_is_never_reduced() -> None:
    photo = decode_photo(_encode(_image(2400, 1800), "PNG"), min_long_side=1000)
    assert photo.scale == 1.0
