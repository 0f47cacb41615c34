"""Crops cut on the device (color.device_capture) measured on the server (color.crops): the same colour as the
whole photo, and every crop set that is not one photo's card and skin refused before it is measured."""

from __future__ import annotations

import io
import zlib
from dataclasses import replace
from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageOps

from color.card import ReferenceCard
from color.colorimetry import delta_E00
from color.crops import CARD_CROP_MAX_MARGIN, SKIN_CROP_MAX_MARGIN_PX, measure_crops, parse_crops
from color.decode import EXIF_ORIENTATION, upright
from color.device_capture import CapturedCrops, FaceLandmarks, capture_crops, cheek_regions_from_landmarks
from color.errors import CropTooLarge, ImageTooSmall, InvalidCrops, InvalidRegions
from color.measure import measure_photo
from color.packaged_data import load_card
from color.simulate import RenderedPhoto, Shot
from tests.color.conftest import render

# Crops and the whole photo hold the same pixels of the card and the cheeks; what may differ is only where the
# card is found on a black canvas instead of the photo (sub-pixel corners). The promise is 0.3 ΔE00.
SAME_COLOUR_DE00 = 0.3
SHOT = Shot(size=(1000, 750), card_width_px=440)


@pytest.fixture(scope="module")
def photos(card: ReferenceCard) -> dict[str, RenderedPhoto]:
    return {
        "daylight": render(card),
        "incandescent": render(card, illuminant="A", seed=1),
        "mirrored selfie": render(card, seed=2, shot=replace(SHOT, mirrored=True)),
        "dark skin": render(card, skin_index=-1, seed=3),
        "tilted card": render(card, seed=4, shot=replace(SHOT, card_rotation_deg=-25.0)),
        "colorchecker": render(load_card("colorchecker-classic-24"), seed=5),
    }


@pytest.fixture(scope="module")
def photo(photos: dict[str, RenderedPhoto]) -> RenderedPhoto:
    return photos["daylight"]


@pytest.fixture(scope="module")
def captured(photo: RenderedPhoto) -> CapturedCrops:
    return capture_crops(photo.jpeg, regions=photo.regions)


def _copy(captured: CapturedCrops) -> tuple[dict[str, Any], dict[str, bytes]]:
    document = {
        "frame_size": list(captured.document["frame_size"]),
        "card": dict(captured.document["card"]),
        "skin": [dict(item) for item in captured.document["skin"]],
    }
    return document, dict(captured.parts)


def _decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def _png(BGR: np.ndarray, orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[EXIF_ORIENTATION] = orientation
    Image.fromarray(np.ascontiguousarray(BGR[..., ::-1])).save(buffer, "PNG", exif=exif)
    return buffer.getvalue()


# -- the same colour ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["daylight", "incandescent", "mirrored selfie", "dark skin", "tilted card", "colorchecker"]
)
def test_crops_give_the_whole_photos_colour(photos: dict[str, RenderedPhoto], name: str) -> None:
    photo = photos[name]
    whole = measure_photo(photo.jpeg, regions=photo.regions)
    captured = capture_crops(photo.jpeg, regions=photo.regions)
    from_crops = measure_crops(captured.document, captured.parts)
    assert float(delta_E00(from_crops.Lab_D65, whole.Lab_D65)) <= SAME_COLOUR_DE00
    assert [r.name for r in from_crops.regions] == [r.name for r in whole.regions]
    assert from_crops.mirrored == whole.mirrored
    assert from_crops.card_id == whole.card_id


def test_crops_of_a_12_megapixel_photo(card: ReferenceCard) -> None:
    # A whole JPEG this large is decoded at half scale (color.measure.WORKING_LONG_SIDE); the crops are measured at
    # full scale. Both see the same card and skin, at two resolutions.
    photo = render(card, seed=6, shot=Shot(size=(4032, 3024), card_width_px=1100))
    whole = measure_photo(photo.jpeg, regions=photo.regions)
    captured = capture_crops(photo.jpeg, regions=photo.regions)
    from_crops = measure_crops(captured.document, captured.parts)
    assert float(delta_E00(from_crops.Lab_D65, whole.Lab_D65)) <= SAME_COLOUR_DE00


