"""Every measurement carries its melanin and erythema indices; a photo's with half-widths from its uncertainty."""

from __future__ import annotations

import json
from collections.abc import Callable

from litestar import Litestar
from litestar.testing import TestClient

from api.web.tokens import Role
from color.packaged_data import load_card
from tests.api.privacy.helpers import grant_history
from tests.api.web.test_problems import READING
from tests.color.conftest import render


def test_an_instrument_reading_has_indices_without_half_widths_and_they_follow_the_colour(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth(Role.CUSTOMER, "cus_i")
    grant_history(client, headers)
    light = client.post("/v1/measurements/", json={**READING, "lab": {"L": 65, "a": 10, "b": 16}}, headers=headers)
    darker = client.post("/v1/measurements/", json={**READING, "lab": {"L": 45, "a": 12, "b": 20}}, headers=headers)
    redder = client.post("/v1/measurements/", json={**READING, "lab": {"L": 63, "a": 16, "b": 16}}, headers=headers)
    indices = [r.json()["skin_indices"] for r in (light, darker, redder)]
    assert all(i["melanin_od_95"] is None and i["erythema_uM_cm_95"] is None for i in indices)
    assert indices[1]["melanin_od"] > indices[0]["melanin_od"] + 0.1
    assert indices[2]["erythema_uM_cm"] > indices[0]["erythema_uM_cm"] + 0.5
    stored = client.get(f"/v1/measurements/{light.json()['id']}", headers=headers).json()
    assert stored["skin_indices"] == indices[0]


def test_a_photo_measurement_has_indices_with_half_widths(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    photo = render(load_card("tm-skin-v1"))
    files = {"photo": ("face.jpg", photo.jpeg, "image/jpeg")}
    data = {"consent": "2026-01", "regions": json.dumps(photo.regions)}
    response = client.post("/v1/measurements/", files=files, data=data, headers=auth(Role.CUSTOMER, "cus_p"))
    assert response.status_code == 201, response.text
    indices = response.json()["skin_indices"]
    assert indices["melanin_od_95"] > 0
    assert indices["erythema_uM_cm_95"] > 0
    assert indices["off_model_dE00"] >= 0
