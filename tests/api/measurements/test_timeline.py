"""The customer's timeline: indices in order, change beyond noise, trend, said plainly; one measurement gives no
trend; another customer's measurements never appear."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient

import api.measurements.service as service_module
from api.web.tokens import Role
from tests.api.web.test_problems import READING

URL = "/v1/measurements/timeline"


def test_no_measurement_and_one_measurement_say_so(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth(Role.CUSTOMER, "cus_t1")
    empty = client.get(URL, headers=headers).json()
    assert empty["points"] == []
    assert "no measurement so far" in empty["metrics"][0]["verdict"]
    client.post("/v1/measurements/", json=READING, headers=headers)
    one = client.get(URL, headers=headers).json()
    assert len(one["points"]) == 1
    assert all(m["slope_per_month"] is None and m["change_since_first"] is None for m in one["metrics"])
    assert all("a trend needs three measurements" in m["verdict"].lower() for m in one["metrics"])


def test_a_redder_skin_over_months_is_a_change_and_a_trend_and_others_do_not_see_it(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instrument readings state no uncertainty: the change then cannot be told from noise, said so; the trend
    over five readings a month apart is still computed."""
    headers = auth(Role.CUSTOMER, "cus_t2")
    start = datetime(2026, 1, 5, tzinfo=UTC)

    class Clock(datetime):
        at = start

        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return cls.at

    monkeypatch.setattr(service_module, "datetime", Clock)
    for month in range(5):
        Clock.at = start + timedelta(days=30 * month)
        reading = {**READING, "lab": {"L": 60.0, "a": 10.0 + 1.5 * month, "b": 17.0}}
        assert client.post("/v1/measurements/", json=reading, headers=headers).status_code == 201
    body = client.get(URL, headers=headers).json()
    assert [p["created_at"][:10] for p in body["points"]] == ["2026-01-05", "2026-02-04", "2026-03-06",
                                                               "2026-04-05", "2026-05-05"]  # fmt: skip
    redness = next(m for m in body["metrics"] if m["metric"] == "erythema_uM_cm")
    assert redness["points"] == 5
    assert redness["change_since_first"] > 1.0
    assert redness["change_combined_95"] is None
    assert "cannot be told" in redness["verdict"]
    assert redness["slope_per_month"] > 0
    assert redness["slope_low_per_month"] > 0
    assert "a steady change" in redness["verdict"]
    other = client.get(URL, headers=auth(Role.CUSTOMER, "cus_other")).json()
    assert other["points"] == []


def test_the_timeline_is_for_customers(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    assert client.get(URL, headers=auth(Role.LAB)).status_code == 403