def test_jpeg_crops_stay_within_the_promise(photo: RenderedPhoto) -> None:
    whole = measure_photo(photo.jpeg, regions=photo.regions)
    captured = capture_crops(photo.jpeg, regions=photo.regions, image_format="jpeg")
    from_crops = measure_crops(captured.document, captured.parts)
    assert float(delta_E00(from_crops.Lab_D65, whole.Lab_D65)) <= SAME_COLOUR_DE00


def test_cheeks_from_face_landmarks(photo: RenderedPhoto) -> None:
    # Landmarks as a phone's face detector gives them, on the rendered face ellipse: eyes above its centre,
    # mouth corners below.
    width, height = SHOT.size
    cx, cy = SHOT.face_centre[0] * width, SHOT.face_centre[1] * height
    ax, ay = SHOT.face_axes[0] * width, SHOT.face_axes[1] * height
    landmarks = FaceLandmarks(
        eye_left=(cx - 0.35 * ax, cy - 0.2 * ay),
        eye_right=(cx + 0.35 * ax, cy - 0.2 * ay),
        mouth_left=(cx - 0.2 * ax, cy + 0.45 * ay),
        mouth_right=(cx + 0.2 * ax, cy + 0.45 * ay),
    )
    captured = capture_crops(photo.jpeg, landmarks=landmarks)
    regions = cheek_regions_from_landmarks(landmarks, SHOT.size)
    assert [item["polygon"] for item in captured.document["skin"]] == [r["polygon"] for r in regions]
    whole = measure_photo(photo.jpeg, regions=regions)
    from_crops = measure_crops(captured.document, captured.parts)
    assert float(delta_E00(from_crops.Lab_D65, whole.Lab_D65)) <= SAME_COLOUR_DE00


def test_crops_are_small_and_hold_no_face(photo: RenderedPhoto, captured: CapturedCrops) -> None:
    width, height = captured.document["frame_size"]
    layout = parse_crops(captured.document)
    assert sum(box.area for box in layout.boxes) < 0.4 * width * height
    face_centre = (SHOT.face_centre[0] * width, SHOT.face_centre[1] * height)
    for box in layout.boxes:  # the middle of the face (eyes, nose) is in no crop
        assert not (box.x <= face_centre[0] < box.stop[0] and box.y <= face_centre[1] < box.stop[1])
    assert set(captured.parts) == {"card_crop", "skin_crop_1", "skin_crop_2"}
    for data in captured.parts.values():
        assert data.startswith(b"\x89PNG")


def test_crops_with_one_exif_orientation_are_turned_upright(photo: RenderedPhoto, captured: CapturedCrops) -> None:
    # Stored as the sensor saw them (turned a quarter), tagged with orientation 6 (display: 90° clockwise).
    parts = {name: _png(np.rot90(_decode(data), 1), orientation=6) for name, data in captured.parts.items()}
    turned = measure_crops(captured.document, parts)
    plain = measure_crops(captured.document, captured.parts)
    assert np.allclose(turned.Lab_D65, plain.Lab_D65)


@settings(max_examples=40, deadline=None)
@given(
    pixels=arrays(np.uint8, st.tuples(st.integers(1, 5), st.integers(1, 5), st.just(3))),
    orientation=st.integers(1, 8),
)
def test_upright_agrees_with_pillow(pixels: np.ndarray, orientation: int) -> None:
    image = Image.fromarray(pixels)
    image.getexif()[EXIF_ORIENTATION] = orientation
    expected = np.asarray(ImageOps.exif_transpose(image))
    assert np.array_equal(upright(pixels, orientation), expected)


# -- refused before measuring ------------------------------------------------------------------------------------


def _shifted(document: dict[str, Any], index: int, dx: int) -> None:
    document["skin"][index]["x"] += dx


