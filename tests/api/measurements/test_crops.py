"""Crops over HTTP: the card's and the cheeks' crops of one photo (the face stays on the phone) measured as the
whole photo, and every upload that is not one photo's crops refused with a problem, nothing stored."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from api.web.tokens import Role
from color.colorimetry import delta_E00
from color.device_capture import CapturedCrops, capture_crops
from color.packaged_data import load_card
from color.simulate import RenderedPhoto
from tests.api.measurements.test_photo import no_file_written
from tests.api.privacy.helpers import grant_history
from tests.api.web.test_problems import assert_problem
from tests.color.conftest import render

URL = "/v1/measurements/"
Files = list[tuple[str, tuple[str, bytes, str]]]


@pytest.fixture(scope="module")
def photo() -> RenderedPhoto:
    return render(load_card("tm-skin-v1"))


@pytest.fixture(scope="module")
def captured(photo: RenderedPhoto) -> CapturedCrops:
    return capture_crops(photo.jpeg, regions=photo.regions)


def _files(parts: dict[str, bytes]) -> Files:
    return [(name, (f"{name}.png", data, "image/png")) for name, data in parts.items()]


def _post(
    client: TestClient[Litestar],
    headers: dict[str, str],
    *,
    document: Any,
    parts: dict[str, bytes],
    **fields: str | None,
) -> Any:
    crops = document if isinstance(document, str) or document is None else json.dumps(document)
    data = {"consent": "2026-01", "crops": crops, **fields}
    return client.post(URL, files=_files(parts), data={k: v for k, v in data.items() if v is not None}, headers=headers)


def test_crops_are_measured_as_the_whole_photo_and_only_numbers_kept(  # noqa: PLR0917 - pytest fixtures
    client: TestClient[Litestar],
    auth: Callable[..., dict[str, str]],
    photo: RenderedPhoto,
    captured: CapturedCrops,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = auth(Role.CUSTOMER, "cus_1")
    grant_history(client, headers)  # the crops' and the whole photo's measurements are both kept
    caplog.set_level(logging.DEBUG)
    with no_file_written() as writes:
        response = _post(client, headers, document=captured.document, parts=captured.parts)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["source"] == "photo"
    assert body["input_mode"] == "crops"
    assert [r["name"] for r in body["regions"]] == ["left_cheek", "right_cheek"]
    assert writes == [], f"files were written while measuring crops: {writes}"

    whole = client.post(
        URL,
        files={"photo": ("face.jpg", photo.jpeg, "image/jpeg")},
        data={"consent": "2026-01", "regions": json.dumps(photo.regions)},
        headers=headers,
    ).json()
    assert whole["input_mode"] == "whole_photo"
    lab = [[m["lab"][k] for k in "Lab"] for m in (body, whole)]
    assert float(delta_E00(lab[0], lab[1])) <= 0.3

    crop_bytes = [data[len(data) // 2 : len(data) // 2 + 64] for data in captured.parts.values()]
    client_redis = redis.Redis.from_url(redis_url)
    for key in client_redis.scan_iter():
        value = client_redis.dump(key) or b""
        assert b"\x89PNG" not in value
        assert not any(piece in value for piece in crop_bytes)
        assert len(value) < 20_000
    client_redis.close()
    for record in caplog.records:
        assert not any(piece in record.getMessage().encode(errors="ignore") for piece in crop_bytes)
    assert client.get(f"{URL}{body['id']}", headers=headers).json() == body


def _decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def _png(BGR: np.ndarray) -> bytes:
    return cv2.imencode(".png", BGR)[1].tobytes()


def _outside_frame(document: dict[str, Any], parts: dict[str, bytes], photo: RenderedPhoto) -> None:
    document["skin"][0]["x"] = document["frame_size"][0] - document["skin"][0]["width"] + 5


def _wrong_size(document: dict[str, Any], parts: dict[str, bytes], photo: RenderedPhoto) -> None:
    document["card"]["height"] -= 3


def _whole_frame_as_card(document: dict[str, Any], parts: dict[str, bytes], photo: RenderedPhoto) -> None:
    width, height = document["frame_size"]
    document["card"].update(x=0, y=0, width=width, height=height)
    parts["card_crop"] = _png(_decode(photo.jpeg))


def _overlap_disagrees(document: dict[str, Any], parts: dict[str, bytes], photo: RenderedPhoto) -> None:
    # The right cheek's crop overlaps the card's: cut 3 px right of where it is declared, the pixels differ.
    skin = document["skin"][1]
    x, y = skin["x"] + 3, skin["y"]
    parts["skin_crop_2"] = _png(_decode(photo.jpeg)[y : y + skin["height"], x : x + skin["width"]])


def _mixed_orientations(document: dict[str, Any], parts: dict[str, bytes], photo: RenderedPhoto) -> None:
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 3  # rotate 180°: the upright size stays the declared one
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(_decode(parts["skin_crop_1"])[::-1, ::-1, ::-1])).save(
        buffer, "PNG", exif=exif
    )
    parts["skin_crop_1"] = buffer.getvalue()


def _not_an_image(document: dict[str, Any], parts: dict[str, bytes], photo: RenderedPhoto) -> None:
    parts["skin_crop_2"] = b"GIF89a this is not a crop" * 20


def _missing_part(document: dict[str, Any], parts: dict[str, bytes], photo: RenderedPhoto) -> None:
    del parts["skin_crop_2"]


def _undeclared_part(document: dict[str, Any], parts: dict[str, bytes], photo: RenderedPhoto) -> None:
    parts["skin_crop_extra"] = parts["skin_crop_1"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (_outside_frame, "invalid_crops"),
        (_wrong_size, "invalid_crops"),
        (_whole_frame_as_card, "crop_too_large"),
        (_overlap_disagrees, "invalid_crops"),
        (_mixed_orientations, "invalid_crops"),
        (_not_an_image, "invalid_crops"),
        (_missing_part, "invalid_crops"),
        (_undeclared_part, "invalid_crops"),
    ],
)
def test_crops_not_from_one_photo_are_refused(  # noqa: PLR0917 - pytest passes fixtures and parameters by position
    client: TestClient[Litestar],
    auth: Callable[..., dict[str, str]],
    photo: RenderedPhoto,
    captured: CapturedCrops,
    change: Callable[[dict[str, Any], dict[str, bytes], RenderedPhoto], None],
    code: str,
) -> None:
    headers = auth(Role.CUSTOMER, "cus_1")
    document = json.loads(captured.crops_json)
    parts = dict(captured.parts)
    change(document, parts, photo)
    body = assert_problem(_post(client, headers, document=document, parts=parts), 422, code)
    assert body["hint"]
    assert "retake" not in body  # the app's crops are wrong, not the person's photo
    assert client.get(URL, headers=headers).json()["items"] == []


@pytest.mark.parametrize(
    ("document", "extra", "message"),
    [
        (None, {}, "'crops' is required"),
        ("{", {}, "not valid JSON"),
        ("use-json", {"regions": "[]"}, "regions go in the 'crops' document"),
        ("use-json", {"consent": None}, "'consent' is required"),
    ],
)
def test_bad_crops_fields(  # noqa: PLR0917
    client: TestClient[Litestar],
    auth: Callable[..., dict[str, str]],
    captured: CapturedCrops,
    document: str | None,
    extra: dict[str, str | None],
    message: str,
) -> None:
    headers = auth(Role.CUSTOMER, "cus_1")
    sent = captured.crops_json if document == "use-json" else document
    body = assert_problem(_post(client, headers, document=sent, parts=captured.parts, **extra), 400, "invalid_request")
    assert message in body["detail"]
    assert client.get(URL, headers=headers).json()["items"] == []


def test_photo_and_crops_together_are_refused(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], photo: RenderedPhoto, captured: CapturedCrops
) -> None:
    headers = auth(Role.CUSTOMER, "cus_1")
    files = [("photo", ("face.jpg", photo.jpeg, "image/jpeg")), *_files(captured.parts)]
    response = client.post(URL, files=files, data={"consent": "2026-01", "crops": captured.crops_json}, headers=headers)
    body = assert_problem(response, 400, "invalid_request")
    assert "not both" in body["detail"]
    # A crop part alone beside a photo is refused the same way.
    files = [("photo", ("face.jpg", photo.jpeg, "image/jpeg")), *_files({"card_crop": captured.parts["card_crop"]})]
    assert_problem(client.post(URL, files=files, data={"consent": "2026-01"}, headers=headers), 400, "invalid_request")
    assert client.get(URL, headers=headers).json()["items"] == []


def test_a_crop_part_twice_or_empty_is_refused(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], captured: CapturedCrops
) -> None:
    headers = auth(Role.CUSTOMER, "cus_1")
    data = {"consent": "2026-01", "crops": captured.crops_json}
    twice = [*_files(captured.parts), *_files({"card_crop": captured.parts["card_crop"]})]
    body = assert_problem(client.post(URL, files=twice, data=data, headers=headers), 400, "invalid_request")
    assert "must appear once" in body["detail"]
    empty = _files({**captured.parts, "skin_crop_1": b""})
    body = assert_problem(client.post(URL, files=empty, data=data, headers=headers), 400, "invalid_request")
    assert "is empty" in body["detail"]
    assert client.get(URL, headers=headers).json()["items"] == []
