"""A photo's memory is bounded by its size, not its file: large photos come out reduced, refusals leave no
reference cycles that would keep a photo's arrays alive."""

from __future__ import annotations

import gc
import io

import cv2
import numpy as np
import pytest

from color.decode import MAX_DECODED_PIXELS, decode_photo, photo_pixels
from color.errors import PhotoError
from color.measure import measure_photo
from color.packaged_data import load_card
from tests.color.conftest import render

SIDE = 4400  # 19.4 megapixels: over the budget, reduced by two


def _flat(side: int) -> np.ndarray:
    image = np.full((side, side, 3), 120, np.uint8)
    image[: side // 2, : side // 2] = (0, 0, 255)  # red top-left quarter: orientation and scale visible
    return image


def test_a_large_png_is_decoded_at_half_size_with_its_full_size_kept() -> None:
    ok, png = cv2.imencode(".png", _flat(SIDE))
    assert ok
    assert photo_pixels(png.tobytes()) == SIDE * SIDE
    photo = decode_photo(png.tobytes())
    assert photo.size == (SIDE, SIDE)
    assert photo.BGR.shape[:2] == (SIDE // 2, SIDE // 2)
    assert photo.scale == pytest.approx(0.5)
    assert photo.BGR.shape[0] * photo.BGR.shape[1] <= MAX_DECODED_PIXELS
    assert photo.BGR[10, 10, 2] > 200  # the red quarter stays top-left


def test_a_large_heic_is_decoded_at_half_size() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    from PIL import Image

    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.fromarray(_flat(SIDE)[..., ::-1].copy())).save(buffer, quality=30)
    photo = decode_photo(buffer.getvalue())
    assert photo.image_format == "heic"
    assert photo.size == (SIDE, SIDE)
    assert photo.BGR.shape[:2] == (SIDE // 2, SIDE // 2)
    assert photo.BGR[10, 10, 2] > 180


def test_an_unreadable_header_declares_no_pixels() -> None:
    assert photo_pixels(b"\x89PNG\r\n\x1a\n broken") == 0
    assert photo_pixels(b"not an image") == 0


@pytest.mark.parametrize("case", ["no card", "regions on the card"])
def test_a_refused_photo_leaves_no_reference_cycle(case: str) -> None:
    """Refusals keep errors in locals and dicts; raised from there, they would tie the traceback, the frame and the
    photo's arrays in a cycle that only the cyclic collector frees, long after (memory grows under load)."""
    photo = render(load_card("tm-skin-v1"))
    if case == "no card":
        data, regions = cv2.imencode(".jpg", np.full((1200, 1600, 3), 128, np.uint8))[1].tobytes(), None
    else:
        data = photo.jpeg
        corners = photo.card_corners_px
        regions = [
            {"name": "left_cheek", "polygon": corners.tolist()},
            {"name": "right_cheek", "polygon": corners.tolist()},
        ]
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        with pytest.raises(PhotoError):
            measure_photo(data, regions=regions)
        gc.collect()
        cycles = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert "frame" not in cycles
    assert "DecodedPhoto" not in cycles