def test_crop_outside_the_frame(captured: CapturedCrops) -> None:
    document, parts = _copy(captured)
    document["frame_size"] = [document["card"]["x"] + document["card"]["width"] - 10, document["frame_size"][1]]
    with pytest.raises(InvalidCrops, match="outside the"):
        measure_crops(document, parts)


def test_region_outside_its_crop(captured: CapturedCrops) -> None:
    document, parts = _copy(captured)
    _shifted(document, 0, 30)  # the crop declared 30 px to the right: the region's left part is not in it
    with pytest.raises(InvalidCrops, match="does not hold all of region"):
        measure_crops(document, parts)


def test_declared_size_differs_from_the_pixels(captured: CapturedCrops) -> None:
    document, parts = _copy(captured)
    document["skin"][0]["width"] += 4
    with pytest.raises(InvalidCrops, match="declared"):
        measure_crops(document, parts)


def test_whole_frame_as_the_card_crop_is_too_large(photo: RenderedPhoto, captured: CapturedCrops) -> None:
    document, parts = _copy(captured)
    width, height = document["frame_size"]
    document["card"] = {"part": "card_crop", "x": 0, "y": 0, "width": width, "height": height}
    parts["card_crop"] = _png(_decode(photo.jpeg))
    with pytest.raises(CropTooLarge, match="of the frame"):
        measure_crops(document, parts)


def test_card_crop_with_too_much_around_the_card(photo: RenderedPhoto, captured: CapturedCrops) -> None:
    document, parts = _copy(captured)
    card = document["card"]
    # 100 px more on the left and top: under half the frame, but with the cropper's own margin (a tenth of the
    # card's box, about 50 px) beyond the quarter of the card's box (about 120 px) the server allows.
    grow = 100
    assert grow + 0.1 * card["width"] > CARD_CROP_MAX_MARGIN * card["width"]
    card.update(x=card["x"] - grow, y=card["y"] - grow, width=card["width"] + grow, height=card["height"] + grow)
    frame = _decode(photo.jpeg)
    parts["card_crop"] = _png(frame[card["y"] : card["y"] + card["height"], card["x"] : card["x"] + card["width"]])
    with pytest.raises(CropTooLarge, match="beyond the card"):
        measure_crops(document, parts)


def test_skin_crop_wider_than_its_region(photo: RenderedPhoto, captured: CapturedCrops) -> None:
    document, parts = _copy(captured)
    skin = document["skin"][0]
    grow = SKIN_CROP_MAX_MARGIN_PX + 10
    skin.update(x=skin["x"] - grow, y=skin["y"] - grow, width=skin["width"] + 2 * grow, height=skin["height"] + grow)
    frame = _decode(photo.jpeg)
    parts["skin_crop_1"] = _png(frame[skin["y"] : skin["y"] + skin["height"], skin["x"] : skin["x"] + skin["width"]])
    with pytest.raises(CropTooLarge, match="beyond region"):
        measure_crops(document, parts)


def test_skin_regions_covering_the_face_are_too_large(captured: CapturedCrops) -> None:
    document, _ = _copy(captured)
    width, height = document["frame_size"]
    x0, y0, x1, y1 = 200, 150, 520, 600  # a "region" around the whole face
    document["skin"][0].update(
        x=x0, y=y0, width=x1 - x0, height=y1 - y0, polygon=[[x0, y0], [x1 - 1, y0], [x1 - 1, y1 - 1], [x0, y1 - 1]]
    )
    with pytest.raises(CropTooLarge, match="skin crops cover"):
        parse_crops(document)
    assert (x1 - x0) * (y1 - y0) > 0.1 * width * height


def test_overlapping_crops_must_show_the_same_pixels(photo: RenderedPhoto, captured: CapturedCrops) -> None:
    # The right cheek's crop overlaps the card's (the card is held next to the cheek): allowed when the pixels
    # agree. Cut 3 px further right than declared, they do not.
    layout = parse_crops(captured.document)
    assert layout.card.intersection(layout.skin[1]) is not None
    document, parts = _copy(captured)
    skin = document["skin"][1]
    frame = _decode(photo.jpeg)
    x = skin["x"] + 3
    parts["skin_crop_2"] = _png(frame[skin["y"] : skin["y"] + skin["height"], x : x + skin["width"]])
    with pytest.raises(InvalidCrops, match="different pixels"):
        measure_crops(document, parts)


