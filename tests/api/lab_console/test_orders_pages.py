"""The console's order pages: queue, order, batch sheet and label; QC typed or uploaded; correction, rework, ready."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.web.tokens import Role
from tests.api.lab_console.conftest import csrf_of
from tests.api.orders.helpers import ADDRESS, make_formulation, place_order

Auth = Callable[..., dict[str, str]]
CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]*"')


@pytest.fixture
def order(signed_in: TestClient[Litestar], auth: Auth) -> dict[str, Any]:
    """An order in production, with its batch sheet's targets (over the chart's black, over its white, masstone)."""
    formulation = make_formulation(signed_in, auth, "cus_lab")
    order_id = place_order(signed_in, auth, "cus_lab", formulation).json()["id"]
    started = signed_in.post(f"/lab/orders/{order_id}/start", data={"csrf_token": _csrf(signed_in, order_id)})
    assert started.status_code == 303
    sheet = signed_in.get(f"/v1/lab/formulations/{formulation}?size_g=30", headers=auth(Role.LAB)).json()
    return {"id": order_id, "formulation": formulation, "target": sheet["target_over_black_lab"],
            "white": sheet["target_over_white_lab"], "masstone": sheet["target_masstone_lab"]}  # fmt: skip


def _csrf(client: TestClient[Litestar], order_id: str) -> str:
    return csrf_of(client.get(f"/lab/orders/{order_id}").text)


def _qc(client: TestClient[Litestar], order_id: str, *, file: tuple[str, bytes] | None = None, **fields: Any) -> Any:
    """Post the QC form; the reading is over the chart's black unless ``over`` says otherwise."""
    data = {"csrf_token": _csrf(client, order_id), "batch_g": "30", "over": "black",
            **{k: str(v) for k, v in fields.items()}}  # fmt: skip
    files = {"export": (file[0], file[1], "application/octet-stream")} if file else {"export": ("", b"", "text/csv")}
    return client.post(f"/lab/orders/{order_id}/qc", data=data, files=files)


def _status(client: TestClient[Litestar], auth: Auth, order_id: str) -> str:
    return str(client.get(f"/v1/lab/orders/{order_id}", headers=auth(Role.LAB)).json()["status"])


def test_the_lab_never_sees_a_name_or_an_address(signed_in: TestClient[Litestar], auth: Auth) -> None:
    formulation = make_formulation(signed_in, auth, "cus_private")
    order_id = place_order(signed_in, auth, "cus_private", formulation).json()["id"]
    pages = ["/lab/?status=received", f"/lab/orders/{order_id}", f"/lab/orders/{order_id}/sheet",
             f"/lab/orders/{order_id}/label"]  # fmt: skip
    for path in pages:
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert order_id in response.text
        shown = CSRF_VALUE.sub("", response.text)  # a random token could hold "KR" by chance
        for value in ADDRESS.values():
            assert value not in shown, (path, value)
        assert "cus_private" not in response.text


def test_queue_lists_oldest_first_with_counts(signed_in: TestClient[Litestar], auth: Auth) -> None:
    formulation = make_formulation(signed_in, auth, "cus_q")
    first, second = (place_order(signed_in, auth, "cus_q", formulation).json()["id"] for _ in range(2))
    page = signed_in.get("/lab/?status=received").text
    assert page.index(first) < page.index(second)
    assert signed_in.get("/lab/counts").json()["received"] == "2"
    assert signed_in.get("/lab/?status=qc_failed").text.count("/lab/orders/ord_") == 0
    unknown = signed_in.get("/lab/?status=lost")
    assert unknown.status_code == 400
    assert "There is no order status" in unknown.text


def test_failing_qc_shows_the_correction_then_rework_then_a_passing_upload(
    signed_in: TestClient[Litestar], auth: Auth, order: dict[str, Any]
) -> None:
    target = order["target"]
    failed = _qc(signed_in, order["id"], batch_id="B-1", L=target["L"] - 4, a=target["a"], b=target["b"] - 3)
    assert failed.status_code == 303
    assert failed.headers["location"].endswith("?done=qc-failed#qc-result")
    page = signed_in.get(failed.headers["location"]).text
    assert 'Last quality check: <span class="fail">failed</span>' in page
    assert 'id="correction"' in page
    assert "display only" in page
    assert page.count('<svg width="120"') == 3  # the targets over black and white and the measured, side by side
    assert "Measured over black, batch B-1" in page
    assert "drawdown over the chart&#39;s black half" in page
    assert _status(signed_in, auth, order["id"]) == "qc_failed"
    label = signed_in.get(f"/lab/orders/{order['id']}/label").text
    assert "Batch ________" in label  # a failed batch's id is never printed on a bottle
    rework = signed_in.post(f"/lab/orders/{order['id']}/rework", data={"csrf_token": _csrf(signed_in, order["id"])})
    assert rework.status_code == 303
    assert _status(signed_in, auth, order["id"]) == "in_production"
    csv = f"Sample,L*,a*,b*\nbatch 2,{target['L']},{target['a']},{target['b']}\n".encode()
    passed = _qc(signed_in, order["id"], batch_id="B-2", file=("drawdown.csv", csv))
    assert passed.status_code == 303
    assert passed.headers["location"].endswith("?done=qc-passed#qc-result")
    assert _status(signed_in, auth, order["id"]) == "qc_passed"
    assert "Batch B-2</p>" in signed_in.get(f"/lab/orders/{order['id']}/label").text  # the batch that passed
    ready = signed_in.post(f"/lab/orders/{order['id']}/ready", data={"csrf_token": _csrf(signed_in, order["id"])})
    assert ready.status_code == 303
    page = signed_in.get(ready.headers["location"]).text
    assert f"evt_{order['id']}_ready_to_ship" in page
    assert "Marked ready to ship." in page


