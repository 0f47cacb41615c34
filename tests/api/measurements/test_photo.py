"""Photo measurements over HTTP: multipart upload, retakes, bad input, and privacy (nothing kept but numbers)."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from api.web.tokens import Role
from color.packaged_data import load_card
from color.simulate import RenderedPhoto
from tests.api.web.test_problems import assert_problem
from tests.color.conftest import render

URL = "/v1/measurements/"
_WRITES: list[str] | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _WRITES is None or event != "open":
        return
    path, mode, flags = [*args, None, None, None][:3]
    writing = isinstance(mode, str) and any(c in mode for c in "wax+")
    if isinstance(flags, int):
        writing = writing or bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
    if writing:
        _WRITES.append(str(path))


sys.addaudithook(_audit)


@contextmanager
def no_file_written() -> Iterator[list[str]]:
    """Record every file opened for writing (in any thread) while the block runs."""
    global _WRITES  # noqa: PLW0603 - the audit hook is process-wide and cannot be removed
    _WRITES = []
    try:
        yield _WRITES
    finally:
        _WRITES = None


@pytest.fixture(scope="module")
def photo() -> RenderedPhoto:
    return render(load_card("tm-skin-v1"))


def _form(photo: RenderedPhoto, **fields: str) -> tuple[dict[str, tuple[str, bytes, str]], dict[str, str]]:
    data = {"consent": "2026-01", "regions": json.dumps(photo.regions), **fields}
    return {"photo": ("face.jpg", photo.jpeg, "image/jpeg")}, {k: v for k, v in data.items() if v is not None}


def test_photo_measurement_is_stored_as_numbers_only(
    client: TestClient[Litestar],
    auth: Callable[..., dict[str, str]],
    photo: RenderedPhoto,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    files, data = _form(photo)
    caplog.set_level(logging.DEBUG)
    with no_file_written() as writes:
        response = client.post(URL, files=files, data=data, headers=auth(Role.CUSTOMER, "cus_1"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["source"] == "photo"
    assert body["calibration"]["card_id"] == "tm-skin-v1"
    assert body["uncertainty_dE00"] > 0
    widths = body["lab_95"]  # each coordinate's own: the light on the face widens L*, not a* and b*
    assert set(widths) == {"L", "a", "b", "ita_deg"}
    assert widths["L"] > widths["a"] > 0
    assert [r["name"] for r in body["regions"]] == ["left_cheek", "right_cheek"]
    assert writes == [], f"files were written while measuring a photo: {writes}"
    # Redis holds the numbers, never the photo: no JPEG bytes and nothing photo-sized.
    client_redis = redis.Redis.from_url(redis_url)
    for key in client_redis.scan_iter():
        value = client_redis.dump(key) or b""
        assert b"\xff\xd8\xff" not in value
        assert photo.jpeg[1000:1064] not in value
        assert len(value) < 20_000
    client_redis.close()
    for record in caplog.records:
        assert photo.jpeg[1000:1064] not in record.getMessage().encode(errors="ignore")
    again = client.get(f"{URL}{body['id']}", headers=auth(Role.CUSTOMER, "cus_1")).json()
    assert again == body


def test_photo_without_card_asks_for_a_retake(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], photo: RenderedPhoto
) -> None:
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR)
    image[:, 550:] = 128
    _, jpeg = cv2.imencode(".jpg", image)
    files = {"photo": ("face.jpg", jpeg.tobytes(), "image/jpeg")}
    response = client.post(
        URL,
        files=files,
        data={"consent": "2026-01", "regions": json.dumps(photo.regions)},
        headers=auth(Role.CUSTOMER, "c"),
    )
    body = assert_problem(response, 422, "card_not_found")
    assert body["hint"]
    assert body["retake"] is True
    assert client.get(URL, headers=auth(Role.CUSTOMER, "c")).json()["items"] == []


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"consent": None}, 400, "invalid_request"),
        ({"consent": "not a version!"}, 400, "invalid_request"),
        ({"regions": "[{"}, 400, "invalid_request"),
        ({"regions": json.dumps([{"name": "x", "polygon": [[0, 0], [5000, 0], [0, 5000]]}])}, 422, "invalid_regions"),
        ({"card": "tm-skin-v9"}, 422, "unknown_card"),
        ({"regions": "[" + "7" * 5000 + "]"}, 400, "invalid_request"),  # an integer Python's JSON will not read
        (
            {"regions": json.dumps([{"name": "x", "polygon": [["30", "40"], [90, 40], [60, 90]]}])},
            422,
            "invalid_regions",
        ),
        ({"regions": json.dumps([{"name": "x", "polygon": [[True, 40], [90, 40], [60, 90]]}])}, 422, "invalid_regions"),
        ({"regions": "[" * 30_000 + "]" * 30_000}, 400, "malformed_body"),  # nested deeper than the stack
        ({"surprise": "1"}, 400, "invalid_request"),
    ],
)
def test_bad_form_fields(  # noqa: PLR0917 - pytest passes fixtures and parameters by position
    client: TestClient[Litestar],
    auth: Callable[..., dict[str, str]],
    photo: RenderedPhoto,
    change: dict[str, str | None],
    status: int,
    code: str,
) -> None:
    files, data = _form(photo, **change)  # type: ignore[arg-type]
    response = client.post(URL, files=files, data=data, headers=auth(Role.CUSTOMER, "cus_1"))
    assert_problem(response, status, code)


def test_a_region_name_no_response_can_encode_is_refused_and_nothing_is_kept(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], photo: RenderedPhoto
) -> None:
    """A lone surrogate is valid JSON ("\\ud800") but no UTF-8 text: it was stored, then every read of the
    caller's measurements (list, one, export) answered 500."""
    regions = [{**photo.regions[0], "name": "\ud800"}]
    files, data = _form(photo, regions=json.dumps(regions))
    response = client.post(URL, files=files, data=data, headers=auth(Role.CUSTOMER, "cus_surrogate"))
    assert "printable" in assert_problem(response, 422, "invalid_regions")["detail"]
    listed = client.get(URL, headers=auth(Role.CUSTOMER, "cus_surrogate"))
    assert listed.status_code == 200
    assert listed.json()["items"] == []