def test_mixed_orientations(captured: CapturedCrops) -> None:
    parts = dict(captured.parts)
    parts["skin_crop_1"] = _png(np.rot90(_decode(parts["skin_crop_1"]), 2), orientation=3)
    with pytest.raises(InvalidCrops, match="different EXIF orientations"):
        measure_crops(captured.document, parts)


def test_mixed_formats(captured: CapturedCrops) -> None:
    parts = dict(captured.parts)
    parts["skin_crop_1"] = cv2.imencode(".jpg", _decode(parts["skin_crop_1"]))[1].tobytes()
    with pytest.raises(InvalidCrops, match="saved in different ways"):
        measure_crops(captured.document, parts)


def _with_exif_chunk(png: bytes, payload: bytes) -> bytes:
    """The PNG with an eXIf chunk holding ``payload`` right after its IHDR chunk (which ends at byte 33)."""
    chunk = len(payload).to_bytes(4, "big") + b"eXIf" + payload + zlib.crc32(b"eXIf" + payload).to_bytes(4, "big")
    return png[:33] + chunk + png[33:]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda BGR: b"not an image at all" * 10, "not a PNG or JPEG"),
        (lambda BGR: _with_exif_chunk(cv2.imencode(".png", BGR)[1].tobytes(), b"MM\x00*"), "cannot be read"),
        (lambda BGR: _png(BGR, orientation=9), "invalid EXIF orientation"),
        (lambda BGR: cv2.imencode(".png", BGR)[1].tobytes()[:-200], "cannot be read|truncated"),
        (lambda BGR: cv2.imencode(".png", cv2.cvtColor(BGR, cv2.COLOR_BGR2GRAY))[1].tobytes(), "8-bit colour"),
        (lambda BGR: cv2.imencode(".png", BGR.astype(np.uint16) * 257)[1].tobytes(), "16-bit"),
    ],
)
def test_unreadable_or_unlike_crops(captured: CapturedCrops, make: Any, message: str) -> None:
    parts = dict(captured.parts)
    parts["skin_crop_1"] = make(_decode(parts["skin_crop_1"]))
    with pytest.raises(InvalidCrops, match=message):
        measure_crops(captured.document, parts)


def test_parts_must_match_the_document(captured: CapturedCrops) -> None:
    parts = dict(captured.parts)
    del parts["skin_crop_2"]
    with pytest.raises(InvalidCrops, match="missing: skin_crop_2"):
        measure_crops(captured.document, parts)
    parts = {**captured.parts, "skin_crop_9": captured.parts["skin_crop_1"]}
    with pytest.raises(InvalidCrops, match="not declared: skin_crop_9"):
        measure_crops(captured.document, parts)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d.pop("frame_size"), InvalidCrops),
        (lambda d: d.update(frame_size=[1000]), InvalidCrops),
        (lambda d: d.update(frame_size=[300, 200]), ImageTooSmall),
        (lambda d: d["card"].update(x=-1), InvalidCrops),
        (lambda d: d["card"].update(width=12.5), InvalidCrops),
        (lambda d: d["card"].update(part="skin_crop_1"), InvalidCrops),
        (lambda d: d["card"].update(extra=1), InvalidCrops),
        (lambda d: d.update(skin=[]), InvalidCrops),
        (lambda d: d["skin"][1].update(part="skin_crop_1"), InvalidCrops),
        (lambda d: d["skin"][1].update(part="cheek"), InvalidCrops),
        (lambda d: d["skin"][1].update(name="left_cheek"), InvalidRegions),
        (lambda d: d["skin"][0].update(polygon=[[0, 0], [1, 1]]), InvalidRegions),
    ],
)
def test_malformed_documents(captured: CapturedCrops, change: Any, error: type[Exception]) -> None:
    document, _ = _copy(captured)
    change(document)
    with pytest.raises(error):
        parse_crops(document)