def test_qc_from_a_json_spectrum_export(signed_in: TestClient[Litestar], auth: Auth, order: dict[str, Any]) -> None:
    grey = {"wavelengths_nm": list(range(400, 710, 10)), "reflectance": [40.0] * 31}  # percent, a flat grey
    response = _qc(signed_in, order["id"], batch_id="B-spec", file=("reading.json", json.dumps(grey).encode()))
    assert response.status_code == 303
    assert _status(signed_in, auth, order["id"]) == "qc_failed"
    qc = signed_in.get(f"/v1/lab/orders/{order['id']}", headers=auth(Role.LAB)).json()["qc"]
    assert qc["batch_id"] == "B-spec"
    assert abs(qc["measured_lab"]["a"]) < 0.5  # a grey: the spectrum, read in percent, was integrated
    assert qc["over"] == "black"  # the order's record says what the reading was over, and its target
    assert set(qc["target_lab"]) == {"L", "a", "b"}
    assert qc["target_lab"] != qc["measured_lab"]
    target = qc["target_lab"]
    page = signed_in.get(f"/lab/orders/{order['id']}").text
    assert f"from the target L* {target['L']:.2f}, a* {target['a']:.2f}, b* {target['b']:.2f}" in page


BAD_UPLOADS = [
    ("empty.csv", b"", "Enter L*"),  # an empty file field is no upload: the typed values are asked for
    ("blank.csv", b"   \n", "The uploaded file is empty"),
    ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00", "not text in UTF-8"),
    ("notes.csv", b"hello,world\n1,2\n", "No header row with L*, a*, b*"),
    ("two.csv", b"L*,a*,b*\n60,10,20\n61,10,20\n", "holds 2 measurement rows"),
    ("header.csv", b"L*,a*,b*\n", "no measurement row"),
    ("words.csv", b"L*,a*,b*\nsixty,10,20\n", "not a number"),
    ("ten.csv", b"L*,a*,b*,Observer\n60,10,20,10\n", "10° observer"),
    ("bad.json", b"{not json", "not valid JSON"),
    ("many.json", b'[{"L": 60, "a": 10, "b": 20}, {"L": 60, "a": 10, "b": 20}]', "holds 2 readings"),
    ("odd.json", b'{"L": 160, "a": 10, "b": 20}', "L* must be between 0 and 100"),
    ("short.json", b'{"wavelengths_nm": [500, 600], "reflectance": [0.4, 0.5]}', "fewer than 3 wavelengths"),
    ("narrow.json", b'{"wavelengths_nm": [500, 510, 520], "reflectance": [0.4, 0.5, 0.5]}', "must cover 400-700"),
    ("image.gif", b"GIF89a", "is not a CSV or JSON export"),
    ("huge.csv", b"L*,a*,b*\n" + b"0" * 300_000, "an export of one reading is at most 256 kB"),
]


@pytest.mark.parametrize("upload", BAD_UPLOADS, ids=[row[0] for row in BAD_UPLOADS])
def test_bad_uploads_are_refused_in_plain_words(
    signed_in: TestClient[Litestar], auth: Auth, order: dict[str, Any], upload: tuple[str, bytes, str]
) -> None:
    name, data, message = upload
    response = _qc(signed_in, order["id"], batch_id="B-bad", file=(name, data))
    assert response.status_code in {400, 422}, response.text[:300]
    assert 'role="alert"' in response.text
    assert message in unescape(response.text)
    assert 'value="B-bad"' in response.text  # what was typed is kept for the next try
    assert _status(signed_in, auth, order["id"]) == "in_production"