def test_a_black_and_white_photo_is_refused_with_a_hint(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], photo: RenderedPhoto
) -> None:
    """Its three channels are equal: it once reached the light's fit and answered 500 (a singular matrix)."""
    import cv2
    import numpy as np

    grey = cv2.cvtColor(cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
    files = {"photo": ("face.jpg", cv2.imencode(".jpg", grey)[1].tobytes(), "image/jpeg")}
    data = {"consent": "2026-01", "regions": json.dumps(photo.regions)}
    response = client.post(URL, files=files, data=data, headers=auth(Role.CUSTOMER, "cus_grey"))
    body = assert_problem(response, 422, "unsupported_image")
    assert "black and white" in body["detail"]
    assert "colour" in body["hint"]
    assert client.get(URL, headers=auth(Role.CUSTOMER, "cus_grey")).json()["items"] == []


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"", 400, "invalid_request"),
        (b"this is not an image" * 40, 422, "unsupported_image"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 5000, 422, "corrupt_image"),
    ],
)
def test_bad_photo_bytes(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], content: bytes, status: int, code: str
) -> None:
    files = {"photo": ("face.jpg", content, "image/jpeg")}
    response = client.post(URL, files=files, data={"consent": "2026-01"}, headers=auth(Role.CUSTOMER, "cus_1"))
    assert_problem(response, status, code)


def test_missing_photo_field(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    response = client.post(URL, files={"consent": (None, b"v1")}, headers=auth(Role.CUSTOMER, "cus_1"))
    assert_problem(response, 400, "invalid_request")


def test_oversized_upload_is_413(
    client: TestClient[Litestar],
    auth: Callable[..., dict[str, str]],
    settings,  # type: ignore[no-untyped-def]
) -> None:
    files = {"photo": ("big.jpg", b"\xff\xd8\xff" + b"\0" * (settings.max_upload_bytes + 10), "image/jpeg")}
    response = client.post(URL, files=files, data={"consent": "2026-01"}, headers=auth(Role.CUSTOMER, "cus_1"))
    assert_problem(response, 413, "body_too_large")


def test_malformed_multipart_is_400(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    headers = {**auth(Role.CUSTOMER, "cus_1"), "Content-Type": "multipart/form-data; boundary=xyz"}
    response = client.post(
        URL, content=b'--xyz\r\nContent-Disposition: form-data; name="photo"\r\n\r\nabc', headers=headers
    )
    assert_problem(response, 400, "malformed_body")


def test_a_part_header_that_is_not_utf8_is_named_plainly(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    """The detail once showed the parser's tuple with a ``UnicodeDecodeError`` repr and the raw header bytes."""
    headers = {**auth(Role.CUSTOMER, "cus_1"), "Content-Type": "multipart/form-data; boundary=xyz"}
    body = b'--xyz\r\nContent-Disposition: form-data; name="ph\xf6to"\r\n\r\nabc\r\n--xyz--\r\n'
    detail = assert_problem(client.post(URL, content=body, headers=headers), 400, "malformed_body")["detail"]
    assert "UnicodeDecodeError" not in detail
    assert "\\x" not in detail
    assert detail.startswith("The multipart/form-data body is malformed: ")


def test_photo_route_refuses_other_roles(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], photo: RenderedPhoto
) -> None:
    files, data = _form(photo)
    assert_problem(client.post(URL, files=files, data=data, headers=auth(Role.LAB)), 403, "role_not_allowed")