def test_typed_values_are_checked(signed_in: TestClient[Litestar], auth: Auth, order: dict[str, Any]) -> None:
    for fields, message in (
        ({"batch_id": "B-1", "L": "", "a": "1", "b": "2"}, "Enter L*"),
        ({"batch_id": "B-1", "L": "sixty", "a": "1", "b": "2"}, "L* must be a number"),
        ({"batch_id": "", "L": "60", "a": "1", "b": "2"}, "Enter the batch id"),
        ({"batch_id": "B 1", "L": "60", "a": "1", "b": "2"}, "The batch id: String should match pattern"),
        ({"batch_id": "B-1", "L": "60", "a": "1", "b": "2", "over": ""}, "Say what the drawdown was measured over"),
        ({"batch_id": "B-1", "L": "60", "a": "1", "b": "2", "over": "grey"}, "'black' or 'white'"),
    ):
        response = _qc(signed_in, order["id"], **fields)
        assert response.status_code == 422, fields
        assert message in unescape(response.text), fields
    assert _status(signed_in, auth, order["id"]) == "in_production"


def test_an_action_the_order_is_not_ready_for_is_explained(
    signed_in: TestClient[Litestar], order: dict[str, Any]
) -> None:
    response = signed_in.post(f"/lab/orders/{order['id']}/ready", data={"csrf_token": _csrf(signed_in, order["id"])})
    assert response.status_code == 409
    assert "The order is in_production; `ready` needs it to be qc_passed." in unescape(response.text)
    unknown = signed_in.post(f"/lab/orders/{order['id']}/ship", data={"csrf_token": _csrf(signed_in, order["id"])})
    assert unknown.status_code == 400
    assert "There is no action 'ship'" in unescape(unknown.text)


def test_printouts_carry_the_sheet_and_a_qr_code(signed_in: TestClient[Litestar], order: dict[str, Any]) -> None:
    sheet = signed_in.get(f"/lab/orders/{order['id']}/sheet?batch_g=60")
    assert sheet.status_code == 200
    assert "60 g batch" in sheet.text
    assert "Tolerance: ΔE00" in sheet.text
    text = unescape(sheet.text)
    for words in ("75 µm", "opacity chart", "Over black", "Over white", "Opaque (masstone)", "Contrast ratio"):
        assert words in text, words
    assert f"{order['white']['L']:.2f}" in text  # the target over white, as the JSON sheet gives it
    assert f"QR code: {order['id']}" in sheet.text
    assert "/lab/static/sheet.css" in sheet.text
    label = signed_in.get(f"/lab/orders/{order['id']}/label")
    assert f"QR code: {order['id']}" in label.text
    assert "/lab/static/label.css" in label.text
    css = signed_in.get("/lab/static/label.css")
    assert css.status_code == 200
    assert "size: 62mm 40mm" in css.text
    assert "size: A4" in signed_in.get("/lab/static/sheet.css").text
    too_small = signed_in.get(f"/lab/orders/{order['id']}?batch_g=3")
    assert too_small.status_code == 200
    assert "The dispenser makes batches of 15 to 5000 g" in too_small.text


def test_an_unknown_order_is_a_page_not_json(signed_in: TestClient[Litestar]) -> None:
    response = signed_in.get("/lab/orders/ord_nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "No order 'ord_nope'." in unescape(response.text)


def test_the_batch_record_names_the_staff_member_and_the_customer_reads_lab(
    signed_in: TestClient[Litestar], auth: Auth, order: dict[str, Any]
) -> None:
    """A step done in the console is recorded as ``lab:<staff>`` (who made the batch, for the batch record); the
    lab's and admins' views show the name, the customer's shows only ``lab``."""
    lab_view = signed_in.get(f"/v1/lab/orders/{order['id']}", headers=auth(Role.LAB)).json()
    started = [e for e in lab_view["history"] if e["to_status"] == "in_production"]
    assert [e["actor"] for e in started] == ["lab:lab-ana"]
    admin_view = signed_in.get(f"/v1/admin/orders/{order['id']}", headers=auth(Role.ADMIN)).json()
    assert "lab:lab-ana" in [e["actor"] for e in admin_view["history"]]
    own = signed_in.get(f"/v1/orders/{order['id']}", headers=auth(Role.CUSTOMER, "cus_lab")).json()
    assert [e["actor"] for e in own["history"]] == ["customer", "lab"]
    assert "lab-ana" not in json.dumps(own)


def test_the_sheet_warns_when_rounding_a_small_batch_would_eat_the_tolerance(
    signed_in: TestClient[Litestar], auth: Auth
) -> None:
    light = make_formulation(signed_in, auth, "cus_light", lab={"L": 80, "a": 5, "b": 12})
    order_id = place_order(signed_in, auth, "cus_light", light).json()["id"]
    for page in (f"/lab/orders/{order_id}/sheet?batch_g=20", f"/lab/orders/{order_id}?batch_g=20"):
        text = signed_in.get(page).text
        assert 'role="alert"><strong>Rounding:</strong>' in text
        assert "over half the QC tolerance" in text
    calm = signed_in.get(f"/lab/orders/{order_id}/sheet?batch_g=30").text  # the bottle's own size: exact grams
    assert "Rounding:" not in calm
    assert "rounding to the balance moves this batch 0.00 ΔE00" in calm
